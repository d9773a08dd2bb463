from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "eldercare.devices"
    label = "devices"
    verbose_name = "智能设备与紧急呼叫"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.HomeCareBed)
        auditlog.register(models.Device, exclude_fields=["last_seen", "battery"])
