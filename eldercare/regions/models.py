"""The five-level network: city → county → street → community, then households
and institutions (which live in their own apps and point at a community).

Codes are China's 12-digit statistical division codes: province 2 digits,
city 2, county 2 (together the 6-digit GB/T 2260 code), township 3, village 3.
The code is a materialised path, so "everything under a region" is an indexed
range scan on the code, with no tree library and no recursive query.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CODE_LENGTH = 12


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县（区）")
    STREET = 4, _("街道（乡镇）")
    COMMUNITY = 5, _("社区（村）")


# How many leading digits of the 12-digit code identify a region of each level.
PREFIX_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.STREET: 9, Level.COMMUNITY: 12}


def code_prefix(code: str, level: int) -> str:
    return code[: PREFIX_LENGTH[Level(level)]]


def prefix_of_code(code: str) -> str:
    """The prefix that identifies a region given only its 12-digit code: the code without its
    trailing all-zero levels (330100000000 → 3301, 330102001000 → 330102001)."""
    if not (len(code) == CODE_LENGTH and code.isdigit()):
        raise ValueError(f"not a 12-digit region code: {code!r}")
    for length in (2, 4, 6, 9):
        if code[length:] == "0" * (CODE_LENGTH - length):
            return code[:length]
    return code


def code_bounds(code: str) -> tuple[str, str]:
    """Inclusive bounds of every 12-digit code under the region with this code (level from the code)."""
    prefix = prefix_of_code(code)
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def covering_codes(code: str) -> list[str]:
    """The 12-digit codes of the region with this code and of every region above it, most specific
    first (330102001001 → 330102001001, 330102001000, 330102000000, 330100000000, 330000000000)."""
    return list(dict.fromkeys(code[:n].ljust(CODE_LENGTH, "0") for n in (12, 9, 6, 4, 2)))


def subtree_bounds(code: str, level: int) -> tuple[str, str]:
    """Inclusive bounds of every 12-digit code under (and including) a region."""
    prefix = code_prefix(code, level)
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


class RegionQuerySet(models.QuerySet):
    def subtree(self, region: Region) -> RegionQuerySet:
        lo, hi = subtree_bounds(region.code, region.level)
        return self.filter(code__gte=lo, code__lte=hi)


class Region(models.Model):
    code = models.CharField(_("区划代码"), max_length=CODE_LENGTH, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级"), on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    # Main urban district (主城区): several policies (e.g. Hangzhou's institution subsidy) apply only there.
    is_main_urban = models.BooleanField(_("主城区"), default=False)
    is_rural = models.BooleanField(_("农村"), default=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="region_level_range"),
            models.CheckConstraint(condition=Q(parent__isnull=True) | ~Q(parent=models.F("code")), name="region_not_own_parent"),
        ]
        indexes = [models.Index(fields=["parent", "code"], name="region_parent_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return code_prefix(self.code, self.level)

    def contains(self, code: str) -> bool:
        """Whether the region with this 12-digit code lies in this region's subtree."""
        return code.startswith(self.prefix)

    def ancestors(self) -> list[Region]:
        """From the root down to the parent, in one query."""
        codes = [code_prefix(self.code, level).ljust(CODE_LENGTH, "0") for level in Level if level < self.level]
        return list(Region.objects.filter(code__in=codes, level__lt=self.level).order_by("level"))
