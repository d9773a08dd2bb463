"""Door-to-door services (上门服务): the catalogue and its guide prices, providers' caregivers, and
orders from request to settlement.

An order's status moves only through `homecare.services.orders` (one function per transition, each
writing an `OrderEvent`); what a check-in or check-out looks suspicious about becomes a `FraudFlag`
for supervisors, never a silent drop.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.core.crypto import EncryptedTextField
from eldercare.providers.models import Provider


class ServiceCategory(models.Model):
    """A kind of service the seeds name (助餐 … 安宁疗护): data from `catalog.yaml`, each with the seed
    that says it, synchronised on every migrate."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    citation = models.TextField(_("依据"), blank=True, default="")
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("服务类别")
        verbose_name_plural = _("服务类别")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class ChargeUnit(models.TextChoices):
    VISIT = "visit", _("次")
    HOUR = "hour", _("小时")


class VocationalLevel(models.IntegerChoices):
    """养老护理员 vocational skill levels (国家职业技能标准《养老护理员》2019年版): 1 is the highest."""

    SENIOR_TECHNICIAN = 1, _("一级/高级技师")
    TECHNICIAN = 2, _("二级/技师")
    SENIOR = 3, _("三级/高级工")
    INTERMEDIATE = 4, _("四级/中级工")
    JUNIOR = 5, _("五级/初级工")


class ServiceItem(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    # The column holds the category's code (it was a fixed list before the categories became data).
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("类别"), to_field="code", db_column="category", on_delete=models.PROTECT, related_name="items"
    )
    unit = models.CharField(_("计价单位"), max_length=10, choices=ChargeUnit.choices)
    minutes = models.PositiveIntegerField(_("标准时长（分钟）"))
    min_level = models.PositiveSmallIntegerField(
        _("最低职业等级"), choices=VocationalLevel.choices, null=True, blank=True, help_text=_("空：无需证书")
    )
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["category", "code"]
        constraints = [models.CheckConstraint(condition=Q(minutes__gt=0), name="item_minutes_positive")]

    def __str__(self) -> str:
        return self.name


