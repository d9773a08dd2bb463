from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "eldercare.providers"
    label = "providers"
    verbose_name = _("服务商")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Provider, m2m_fields={"admins"})
        auditlog.register(models.ServiceArea)
