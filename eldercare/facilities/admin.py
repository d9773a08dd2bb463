from django.contrib import admin

from eldercare.core.admin import ReadOnlyAdmin

from .models import Institution, Stay


@admin.register(Institution)
class InstitutionAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "ownership", "community", "beds", "nursing_beds"]
    list_filter = ["kind", "ownership"]
    search_fields = ["name", "address"]
    list_select_related = ["community"]


@admin.register(Stay)
class StayAdmin(ReadOnlyAdmin):
    list_display = ["elder", "facility", "kind", "start", "end", "recorded_at"]
    list_filter = ["kind"]
    search_fields = ["elder__name", "facility__name"]
    list_select_related = ["elder", "facility"]
