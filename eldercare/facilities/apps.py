from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "eldercare.facilities"
    label = "facilities"
    verbose_name = "养老服务设施"
