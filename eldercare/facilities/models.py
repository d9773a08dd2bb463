"""Facilities that hang off the network: institutions, centres and stations.

Standards, staffing and targets come with the facilities issue; the registry
needs only where an elder living in an institution lives, and the institution's
ownership (some subsidies depend on it).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class FacilityKind(models.TextChoices):
    INSTITUTION = "institution", _("养老机构")
    CITY_CENTRE = "city_centre", _("市级养老服务中心")
    COUNTY_CENTRE = "county_centre", _("县级养老服务中心")
    STREET_CENTRE = "street_centre", _("街道（乡镇）养老服务中心")
    DAY_CARE = "day_care", _("社区日间照料中心")
    STATION = "station", _("居家养老服务站")


class Ownership(models.TextChoices):
    PUBLIC = "public", _("公办公营")
    PUBLIC_BUILT_PRIVATE_RUN = "public_private", _("公建民营")
    PRIVATE = "private", _("民办")


class Institution(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=FacilityKind.choices)
    ownership = models.CharField(_("性质"), max_length=20, choices=Ownership.choices)
    community = models.ForeignKey("regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="institutions")
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    beds = models.PositiveIntegerField(_("床位数"), default=0)
    nursing_beds = models.PositiveIntegerField(_("护理型床位数"), default=0)

    class Meta:
        verbose_name = _("养老服务设施")
        verbose_name_plural = _("养老服务设施")
        constraints = [models.CheckConstraint(condition=Q(nursing_beds__lte=F("beds")), name="institution_nursing_le_beds")]

    def __str__(self) -> str:
        return self.name


class StayKind(models.TextChoices):
    LONG_TERM = "long_term", _("长期入住")
    RESPITE = "respite", _("短期托养（喘息）")


# A long-term stay is in an institution (养老机构); a respite stay (托养) in a home-care facility
# (杭政办函〔2020〕47号 第12条: "在居家养老服务机构中进行托养服务").
STAY_FACILITIES = {
    StayKind.LONG_TERM: {FacilityKind.INSTITUTION},
    StayKind.RESPITE: set(FacilityKind) - {FacilityKind.INSTITUTION},
}


class Stay(models.Model):
    """An elder's stay in a facility over a period: living in an institution, or a respite stay
    (托养) in a home-care facility. Subsidies paid by the day (pro rata) count these days."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="stays")
    facility = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="stays")
    kind = models.CharField(_("类型"), max_length=20, choices=StayKind.choices)
    start = models.DateField(_("入住日期"))
    end = models.DateField(_("离开日期"), null=True, blank=True, help_text=_("最后一个在住日；空表示仍在住"))
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("入住与托养")
        verbose_name_plural = _("入住与托养")
        ordering = ["elder", "start"]
        indexes = [models.Index(fields=["start", "end"], name="stay_dates")]
        constraints = [models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="stay_dates_ordered")]

    def __str__(self) -> str:
        return f"{self.facility}（{self.get_kind_display()}，{self.start}—{self.end or ''}）"
