"""Allowance accounts and their append-only ledger.

One account per elder, benefit and month, opened by the month's issuance. Its balance moves only
by ledger entries written in the same transaction, under a row lock on the account; every entry
carries an idempotency key, so a retried request or a re-run job writes nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.core.appendonly import AppendOnly


class Unit(models.TextChoices):
    MINUTES = "minutes", _("分钟")
    FEN = "fen", _("分（人民币）")


class EntryKind(models.TextChoices):
    ISSUE = "issue", _("发放")
    SPEND = "spend", _("使用")
    REVERSE = "reverse", _("冲正")
    EXPIRE = "expire", _("过期作废")
    ADJUST = "adjust", _("调整")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class IssuanceRun(models.Model):
    """One issuance of a month's allowances for a region subtree (a background task)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    elders_considered = models.PositiveIntegerField(_("纳入核算人数"), default=0)
    accounts_opened = models.PositiveIntegerField(_("新开账户"), default=0)
    summary = models.JSONField(_("汇总"), default=dict, blank=True)  # benefit code → {accounts, amount}; skipped benefits
    error = models.TextField(_("错误"), blank=True, default="")

    class Meta:
        verbose_name = _("津贴发放批次")
        verbose_name_plural = _("津贴发放批次")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="run_month_first_day"),
            # One run of a region and month works at a time (a second start fails on this).
            models.UniqueConstraint(fields=["region", "month"], condition=Q(status="running"), name="run_one_running"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.month:%Y-%m}"


class Account(models.Model):
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="allowance_accounts")
    policy = models.CharField(_("政策"), max_length=60)
    benefit = models.CharField(_("待遇"), max_length=60)
    month = models.DateField(_("月份"))
    unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices)
    tier = models.CharField(_("档次"), max_length=40)
    # Where the elder lived when it was issued: scoping and per-region settlement read this.
    region = models.ForeignKey("regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="+")
    issued = models.BigIntegerField(_("核定额度"))
    balance = models.BigIntegerField(_("余额"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    # Benefits paid for a stay are owed to the facility of the stay (the one with the most days).
    facility = models.ForeignKey(
        "facilities.Institution", verbose_name=_("入住机构"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(
        IssuanceRun, verbose_name=_("发放批次"), on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    created_at = models.DateTimeField(_("开户时间"), default=timezone.now)

    class Meta:
        verbose_name = _("津贴账户")
        verbose_name_plural = _("津贴账户")
        constraints = [
            models.UniqueConstraint(fields=["elder", "policy", "benefit", "month"], name="account_one_per_month"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="account_balance_not_negative"),
            models.CheckConstraint(condition=Q(month__day=1), name="account_month_first_day"),
        ]
        indexes = [
            models.Index(fields=["region", "month"], name="account_region_month"),
            models.Index(fields=["month", "policy", "benefit"], name="account_month_benefit"),
            # The expiry sweep's query: only accounts still holding something.
            models.Index(fields=["expires_on"], name="account_expiring", condition=Q(balance__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.policy}/{self.benefit} {self.month:%Y-%m}"

    @property
    def benefit_code(self) -> str:
        return f"{self.policy}/{self.benefit}"

    @property
    def benefit_name(self) -> str:
        from .policy import get_policy

        try:
            return get_policy(self.policy).benefits[self.benefit].name
        except KeyError:  # a policy file since withdrawn
            return self.benefit


class Entry(AppendOnly):
    account = models.ForeignKey(Account, verbose_name=_("账户"), on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices)
    amount = models.BigIntegerField(_("金额（带符号）"))
    balance_after = models.BigIntegerField(_("发生后余额"))
    key = models.CharField(_("幂等键"), max_length=150, unique=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("冲正的记录"), on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    reference = models.CharField(_("业务单据"), max_length=100, blank=True, default="")  # e.g. the service order
    # Spends and their reversals: who delivered the service, and what it is worth to them in fen
    # (the hours' price; for yuan benefits the amount itself). Settlement sums these.
    provider = models.ForeignKey(
        "providers.Provider", verbose_name=_("服务商"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value = models.BigIntegerField(_("结算金额（分）"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("发生时间"), default=timezone.now)

    class Meta:
        verbose_name = _("津贴流水")
        verbose_name_plural = _("津贴流水")
        ordering = ["account", "id"]
        indexes = [models.Index(fields=["account", "id"], name="entry_account")]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="entry_balance_not_negative"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[EntryKind.ISSUE, EntryKind.REVERSE], amount__gt=0)
                    | Q(kind__in=[EntryKind.SPEND, EntryKind.EXPIRE], amount__lt=0)
                    | (Q(kind=EntryKind.ADJUST) & ~Q(amount=0))
                ),
                name="entry_sign_by_kind",
            ),
            models.CheckConstraint(condition=Q(reverses__isnull=True) | Q(kind=EntryKind.REVERSE), name="entry_only_reversal_reverses"),
            models.CheckConstraint(
                condition=~Q(kind__in=[EntryKind.SPEND, EntryKind.REVERSE]) | Q(provider__isnull=False, value__isnull=False),
                name="entry_spend_has_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class SettlementStatus(models.TextChoices):
    OPEN = "open", _("待确认")
    LOCKED = "locked", _("已锁定")


class Settlement(models.Model):
    """What the government owes for a month in a region, line by line; once locked, the month's
    accounts in the region can no longer change."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.OPEN)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编制人"), on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(_("编制时间"), default=timezone.now)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("锁定人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    total = models.BigIntegerField(_("应付合计（分）"), default=0)

    class Meta:
        verbose_name = _("月度结算")
        verbose_name_plural = _("月度结算")
        ordering = ["-month", "region"]
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="settlement_one_per_region_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="settlement_month_first_day"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(locked_by__isnull=False, locked_at__isnull=False), name="settlement_locked_has_who"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.month:%Y-%m}"


class SettlementLine(models.Model):
    settlement = models.ForeignKey(Settlement, verbose_name=_("结算"), on_delete=models.CASCADE, related_name="lines")
    provider = models.ForeignKey(
        "providers.Provider", verbose_name=_("服务商"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facility = models.ForeignKey(
        "facilities.Institution", verbose_name=_("机构"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    policy = models.CharField(_("政策"), max_length=60)
    benefit = models.CharField(_("待遇"), max_length=60)
    unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices)
    quantity = models.BigIntegerField(_("数量（分钟或分）"))
    amount = models.BigIntegerField(_("应付金额（分）"))
    records = models.PositiveIntegerField(_("记录数"))
    elders = models.PositiveIntegerField(_("服务人数"))

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = _("结算明细")
        ordering = ["settlement", "policy", "benefit", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(provider__isnull=False, facility__isnull=True) | Q(provider__isnull=True, facility__isnull=False),
                name="line_one_payee",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider or self.facility} {self.policy}/{self.benefit}"
