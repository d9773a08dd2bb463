"""The vocabularies of assessment records and policies (no database needed to import them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StandardCode(models.TextChoices):
    GBT_42195_2022 = "GB/T 42195-2022", _("GB/T 42195-2022 老年人能力评估规范")
    MZT_039_2013 = "MZ/T 039-2013", _("MZ/T 039-2013 老年人能力评估")


class LevelCode(models.TextChoices):
    """Ability levels across standards, most able first (the standards name them in their YAML)."""

    INTACT = "intact", _("能力完好")
    MILD = "mild", _("轻度失能")
    MODERATE = "moderate", _("中度失能")
    SEVERE = "severe", _("重度失能")
    COMPLETE_LOSS = "complete_loss", _("完全失能")


class CareCategory(models.TextChoices):
    SELF_CARING = "self_caring", _("自理")
    SEMI_DISABLED = "semi_disabled", _("半失能")
    DISABLED = "disabled", _("失能")


class DisabilityDegree(models.TextChoices):
    NONE = "none", _("无")
    MILD = "mild", _("轻度")
    MODERATE = "moderate", _("中度")
    SEVERE = "severe", _("重度")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    IN_PROGRESS = "in_progress", _("评估中")
    SUBMITTED = "submitted", _("已提交")
    REVIEWED = "reviewed", _("已审核")
    EFFECTIVE = "effective", _("已生效")
    CANCELLED = "cancelled", _("已取消")


class Reason(models.TextChoices):
    """评估原因 (GB/T 42195-2022 A.1.3; MZ/T 039-2013 A.1.3)."""

    FIRST = "first", _("首次评估")
    PERIODIC = "periodic", _("常规评估（定期复评）")
    CHANGE_OF_CONDITION = "change_of_condition", _("即时评估（状况发生变化）")
    DISPUTE = "dispute", _("因对评估结果有疑问进行的复评")
