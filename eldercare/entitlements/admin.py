"""The allowance ledger in the back office: every table here is written by the entitlement services
only (issuance, spending, settlement), and the entries are append-only."""

from django.contrib import admin

from eldercare.core.admin import ReadOnlyAdmin

from .models import Account, Entry, IssuanceRun, Settlement, SettlementLine


@admin.register(IssuanceRun)
class IssuanceRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "region", "month", "status", "elders_considered", "accounts_opened", "requested_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["region"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "elder", "policy", "benefit", "tier", "month", "issued", "balance", "expires_on"]
    list_filter = ["policy", "benefit", "month"]
    search_fields = ["=id", "elder__name"]
    list_select_related = ["elder"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "kind", "amount", "balance_after", "reference", "at"]
    list_filter = ["kind"]
    search_fields = ["=account__id", "reference"]
    list_select_related = ["account"]


class SettlementLineInline(admin.TabularInline):
    model = SettlementLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("provider", "facility", "policy", "benefit", "unit", "quantity", "amount", "records", "elders")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["id", "region", "month", "status", "prepared_by", "prepared_at", "locked_at"]
    list_filter = ["status"]
    list_select_related = ["region", "prepared_by"]
    inlines = [SettlementLineInline]
