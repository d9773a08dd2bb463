from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "eldercare.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import User

        auditlog.register(User, exclude_fields=["password", "last_login"])
