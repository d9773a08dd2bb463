from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class AccountsConfig(AppConfig):
    name = "eldercare.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import security  # noqa: F401  (connects the audit to the auth signals)
        from .models import User
        from .roles import Role

        auditlog.register(User, exclude_fields=["password", "last_login", "password_changed_at"])
        for name in ("ELDERCARE_OTP_REQUIRED_ROLES", "ELDERCARE_PASSWORD_EXPIRY_ROLES"):
            unknown = set(getattr(settings, name)) - set(Role.values)
            if unknown:
                raise ImproperlyConfigured(f"{name} names no role {', '.join(sorted(unknown))}; roles are {', '.join(Role.values)} (or none)")
