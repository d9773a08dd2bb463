"""The facts about an elder that policies look at, loaded in bulk.

One query per kind of fact (elders, priority groups, assessments in force, stays) for a whole
region subtree, so deciding for a county of 100,000 elders costs five queries, not 500,000.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from eldercare.assessments.models import Assessment, Status
from eldercare.core.months import month_last_day
from eldercare.elders.models import Elder as ElderModel
from eldercare.elders.models import ElderGroup, ElderStatus, age_on
from eldercare.facilities.models import Stay
from eldercare.regions.models import Level, Region, code_bounds


@dataclass(frozen=True, slots=True)
class StayFact:
    id: int
    kind: str
    start: dt.date
    end: dt.date | None
    facility_id: int
    facility_name: str
    facility_kind: str
    ownership: str
    facility_region: str

    def days_in(self, first: dt.date, last: dt.date) -> int:
        lo, hi = max(self.start, first), min(self.end or last, last)
        return max((hi - lo).days + 1, 0)


@dataclass(slots=True)
class Facts:
    elder_id: int
    on: dt.date  # the day the facts are taken
    birth_date: dt.date
    hukou: str | None
    residence: str
    rural: bool
    living_status: str
    groups: frozenset[str]
    degree: str  # of the assessment in force ("" when none)
    category: str
    stays: tuple[StayFact, ...] = ()
    left_on: dt.date | None = None  # the day the elder moved out or died
    age: int = field(init=False)

    def __post_init__(self) -> None:
        self.age = age_on(self.birth_date, self.on)

    def registered_on(self, day: dt.date) -> bool:
        return self.left_on is None or self.left_on > day


def load_facts(*, on: dt.date, month: dt.date, region_code: str | None = None, elder_ids: Iterable[int] | None = None) -> dict[int, Facts]:
    """Facts on `on` of the elders living in `region_code`'s subtree (or with these ids) who were
    on the register at some time in `month`, and their stays during the month."""
    if (region_code is None) == (elder_ids is None):
        raise ValueError("give region_code or elder_ids")
    last = month_last_day(month)
    registered = Q(status=ElderStatus.ACTIVE) | Q(status_date__gte=month)
    if region_code is not None:
        lo, hi = code_bounds(region_code)
        elders = ElderModel.objects.filter(residence_id__gte=lo, residence_id__lte=hi)
        related: dict[str, Any] = {"elder__residence_id__gte": lo, "elder__residence_id__lte": hi}
        rural = set(Region.objects.filter(level=Level.COMMUNITY, is_rural=True, code__gte=lo, code__lte=hi).values_list("code", flat=True))
    else:
        assert elder_ids is not None  # one of the two, checked above
        ids = list(elder_ids)
        elders = ElderModel.objects.filter(pk__in=ids)
        related = {"elder_id__in": ids}
        rural = None
    rows = elders.filter(registered).values_list(
        "id", "birth_date", "hukou_region_id", "residence_id", "living_status", "status", "status_date"
    )
    groups: dict[int, set[str]] = {}
    for elder_id, group in ElderGroup.objects.active_on(on).filter(**related).values_list("elder_id", "group"):
        groups.setdefault(elder_id, set()).add(group)
    levels: dict[int, tuple[str, str]] = {}
    assessed = (
        Assessment.objects.filter(status=Status.EFFECTIVE, effective_from__lte=on, **related)
        .order_by("elder_id", "-effective_from")
        .values_list("elder_id", "disability_degree", "care_category")
    )
    for elder_id, degree, category in assessed:
        levels.setdefault(elder_id, (degree, category))
    stays: dict[int, list[StayFact]] = {}
    stay_rows = (
        Stay.objects.filter(Q(end__isnull=True) | Q(end__gte=month), start__lte=last, **related)
        .order_by("start")
        .values_list(
            "elder_id",
            "id",
            "kind",
            "start",
            "end",
            "facility_id",
            "facility__name",
            "facility__kind",
            "facility__ownership",
            "facility__community_id",
        )
    )
    for elder_id, stay_id, kind, start, end, facility_id, facility_name, facility_kind, ownership, facility_region in stay_rows:
        stays.setdefault(elder_id, []).append(
            StayFact(stay_id, kind, start, end, facility_id, facility_name, facility_kind, ownership, facility_region)
        )
    elder_rows = list(rows)
    if rural is None:
        rural = set(Region.objects.filter(code__in={r[3] for r in elder_rows}, is_rural=True).values_list("code", flat=True))
    empty: frozenset[str] = frozenset()
    facts = {}
    for elder_id, birth, hukou, residence, living, status, status_date in elder_rows:
        degree, category = levels.get(elder_id, ("", ""))
        facts[elder_id] = Facts(
            elder_id=elder_id,
            on=on,
            birth_date=birth,
            hukou=hukou,
            residence=residence,
            rural=residence in rural,
            living_status=living,
            groups=frozenset(groups[elder_id]) if elder_id in groups else empty,
            degree=degree,
            category=category,
            stays=tuple(stays.get(elder_id, ())),
            left_on=status_date if status != ElderStatus.ACTIVE else None,
        )
    return facts
