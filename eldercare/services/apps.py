from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "eldercare.services"
    label = "services"
    verbose_name = "上门服务"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Provider)
