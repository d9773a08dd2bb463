"""Home care beds, the devices in elders' homes, what they report, and the alarms they raise.

Device messages are idempotent by (device, message id) and carry their own event time, separate
from the time they arrived: they may come twice, late or out of order. A message that cannot be
read goes to the dead-letter table with the reason. An alarm is committed before the device is
acknowledged, and lives on until resolved.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeviceKind(models.TextChoices):
    BUTTON = "button", _("一键呼叫按钮")
    WATER = "water", _("智能水表")
    GAS = "gas", _("智能燃气表")
    DOOR = "door", _("门磁")
    MOTION = "motion", _("人体感应")
    SMOKE = "smoke", _("烟感")
    WEARABLE = "wearable", _("跌倒检测手环")
    BED = "bed", _("护理床传感器")


class Event(models.TextChoices):
    """What a device message reports (its `kind` on the wire); the first three raise an alarm."""

    BUTTON = "button", _("按下呼叫")
    FALL = "fall", _("跌倒")
    SMOKE = "smoke", _("烟雾报警")
    WATER = "water", _("用水")
    GAS = "gas", _("用气")
    DOOR = "door", _("开关门")
    MOTION = "motion", _("有人活动")
    BED_EXIT = "bed_exit", _("离床")
    HEARTBEAT = "heartbeat", _("心跳")


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    FAULTY = "faulty", _("故障")
    REMOVED = "removed", _("已拆除")


class HomeCareBed(models.Model):
    """家庭养老床位: a home set up for care under contract with a provider."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="home_beds")
    provider = models.ForeignKey("providers.Provider", verbose_name=_("签约服务商"), on_delete=models.PROTECT, related_name="home_beds")
    contract_number = models.CharField(_("合同编号"), max_length=50, unique=True)
    starts = models.DateField(_("签约日期"))
    ends = models.DateField(_("终止日期"), null=True, blank=True)
    # Installed equipment: [{"item": "护理床", "installed": "2026-03-02"}, {"item": "扶手"}, {"item": "防滑垫"}…]
    equipment = models.JSONField(_("适老化改造与设备"), default=list, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("家庭养老床位")
        verbose_name_plural = _("家庭养老床位")
        constraints = [models.CheckConstraint(condition=Q(ends__isnull=True) | Q(ends__gte=F("starts")), name="bed_dates_ordered")]

    def __str__(self) -> str:
        return self.contract_number


class BedRecord(models.Model):
    class Kind(models.TextChoices):
        INSPECTION = "inspection", _("巡检")
        SERVICE = "service", _("服务")
        REPAIR = "repair", _("维修")

    bed = models.ForeignKey(HomeCareBed, verbose_name=_("床位"), on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    on = models.DateField(_("日期"))
    note = models.TextField(_("记录"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("床位巡检与服务记录")
        verbose_name_plural = _("床位巡检与服务记录")
        ordering = ["bed", "-on"]

    def __str__(self) -> str:
        return f"{self.bed} {self.on} {self.get_kind_display()}"


class Device(models.Model):
    serial = models.CharField(_("设备编号"), max_length=64, unique=True)  # what the device calls itself on the wire
    kind = models.CharField(_("类型"), max_length=12, choices=DeviceKind.choices)
    # Indexed by device_elder_kind (elder first); a second index would only slow the last-seen updates.
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="devices", db_index=False)
    bed = models.ForeignKey(
        HomeCareBed, verbose_name=_("家庭养老床位"), on_delete=models.SET_NULL, null=True, blank=True, related_name="devices"
    )
    status = models.CharField(_("状态"), max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE)
    battery = models.PositiveSmallIntegerField(_("电量（%）"), null=True, blank=True)
    last_seen = models.DateTimeField(_("最近上报"), null=True, blank=True)
    installed_at = models.DateTimeField(_("安装时间"), default=timezone.now)

    class Meta:
        verbose_name = _("智能设备")
        verbose_name_plural = _("智能设备")
        indexes = [models.Index(fields=["elder", "kind"], name="device_elder_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"


class Reading(models.Model):
    """One device message, as it happened (`at`) and as it arrived (`received_at`).

    The busiest table: one index only. The primary key (device, at, msg_id) is both what makes a
    repeated message a duplicate (a repeat carries the same time and id) and the index the rules
    read a device's readings by time with. No database foreign key either (its check cost a third of
    every insert): readings are only written for a device looked up in the same statement, devices
    are retired (status), not deleted, and deleting one through Django still deletes its readings."""

    pk = models.CompositePrimaryKey("device", "at", "message_id")
    device = models.ForeignKey(
        Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="readings", db_constraint=False, db_index=False
    )
    message_id = models.CharField(_("消息编号"), max_length=64)
    kind = models.CharField(_("事件"), max_length=16, choices=Event.choices)
    value = models.FloatField(_("读数"), null=True, blank=True)
    at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("到达时间"))

    class Meta:
        verbose_name = _("设备上报")
        verbose_name_plural = _("设备上报")

    def __str__(self) -> str:
        return f"{self.device_id} {self.kind} {self.at}"


class DailyUsage(models.Model):
    """A device's day, kept long after its raw readings are purged (ELDERCARE_READING_RETENTION_DAYS)."""

    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("日期"))
    kind = models.CharField(_("事件"), max_length=16)
    readings = models.PositiveIntegerField(_("上报条数"))
    total = models.FloatField(_("读数合计"), null=True, blank=True)
    first_at = models.DateTimeField(_("首次"))
    last_at = models.DateTimeField(_("末次"))

    class Meta:
        verbose_name = _("设备日汇总")
        verbose_name_plural = _("设备日汇总")
        constraints = [models.UniqueConstraint(fields=["device", "day", "kind"], name="daily_usage_once")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.day} {self.kind}"


class DeadLetter(models.Model):
    """A message that could not be read, kept with the reason (and never crashing the consumer).

    Kept once per sender and bytes (`digest`, the SHA-256 of the payload as received): a device that
    repeats a message nobody can read adds nothing. The payload is kept cut short (`ingest.KEEP_BYTES`)."""

    source = models.CharField(_("来源（主题或接口）"), max_length=200)
    payload = models.TextField(_("原始内容"))
    reason = models.CharField(_("原因"), max_length=300)
    received_at = models.DateTimeField(_("到达时间"), default=timezone.now)
    # Null on letters kept before digests were taken (their bytes are not known any more).
    digest = models.CharField(_("内容摘要（SHA-256）"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("无法解析的消息")
        verbose_name_plural = _("无法解析的消息")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "digest"], name="dead_letter_once")]

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class Gateway(models.Model):
    """A device gateway posting readings over HTTP with its own bearer token (stored hashed)."""

    name = models.CharField(_("名称"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("设备网关")
        verbose_name_plural = _("设备网关")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class AlarmSource(models.TextChoices):
    BUTTON = "button", _("一键呼叫")
    FALL = "fall", _("跌倒")
    SMOKE = "smoke", _("烟雾")
    WARNING = "warning", _("异常预警")


class AlarmStatus(models.TextChoices):
    RAISED = "raised", _("待响应")
    ACKNOWLEDGED = "acknowledged", _("已响应")
    DISPATCHED = "dispatched", _("已派人")
    RESOLVED = "resolved", _("已处置")


class Responder(models.TextChoices):
    CAREGIVER = "caregiver", _("护理员")
    FAMILY = "family", _("家属")
    COMMUNITY = "community", _("社区工作者")
    EMERGENCY = "emergency", _("120急救")


class Alarm(models.Model):
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="alarms")
    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.SET_NULL, null=True, blank=True, related_name="alarms")
    # The reading that raised it is the device's message `message_id` at `raised_at` (kept past retention).
    message_id = models.CharField(_("触发上报"), max_length=64, blank=True, default="")
    source = models.CharField(_("来源"), max_length=10, choices=AlarmSource.choices)
    detail = models.CharField(_("说明"), max_length=300, blank=True, default="")
    region = models.ForeignKey("regions.Region", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=AlarmStatus.choices, default=AlarmStatus.RAISED)
    raised_at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("响应人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("派人时间"), null=True, blank=True)
    responder = models.CharField(_("处置人员"), max_length=12, choices=Responder.choices, blank=True, default="")
    responder_name = models.CharField(_("处置人"), max_length=100, blank=True, default="")
    resolved_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    outcome = models.CharField(_("处置结果"), max_length=300, blank=True, default="")
    # Escalation: who has been called so far along the chain, and when the next call is due.
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    next_escalation_at = models.DateTimeField(_("下次升级时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("紧急呼叫与告警")
        verbose_name_plural = _("紧急呼叫与告警")
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["region", "status"], name="alarm_region_status"),
            # The escalation sweep's query: raised alarms by due time.
            models.Index(fields=["next_escalation_at"], name="alarm_escalation_due", condition=Q(status="raised")),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.elder_id} {self.raised_at:%Y-%m-%d %H:%M}"

    @property
    def reading(self) -> Reading | None:
        if not self.message_id or self.device_id is None:
            return None
        return Reading.objects.filter(device_id=self.device_id, at=self.raised_at, message_id=self.message_id).first()


class AlarmStep(models.TextChoices):
    RAISED = "raised", _("发生")
    ACKNOWLEDGED = "acknowledged", _("响应")
    DISPATCHED = "dispatched", _("派人")
    RESOLVED = "resolved", _("处置完成")
    ESCALATED = "escalated", _("升级呼叫")


class AlarmEvent(models.Model):
    alarm = models.ForeignKey(Alarm, verbose_name=_("告警"), on_delete=models.CASCADE, related_name="events")
    what = models.CharField(_("事项"), max_length=20, choices=AlarmStep.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("告警处置记录")
        verbose_name_plural = _("告警处置记录")
        ordering = ["alarm", "at", "id"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.what}"


class WarningStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CLOSED = "closed", _("已处理")


class WarningAction(models.TextChoices):
    ALARM = "alarm", _("告警")
    VISIT = "visit", _("上门探访")


class EarlyWarning(models.Model):
    """An early warning for an elder (a rule of `rules.yaml` that fired): an alarm, or a visit to pay."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="warnings")
    rule = models.CharField(_("规则"), max_length=40)
    detail = models.CharField(_("说明"), max_length=300)
    action = models.CharField(_("处置方式"), max_length=10, choices=WarningAction.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=WarningStatus.choices, default=WarningStatus.OPEN)
    alarm = models.OneToOneField(Alarm, verbose_name=_("告警"), on_delete=models.SET_NULL, null=True, blank=True, related_name="warning")
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    # What the visit found, as the community worker recorded it on closing.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    findings = models.TextField(_("探访情况"), blank=True, default="")
    seen_in_person = models.BooleanField(_("见到本人"), null=True, blank=True)

    class Meta:
        verbose_name = _("异常预警")
        verbose_name_plural = _("异常预警")
        ordering = ["-created_at"]
        constraints = [
            # One open warning per elder and rule: a sweep that finds it again adds nothing.
            models.UniqueConstraint(fields=["elder", "rule"], condition=Q(status="open"), name="warning_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.elder_id}"
