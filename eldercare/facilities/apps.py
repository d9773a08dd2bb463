from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "eldercare.facilities"
    label = "facilities"
    verbose_name = "养老服务设施"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Stay)
