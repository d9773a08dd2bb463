"""Reads of assessments.

`current_level` is THE function downstream apps (entitlements, care plans, staffing, supervision)
call for an elder's ability level and the categories it means: it takes no acting user because
it feeds computations, not screens. Everything users see goes through the scoped selectors below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, scope_for
from eldercare.elders import errors as elder_errors
from eldercare.elders.models import Elder, ElderStatus
from eldercare.elders.selectors import scoped_elders
from eldercare.regions.models import Region, subtree_bounds

from .models import Assessment, Status
from .standards import get_standard

OPEN = (Status.SCHEDULED, Status.IN_PROGRESS, Status.SUBMITTED, Status.REVIEWED)


@dataclass(frozen=True)
class CurrentLevel:
    level: str  # LevelCode
    level_name: str  # as the standard names it
    care_category: str  # CareCategory
    disability_degree: str  # DisabilityDegree
    standard: str
    effective_from: dt.date
    reassess_due: dt.date
    assessment_id: int


def current_levels(elders: QuerySet[Elder] | Iterable[Elder | int], on: dt.date) -> dict[int, CurrentLevel]:
    """Elder id → the assessment in force on `on` (effective, latest `effective_from` ≤ on), for
    many elders in one query; elders never assessed are absent."""
    ids = elders.values("pk") if isinstance(elders, QuerySet) else [getattr(e, "pk", e) for e in elders]
    rows = (
        Assessment.objects.filter(elder_id__in=ids, status=Status.EFFECTIVE, effective_from__lte=on)
        .order_by("elder_id", "-effective_from")
        .values_list("elder_id", "id", "standard", "level", "care_category", "disability_degree", "effective_from", "reassess_due")
    )
    found: dict[int, CurrentLevel] = {}
    for elder_id, pk, standard, level, category, degree, start, due in rows:
        if elder_id not in found:
            name = get_standard(standard).level(level).name
            found[elder_id] = CurrentLevel(level, name, category, degree, standard, start, due, pk)
    return found


def current_level(elder: Elder | int, on: dt.date) -> CurrentLevel | None:
    """The elder's ability level in force on `on`, or None when no assessment was effective then.
    A result changes entitlements only from its effective date."""
    return current_levels([elder], on).get(getattr(elder, "pk", elder))


def level_history(*, actor, elder: Elder, include_pending: bool = False) -> QuerySet[Assessment]:
    """The elder's effective assessments, newest first, with who assessed and reviewed them;
    with `include_pending`, submitted and reviewed ones too (they come first)."""
    require(actor, Cap.VIEW_HEALTH)
    if not scoped_elders(actor).filter(pk=elder.pk).exists():
        raise Http404(elder_errors.ERR_NOT_FOUND)
    statuses = (Status.SUBMITTED, Status.REVIEWED, Status.EFFECTIVE) if include_pending else (Status.EFFECTIVE,)
    return (
        Assessment.objects.filter(elder=elder, status__in=statuses)
        .select_related("assessor", "second_assessor", "reviewer")
        .order_by(F("effective_from").desc(nulls_first=True), "-submitted_at", "-id")
    )


def overdue_reassessments(*, actor, region: str | None = None, on: dt.date | None = None) -> QuerySet[Assessment]:
    """The work list: in-force assessments of active elders whose reassessment fell due before
    `on`, in the actor's scope (and under `region` if given), most overdue first. Each row says
    whether a reassessment is already planned (`reassessment_open`)."""
    require(actor, Cap.VIEW_HEALTH)
    on = on or timezone.localdate()
    scope = scope_for(actor)
    qs = Assessment.objects.filter(
        scope.q(region_field="elder__residence_id", self_field="elder__user_id", family_field="elder__contacts__user_id"),
        status=Status.EFFECTIVE,
        effective_to__isnull=True,
        reassess_due__lt=on,
        elder__status=ElderStatus.ACTIVE,
    )
    if scope.kind == "family":
        qs = qs.distinct()
    if region:
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise ValidationError({"region": elder_errors.ERR_REGION_UNKNOWN.format(code=region)})
        lo, hi = subtree_bounds(found.code, found.level)
        qs = qs.filter(elder__residence_id__gte=lo, elder__residence_id__lte=hi)
    return (
        qs.annotate(reassessment_open=Exists(Assessment.objects.filter(elder=OuterRef("elder"), status__in=OPEN)))
        .select_related("elder", "elder__residence")
        .defer("elder__id_number", "elder__phone")
        .order_by("reassess_due", "elder_id")
    )
