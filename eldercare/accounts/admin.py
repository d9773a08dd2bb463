from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, SecurityEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "region", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["region"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("eldercare", {"fields": ("role", "region", "display_name", "password_changed_at")}))
    readonly_fields = ["password_changed_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "last_used_ip"]
    readonly_fields = ["prefix", "key_hash", "last_used_at", "last_used_ip"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read only: the security audit is written by the platform and kept as it was written."""

    list_display = ["at", "kind", "outcome", "username", "ip", "method", "path", "code"]
    list_filter = ["kind", "outcome"]
    search_fields = ["username", "ip", "path", "code"]
    date_hierarchy = "at"
    list_select_related = False
    show_full_result_count = False  # a count of millions of rows on every page is not worth its time

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