class GuidePrice(models.Model):
    """The government guide price of an item in a region (and everything below it) over a period."""

    item = models.ForeignKey(ServiceItem, verbose_name=_("服务项目"), on_delete=models.PROTECT, related_name="prices")
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    price = models.PositiveIntegerField(_("指导价（分/计价单位）"))
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    document = models.CharField(_("依据文件"), max_length=200)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("政府指导价")
        verbose_name_plural = _("政府指导价")
        ordering = ["item", "region", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["item", "region", "valid_from"], name="price_unique_start"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="price_dates_ordered"),
            models.CheckConstraint(condition=Q(price__gt=0), name="price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.region} {self.price / 100:.2f}"


class Caregiver(models.Model):
    provider = models.ForeignKey(Provider, verbose_name=_("服务商"), on_delete=models.PROTECT, related_name="caregivers")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.SET_NULL, null=True, blank=True, related_name="caregiver"
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号码"))
    id_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18, editable=False)
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    level = models.PositiveSmallIntegerField(_("职业等级"), choices=VocationalLevel.choices, null=True, blank=True)
    certificate_number = models.CharField(_("职业技能等级证书编号"), max_length=50, blank=True, default="")
    certificate_expires = models.DateField(_("证书有效期至"), null=True, blank=True)
    categories = models.JSONField(_("服务类别"), default=list, blank=True)  # codes of the ServiceCategory the caregiver does
    latitude = models.DecimalField(_("常驻点纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("常驻点经度"), max_digits=9, decimal_places=6)
    # Weekly hours: {"1": [["08:00", "12:00"], ["13:30", "17:30"]], …} (1 = Monday … 7 = Sunday).
    hours = models.JSONField(_("工作时间"), default=dict, blank=True)
    max_daily_orders = models.PositiveSmallIntegerField(_("每日最多接单"), default=8)
    active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)  # matching's index follows it

    class Meta:
        verbose_name = _("护理员")
        verbose_name_plural = _("护理员")
        ordering = ["provider", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="caregiver_lat_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="caregiver_lng_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Preference(models.Model):
    """The caregiver an elder asks for again: matching prefers them when they can come."""

    elder = models.OneToOneField("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="preferred_caregiver")
    caregiver = models.ForeignKey(Caregiver, verbose_name=_("护理员"), on_delete=models.CASCADE, related_name="+")
    set_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("指定护理员")
        verbose_name_plural = _("指定护理员")

    def __str__(self) -> str:
        return f"{self.elder_id} → {self.caregiver}"


class Recurrence(models.Model):
    """A standing order (cleaning every Tuesday at 9): occurrences become orders ahead of time."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="recurrences")
    item = models.ForeignKey(ServiceItem, verbose_name=_("服务项目"), on_delete=models.PROTECT, related_name="+")
    weekdays = models.JSONField(_("每周几"))  # 1 = Monday … 7 = Sunday
    start_time = models.TimeField(_("开始时间"))
    window_minutes = models.PositiveIntegerField(_("时段长度（分钟）"))
    quantity = models.PositiveIntegerField(_("数量（次或分钟）"))
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("周期服务")
        verbose_name_plural = _("周期服务")
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="recurrence_dates_ordered"),
            models.CheckConstraint(condition=Q(window_minutes__gt=0, quantity__gt=0), name="recurrence_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.weekdays} {self.start_time:%H:%M}"


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", _("待派单")
    MATCHED = "matched", _("已匹配")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("已接单")
    EN_ROUTE = "en_route", _("前往中")
    CHECKED_IN = "checked_in", _("服务中")
    CHECKED_OUT = "checked_out", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    SETTLED = "settled", _("已结算")
    CANCELLED = "cancelled", _("已取消")
    NO_SHOW = "no_show", _("未履约")


class Channel(models.TextChoices):
    ELDER = "elder", _("老人本人")
    FAMILY = "family", _("家属")
    COMMUNITY = "community", _("社区代办")
    PHONE = "phone", _("电话坐席")
    CARE_PLAN = "care_plan", _("照护计划")
    ALARM = "alarm", _("紧急呼叫")


class Order(models.Model):
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="orders")
    item = models.ForeignKey(ServiceItem, verbose_name=_("服务项目"), on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField(_("数量（次或分钟）"))  # visits, or minutes for hourly items
    status = models.CharField(_("状态"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.REQUESTED)
    channel = models.CharField(_("来源"), max_length=12, choices=Channel.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("下单人"), on_delete=models.PROTECT, related_name="+")
    window_start = models.DateTimeField(_("预约开始"))
    window_end = models.DateTimeField(_("预约结束"))
    # Where the service happens: the elder's home at the time of the request.
    region = models.ForeignKey("regions.Region", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    provider = models.ForeignKey(Provider, verbose_name=_("服务商"), on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    caregiver = models.ForeignKey(
        Caregiver, verbose_name=_("护理员"), on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    match_note = models.TextField(_("匹配说明"), blank=True, default="")
    unit_price = models.PositiveIntegerField(_("单价（分）"), null=True, blank=True)  # the guide price when confirmed
    amount = models.PositiveIntegerField(_("金额（分）"), null=True, blank=True)
    paid_by_allowance = models.PositiveIntegerField(_("津贴支付（分）"), default=0)
    allowance_minutes = models.PositiveIntegerField(_("使用津贴时长（分钟）"), default=0)
    self_pay = models.PositiveIntegerField(_("自付（分）"), default=0)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkin_latitude = models.DecimalField(_("签到纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_longitude = models.DecimalField(_("签到经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    record = models.TextField(_("服务记录"), blank=True, default="")
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=300, blank=True, default="")
    reason = models.CharField(_("取消或未履约原因"), max_length=300, blank=True, default="")
    note = models.CharField(_("备注"), max_length=300, blank=True, default="")
    recurrence = models.ForeignKey(
        Recurrence, verbose_name=_("周期服务"), on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    occurrence = models.DateField(_("周期日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务工单")
        verbose_name_plural = _("服务工单")
        ordering = ["-window_start"]
        indexes = [
            models.Index(fields=["region", "status"], name="order_region_status"),
            models.Index(fields=["caregiver", "window_start"], name="order_caregiver_window"),
            models.Index(fields=["elder", "window_start"], name="order_elder_window"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="order_window_ordered"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="order_rating_range"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount=F("paid_by_allowance") + F("self_pay")), name="order_split_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "cancelled"]) | Q(caregiver__isnull=False, provider__isnull=False),
                name="order_assigned_after_request",
            ),
            # Generating a standing order's occurrences twice makes each order once.
            models.UniqueConstraint(
                fields=["recurrence", "occurrence"], condition=Q(recurrence__isnull=False), name="order_one_per_occurrence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.elder_id} · {self.window_start:%Y-%m-%d %H:%M}"


class OrderEvent(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("原状态"), max_length=12, choices=OrderStatus.choices, blank=True, default="")
    to_status = models.CharField(_("新状态"), max_length=12, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("工单流转记录")
        verbose_name_plural = _("工单流转记录")
        ordering = ["order", "at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class FlagKind(models.TextChoices):
    FAR_CHECKIN = "far_checkin", _("签到位置远离老人住址")
    TOO_SHORT = "too_short", _("服务时长过短")
    OVERLAP = "overlap", _("同一护理员服务时间重叠")
    DUPLICATE = "duplicate", _("同一服务重复计费")


class FraudFlag(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("类型"), max_length=20, choices=FlagKind.choices)
    detail = models.CharField(_("详情"), max_length=300)
    other = models.ForeignKey(Order, verbose_name=_("相关工单"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(_("处理结果"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("服务异常标记")
        verbose_name_plural = _("服务异常标记")
        ordering = ["-created_at"]
        constraints = [
            # A flag is raised once per order, kind and (for pairs) other order: re-checks add nothing.
            models.UniqueConstraint(fields=["order", "kind", "other"], condition=Q(other__isnull=False), name="flag_once_pair"),
            models.UniqueConstraint(fields=["order", "kind"], condition=Q(other__isnull=True), name="flag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}"
