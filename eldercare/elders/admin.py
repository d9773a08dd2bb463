"""The registry in the back office, to look up (the console registers and edits, through the
services that hash, mask and audit): no full ID or phone number is listed, searched or shown."""

from django.contrib import admin

from eldercare.core.admin import ReadOnlyAdmin

from .models import Consent, Contact, Elder, ElderGroup, Household

SECRET = ["id_number", "id_hash", "phone"]


@admin.register(Elder)
class ElderAdmin(ReadOnlyAdmin):
    list_display = ["name", "id_masked", "sex", "birth_date", "residence", "living_status", "status"]
    list_filter = ["status", "living_status", "sex"]
    search_fields = ["name"]  # by name only: an ID number is found in the console, audited
    list_select_related = ["residence"]
    exclude = SECRET
    readonly_fields = ["id_masked", "phone_masked"]


@admin.register(ElderGroup)
class ElderGroupAdmin(ReadOnlyAdmin):
    list_display = ["elder", "group", "level", "valid_from", "valid_to", "source"]
    list_filter = ["group", "level"]
    search_fields = ["elder__name"]
    list_select_related = ["elder"]


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["name", "relation", "phone_masked", "elder", "is_guardian", "is_emergency", "priority"]
    list_filter = ["relation", "is_guardian", "is_emergency"]
    search_fields = ["name", "elder__name"]
    list_select_related = ["elder"]
    exclude = ["phone"]
    readonly_fields = ["phone_masked"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["elder", "kind", "granted", "signed_by", "recorded_at", "recorded_by"]
    list_filter = ["kind", "granted"]
    search_fields = ["elder__name", "signed_by"]
    list_select_related = ["elder", "recorded_by"]


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["id", "community", "address", "created_at"]
    search_fields = ["address"]
    list_select_related = ["community"]
