"""Service providers (服务商): the legal entities that deliver door-to-door services and are paid
for them. Caregivers, the catalogue, orders and dispatch build on this."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey("regions.Region", verbose_name=_("注册地"), on_delete=models.PROTECT, related_name="providers")
    active = models.BooleanField(_("在营"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务商")
        verbose_name_plural = _("服务商")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
