"""The hash chain over audit rows (see `core.chain`)."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditPending(models.Model):
    """An audit row not sealed yet; a trigger on each audited table inserts it with the row."""

    source = models.CharField(_("来源"), max_length=60)
    row_id = models.BigIntegerField(_("记录号"))
    queued_at = models.DateTimeField(_("入队时间"), db_default=Now())

    class Meta:
        verbose_name = _("待封存审计记录")
        verbose_name_plural = _("待封存审计记录")

    def __str__(self) -> str:
        return f"{self.source}#{self.row_id}"


class AuditHead(models.Model):
    """The chain's head: the last seal's number and digest. One row, locked by the sealer, so two
    sealers never extend the chain at once."""

    seq = models.BigIntegerField(_("序号"), default=0)
    digest = models.CharField(_("摘要"), max_length=64, default="")

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"{self.seq} {self.digest[:12]}"


class AuditSeal(models.Model):
    """One link: the audit row (`source`, `row_id`) was sealed `seq`-th, with `digest` =
    SHA-256(`previous` ‖ the row's canonical content). Append-only."""

    seq = models.BigIntegerField(_("序号"), primary_key=True)
    source = models.CharField(_("来源"), max_length=60)
    row_id = models.BigIntegerField(_("记录号"))
    previous = models.CharField(_("前一摘要"), max_length=64)
    digest = models.CharField(_("摘要"), max_length=64)
    sealed_at = models.DateTimeField(_("封存时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审计封存")
        verbose_name_plural = _("审计封存")
        constraints = [models.UniqueConstraint(fields=["source", "row_id"], name="auditseal_one_per_row")]

    def __str__(self) -> str:
        return f"{self.seq} {self.source}#{self.row_id}"


class AuditArchive(models.Model):
    """Audit rows moved out to a file (older than the retention period): the chain continues from
    `digest`, the last archived seal's, and the file's own SHA-256 proves the file. Append-only."""

    up_to_seq = models.BigIntegerField(_("封存至序号"))
    digest = models.CharField(_("最后摘要"), max_length=64)
    before = models.DateTimeField(_("归档截止"))
    rows = models.PositiveIntegerField(_("记录数"))
    file_name = models.CharField(_("文件"), max_length=300)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64)
    at = models.DateTimeField(_("归档时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")
        ordering = ["up_to_seq"]

    def __str__(self) -> str:
        return f"≤{self.up_to_seq} ({self.rows})"
