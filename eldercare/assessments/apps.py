from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "eldercare.assessments"
    label = "assessments"
    verbose_name = "能力评估"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Assessment, exclude_fields=["updated_at"])
        auditlog.register(models.AssessorQualification)
