"""The elder registry (老年人档案)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from eldercare.core.crypto import EncryptedTextField


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years of age on `day` (the birthday itself counts)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class LivingStatus(models.TextChoices):
    ALONE = "alone", _("独居")
    EMPTY_NEST = "empty_nest", _("空巢（仅与配偶同住）")
    LEFT_BEHIND = "left_behind", _("留守")
    WITH_FAMILY = "with_family", _("与子女或亲属同住")
    IN_INSTITUTION = "in_institution", _("入住养老机构")


class ElderStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("已故")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class PriorityGroup(models.TextChoices):
    TEKUN = "tekun", _("特困")
    DIBAO = "dibao", _("低保")
    DIBAO_EDGE = "dibao_edge", _("低保边缘")
    EXPENDITURE_POOR = "expenditure_poor", _("支出型贫困")
    FAMILY_PLANNING_SPECIAL = "fp_special", _("计生特殊家庭")
    SEVERE_HANDICAP = "severe_handicap", _("重度残疾")
    DISABLED = "disabled", _("失能")
    DEMENTIA = "dementia", _("失智")
    # 孤寡: no spouse and no children to turn to (seed 004 watches them: “高齡獨居、孤寡等特殊困難老年人”).
    GUGUA = "gugua", _("孤寡")


# Groups derived from the ability assessment (assessments.services.assessment_make_effective):
# never entered by hand, so the assessment is the single source of every disability fact.
ASSESSED_GROUPS = frozenset({PriorityGroup.DISABLED})

# Groups that are health data: hidden from roles without the VIEW_HEALTH capability.
HEALTH_GROUPS = frozenset({PriorityGroup.SEVERE_HANDICAP, PriorityGroup.DISABLED, PriorityGroup.DEMENTIA})


class DisabilityLevel(models.TextChoices):
    MILD = "mild", _("轻度")
    MODERATE = "moderate", _("中度")
    SEVERE = "severe", _("重度")


class Household(models.Model):
    """A home in a community; several elders (a couple) may share one."""

    community = models.ForeignKey("regions.Region", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="households")
    address = models.CharField(_("地址"), max_length=200)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")

    def __str__(self) -> str:
        return self.address


class Elder(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号码"))
    # Keyed hash of the ID number: exact look-up and uniqueness without decrypting.
    id_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18, editable=False)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    hukou_region = models.ForeignKey(
        "regions.Region", verbose_name=_("户籍地"), on_delete=models.PROTECT, related_name="hukou_elders", null=True, blank=True
    )
    residence = models.ForeignKey("regions.Region", verbose_name=_("居住社区"), on_delete=models.PROTECT, related_name="resident_elders")
    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    phone_masked = models.CharField(_("联系电话（脱敏）"), max_length=20, blank=True, default="", editable=False)
    address = models.CharField(_("居住地址"), max_length=200, blank=True, default="")
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    living_status = models.CharField(_("居住状况"), max_length=20, choices=LivingStatus.choices, default=LivingStatus.WITH_FAMILY)
    status = models.CharField(_("档案状态"), max_length=20, choices=ElderStatus.choices, default=ElderStatus.ACTIVE)
    status_date = models.DateField(_("状态变更日期"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("本人账号"), on_delete=models.SET_NULL, null=True, blank=True, related_name="elder_profile"
    )
    notes = models.TextField(_("备注"), blank=True, default="")
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Active priority-group memberships, attached by `selectors.with_groups` (prefetch `to_attr`) and
    # `selectors.elder_get_with_groups`; absent on an elder loaded any other way.
    active_groups: list[ElderGroup]

    class Meta:
        verbose_name = _("老年人")
        verbose_name_plural = _("老年人")
        indexes = [
            # Subtree scans: residence code range, then status and age.
            models.Index(fields=["residence", "status", "birth_date"], name="elder_res_status_birth"),
            models.Index(fields=["living_status", "residence"], name="elder_living_res"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name="elder_lat_range"),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180), name="elder_lng_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_masked}）"

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth_date, day)


class ElderGroupQuerySet(models.QuerySet["ElderGroup"]):
    def active_on(self, day: dt.date) -> ElderGroupQuerySet:
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)


class ElderGroup(models.Model):
    """Membership of a priority group over a period (特困, 低保, 失能 …)."""

    elder = models.ForeignKey(Elder, verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="groups")
    group = models.CharField(_("重点人群"), max_length=20, choices=PriorityGroup.choices)
    level = models.CharField(_("程度"), max_length=10, choices=DisabilityLevel.choices, blank=True, default="")
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    source = models.CharField(_("依据（证书或文件编号）"), max_length=100, blank=True, default="")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ElderGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("重点人群身份")
        verbose_name_plural = _("重点人群身份")
        indexes = [models.Index(fields=["group", "valid_from", "valid_to"], name="eldergroup_group_dates")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="eldergroup_dates_ordered"),
            models.CheckConstraint(condition=~Q(group=PriorityGroup.DISABLED) | ~Q(level=""), name="eldergroup_disabled_has_level"),
            models.UniqueConstraint(fields=["elder", "group", "valid_from"], name="eldergroup_unique_start"),
        ]

    def __str__(self) -> str:
        label = self.get_group_display()
        return f"{label}（{self.get_level_display()}）" if self.level else str(label)

    @property
    def is_health(self) -> bool:
        return self.group in HEALTH_GROUPS


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    CHILD_IN_LAW = "child_in_law", _("子女配偶")
    GRANDCHILD = "grandchild", _("孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    RELATIVE = "relative", _("其他亲属")
    NEIGHBOUR = "neighbour", _("邻居")
    COMMUNITY = "community", _("社区")
    OTHER = "other", _("其他")


class Contact(models.Model):
    """A guardian or emergency contact, in the order they are called."""

    elder = models.ForeignKey(Elder, verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20, choices=Relation.choices)
    phone = EncryptedTextField(_("电话"))
    phone_masked = models.CharField(_("电话（脱敏）"), max_length=20, editable=False)
    is_guardian = models.BooleanField(_("监护人"), default=False)
    is_emergency = models.BooleanField(_("紧急联系人"), default=True)
    priority = models.PositiveSmallIntegerField(_("呼叫顺序"), default=1)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("家属账号"), on_delete=models.SET_NULL, null=True, blank=True, related_name="contact_of"
    )

    class Meta:
        verbose_name = _("监护人与紧急联系人")
        verbose_name_plural = _("监护人与紧急联系人")
        ordering = ["elder", "priority", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_relation_display()}）"


class ConsentKind(models.TextChoices):
    DATA_PROCESSING = "data_processing", _("个人信息采集与使用")
    DATA_SHARING = "data_sharing", _("向服务机构共享信息")
    DEVICE_MONITORING = "device_monitoring", _("智能设备监测")


class Consent(models.Model):
    """A consent given or withdrawn; the latest record of a kind is in force."""

    elder = models.ForeignKey(Elder, verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("授权事项"), max_length=30, choices=ConsentKind.choices)
    granted = models.BooleanField(_("同意"))
    signed_by = models.CharField(_("签署人"), max_length=50)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("授权同意")
        verbose_name_plural = _("授权同意")
        ordering = ["elder", "kind", "-recorded_at"]

    def __str__(self) -> str:
        verdict = "同意" if self.granted else "不同意"
        return f"{self.get_kind_display()}：{verdict}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


class ElderExport(models.Model):
    """A large registry export made in the background (`elders.exports`): who asked, for what, how far
    it got, and the file, which only its requester downloads and which is deleted after some days."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)  # selectors.ElderFilters as a dict
    query = models.CharField(_("列表查询"), max_length=500, blank=True, default="")  # the list's query string, to go back
    full_ids = models.BooleanField(_("完整身份证号"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已完成行数"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    file_name = models.CharField(_("文件"), max_length=100, blank=True, default="")  # in exports.export_dir()
    error = models.TextField(_("错误"), blank=True, default="")

    class Meta:
        verbose_name = _("老年人档案导出")
        verbose_name_plural = _("老年人档案导出")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-requested_at"], name="elder_export_by_user")]

    def __str__(self) -> str:
        return f"{self.requested_by} {self.requested_at:%Y-%m-%d %H:%M}"
