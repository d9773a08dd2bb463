"""Service providers: the organisations the platform pays (home-care companies, service centres'
operators, institutions' operators), each registered with its unified social credit code and the
regions it serves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", _("在营")
    SUSPENDED = "suspended", _("暂停接单")
    REVOKED = "revoked", _("已取消资格")


class Provider(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey("regions.Region", verbose_name=_("注册地"), on_delete=models.PROTECT, related_name="providers")
    licence = models.CharField(_("资质（备案或许可编号）"), max_length=100, blank=True, default="")
    status = models.CharField(_("状态"), max_length=10, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE)
    admins = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("管理员"), blank=True, related_name="provider_admin_of")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务商")
        verbose_name_plural = _("服务商")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceArea(models.Model):
    """A region (and its subtree) a provider serves."""

    provider = models.ForeignKey(Provider, verbose_name=_("服务商"), on_delete=models.CASCADE, related_name="areas")
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("服务区域")
        verbose_name_plural = _("服务区域")
        constraints = [models.UniqueConstraint(fields=["provider", "region"], name="area_unique")]

    def __str__(self) -> str:
        return f"{self.provider} · {self.region}"
