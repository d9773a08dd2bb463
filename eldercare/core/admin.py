"""The back office's frame: its Chinese titles, Chinese names for the sections of the libraries
the platform uses, the read-only admin every app's records use, and the audit chain's tables.

The console is where records are written (its services check scope and write the audit trail);
the admin is for looking things up. Append-only tables (audit, ledger, events) are never
changed here, and no list or search shows or matches a full ID or phone number."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .models import AuditArchive, AuditSeal

admin.site.site_header = _("智慧养老服务平台 · 后台管理")
admin.site.site_title = _("智慧养老服务平台后台")
admin.site.index_title = _("数据管理")

# The sections of the libraries, named in Chinese (the libraries' own translations lack them; an
# app's name is not part of any migration, unlike a model's, whose Chinese names come from the
# translation files).
LIBRARY_SECTIONS = {"auditlog": "审计日志", "django_tasks_database": "后台任务", "axes": "登录防护", "otp_totp": "双因素认证"}
for config in apps.get_app_configs():
    if config.label in LIBRARY_SECTIONS:
        config.verbose_name = LIBRARY_SECTIONS[config.label]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: the record is written by the platform's services (or is append-only)."""

    show_full_result_count = False  # no count of millions of rows on every page

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ["seq", "source", "row_id", "sealed_at"]
    list_filter = ["source"]
    date_hierarchy = "sealed_at"


@admin.register(AuditArchive)
class AuditArchiveAdmin(ReadOnlyAdmin):
    list_display = ["at", "up_to_seq", "before", "rows", "file_name"]


# Names the admin shows for third-party models whose packages ship no zh-Hans translation (django-axes,
# django-tasks-db): marked here so that makemessages keeps them in the platform's own catalogue.
THIRD_PARTY_NAMES = [
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
]
