from django.apps import AppConfig


class EntitlementsConfig(AppConfig):
    name = "eldercare.entitlements"
    label = "entitlements"
    verbose_name = "补贴与津贴"

    def ready(self) -> None:
        from . import policy

        # A broken policy file stops the platform at start, not at the first month-end.
        policy.load_policies()
