from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_main_urban"]
    list_filter = ["level", "is_main_urban"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
