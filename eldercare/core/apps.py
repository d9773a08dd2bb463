from django.apps import AppConfig
from django.conf import settings


def _grant_app_role(sender, using="default", **kwargs):
    """After migrations (run by the owner), the application role's grants again: new tables
    included, append-only ones without UPDATE or DELETE (`core.dbroles`)."""
    from django.db import connections

    role = getattr(settings, "ELDERCARE_DB_APP_ROLE", "")
    if role and sender.label == "core" and connections[using].vendor == "postgresql":
        from .dbroles import grant_app_role

        grant_app_role(role)


class CoreConfig(AppConfig):
    name = "eldercare.core"
    label = "core"
    verbose_name = "审计链"

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from django.db.models.signals import post_migrate, pre_delete, pre_save

        # The audit log is append-only: an entry is never saved twice nor deleted through the
        # ORM (the database refuses it too: `core.appendonly`).
        def refuse_change(sender, instance, **kwargs):
            if not instance._state.adding:
                raise TypeError("audit entries are append-only")

        def refuse_delete(sender, instance, **kwargs):
            raise TypeError("audit entries are append-only")

        post_migrate.connect(_grant_app_role, dispatch_uid="core.grant_app_role")
        pre_save.connect(refuse_change, sender=LogEntry, weak=False, dispatch_uid="core.audit_append_only_save")
        pre_delete.connect(refuse_delete, sender=LogEntry, weak=False, dispatch_uid="core.audit_append_only_delete")
