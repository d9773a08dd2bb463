from django.contrib import admin

from eldercare.core.admin import ReadOnlyAdmin

from .models import Caregiver, FraudFlag, GuidePrice, Order, OrderEvent, Preference, Recurrence, ServiceCategory, ServiceItem


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(ReadOnlyAdmin):
    """Synchronised from catalog.yaml at every migrate: changed in the file, not here."""

    list_display = ["code", "name", "position", "active"]
    list_filter = ["active"]


@admin.register(ServiceItem)
class ServiceItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "category", "unit", "minutes", "min_level", "active"]
    list_filter = ["category", "unit", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["category"]


@admin.register(GuidePrice)
class GuidePriceAdmin(ReadOnlyAdmin):
    list_display = ["item", "region", "price", "valid_from", "valid_to", "document", "set_by"]
    search_fields = ["item__name", "region__name", "document"]
    list_select_related = ["item", "region", "set_by"]


@admin.register(Caregiver)
class CaregiverAdmin(ReadOnlyAdmin):
    list_display = ["name", "id_masked", "provider", "level", "certificate_expires", "active"]
    list_filter = ["active", "level"]
    search_fields = ["name", "provider__name"]  # never the ID number
    list_select_related = ["provider"]
    exclude = ["id_number", "id_hash", "phone"]
    readonly_fields = ["id_masked"]


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ["elder", "caregiver", "set_at"]
    search_fields = ["elder__name", "caregiver__name"]
    list_select_related = ["elder", "caregiver"]


@admin.register(Recurrence)
class RecurrenceAdmin(ReadOnlyAdmin):
    list_display = ["elder", "item", "weekdays", "start_time", "valid_from", "valid_to", "active"]
    list_filter = ["active"]
    search_fields = ["elder__name"]
    list_select_related = ["elder", "item"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "elder", "item", "status", "channel", "window_start", "provider", "caregiver", "amount"]
    list_filter = ["status", "channel"]
    search_fields = ["=id", "elder__name"]
    list_select_related = ["elder", "item", "provider", "caregiver"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["order", "from_status", "to_status", "actor", "at", "note"]
    list_filter = ["to_status"]
    search_fields = ["=order__id"]
    list_select_related = ["order", "actor"]


@admin.register(FraudFlag)
class FraudFlagAdmin(ReadOnlyAdmin):
    list_display = ["order", "kind", "detail", "created_at", "resolved_by", "resolution"]
    list_filter = ["kind"]
    search_fields = ["=order__id"]
    list_select_related = ["order", "resolved_by"]
