from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "eldercare.console"
    label = "console"
    verbose_name = "管理控制台"

    def ready(self) -> None:
        from django.db.models import fields

        # The empty choice of every select made from a model (the console's and the admin's):
        # Django's "- Select an option -" has no Chinese translation yet. Django lets an app's
        # ready() set it (django.db.models.fields.BLANK_CHOICE_LABEL).
        fields.BLANK_CHOICE_LABEL = _("请选择…")
