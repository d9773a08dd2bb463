from django.apps import AppConfig


class EldersConfig(AppConfig):
    name = "eldercare.elders"
    label = "elders"
    verbose_name = "老年人档案"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        masked = "eldercare.elders.idnumber.mask"
        auditlog.register(
            models.Elder,
            exclude_fields=["id_hash", "id_masked", "phone_masked", "updated_at"],
            mask_fields=["id_number", "phone"],
            mask_callable=masked,
        )
        auditlog.register(models.ElderGroup)
        auditlog.register(models.Contact, exclude_fields=["phone_masked"], mask_fields=["phone"], mask_callable=masked)
        auditlog.register(models.Consent)
        auditlog.register(models.Household)
