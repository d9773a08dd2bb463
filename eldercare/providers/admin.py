from django.contrib import admin

from eldercare.core.admin import ReadOnlyAdmin

from .models import Provider, ServiceArea


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = ["name", "credit_code", "region", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["region"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(ReadOnlyAdmin):
    list_display = ["provider", "region"]
    search_fields = ["provider__name", "region__name"]
    list_select_related = ["provider", "region"]
