from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _settle_orders(sender, settlement, **kwargs) -> None:
    from .services.orders import orders_settle

    orders_settle(region_code=settlement.region_id, month=settlement.month)


def _sync_catalog(sender, **kwargs) -> None:
    from .catalog import catalog_sync

    catalog_sync()


class HomecareConfig(AppConfig):
    name = "eldercare.homecare"
    label = "homecare"
    verbose_name = _("上门服务")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from eldercare.entitlements.signals import settlement_locked

        from . import catalog, models

        catalog.catalog_items()  # a broken catalogue stops the platform at start
        # The catalogue is data: every migrate brings the items in step with catalog.yaml.
        post_migrate.connect(_sync_catalog, sender=self)
        settlement_locked.connect(_settle_orders, dispatch_uid="homecare.settle_orders")
        auditlog.register(models.Caregiver, exclude_fields=["id_number", "phone"])
        auditlog.register(models.GuidePrice)
        auditlog.register(models.Preference)  # who set an elder's preferred caregiver, and when
        auditlog.register(models.Recurrence)
