from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "eldercare.assessments"
    label = "assessments"
    verbose_name = "能力评估"
