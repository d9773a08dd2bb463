"""Reads of assessments.

`current_level` is THE function downstream apps (entitlements, care plans, staffing, supervision)
call for an elder's ability level and the categories it means: it takes no acting user because
it feeds computations, not screens. Everything users see goes through the scoped selectors below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_NO_CAPABILITY, has_cap, require, scope_for
from eldercare.core.errors import Err
from eldercare.elders import errors as elder_errors
from eldercare.elders.models import Elder, ElderStatus
from eldercare.elders.selectors import scoped_elders
from eldercare.regions.models import Region, subtree_bounds

from . import scoring
from .facts import AssessmentFacts
from .models import SCORED, Assessment, AssessorQualification, Status
from .results import Result
from .standards import Standard, get_standard

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
    ids = elders.values_list("pk", flat=True) if isinstance(elders, QuerySet) else [e if isinstance(e, int) else e.pk for e in elders]
    rows = (
        Assessment.objects.filter(elder_id__in=ids, status=Status.EFFECTIVE, effective_from__lte=on)
        .order_by("elder_id", "-effective_from")
        .values_list("elder_id", "id", "standard", "level", "care_category", "disability_degree", "effective_from", "reassess_due")
    )
    found: dict[int, CurrentLevel] = {}
    for elder_id, pk, standard, level, category, degree, start, due in rows:
        if elder_id not in found:
            assert start is not None and due is not None  # an effective assessment has both (assessment_effective_has_level_and_date)
            name = get_standard(standard).level(level).name
            found[elder_id] = CurrentLevel(level, name, category, degree, standard, start, due, pk)
    return found


def current_level(elder: Elder | int, on: dt.date) -> CurrentLevel | None:
    """The elder's ability level in force on `on`, or None when no assessment was effective then.
    A result changes entitlements only from its effective date."""
    return current_levels([elder], on).get(elder if isinstance(elder, int) else elder.pk)


def level_history(*, actor: User, elder: Elder, include_pending: bool = False) -> QuerySet[Assessment]:
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


def overdue_reassessments(*, actor: User, region: str | None = None, on: dt.date | None = None) -> QuerySet[Assessment]:
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
    if scope.family:
        qs = qs.distinct()
    if region:
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise ValidationError({"region": elder_errors.ERR_REGION_UNKNOWN.format(code=region)})
        lo, hi = subtree_bounds(found.code, found.level)
        qs = qs.filter(elder__residence_id__gte=lo, elder__residence_id__lte=hi)
    planned = Exists(Assessment.objects.filter(elder=OuterRef("elder"), status__in=OPEN))
    return (
        qs.annotate(reassessment_open=planned)  # type: ignore[no-redef]  # the plugin takes the declared attribute for a field; Django does not
        .select_related("elder", "elder__residence")
        .defer("elder__id_number", "elder__phone")
        .order_by("reassess_due", "elder_id")
    )


# ---------------------------------------------------------------- what users see

ERR_NOT_FOUND = Err("assessments.not_found", "评估记录不存在或不在您的管辖范围内 / no such assessment in your scope")
ERR_STATUS_UNKNOWN = Err("assessments.status_unknown", "未知的评估状态“{status}” / unknown assessment status '{status}'")
OPEN_FILTER = "open"  # the work list: every status still waiting for someone
RELATED = ("elder", "elder__residence", "assessor", "second_assessor", "reviewer", "scheduled_by")
DEFERRED = ("elder__id_number", "elder__phone")


@dataclass
class AssessmentFilters:
    status: str | None = None  # one Status, or OPEN_FILTER
    region: str | None = None  # a region code; its whole subtree
    elder: int | None = None


def _assigned(actor: User) -> Q:
    return Q(assessor_id=actor.pk) | Q(second_assessor_id=actor.pk)


def _readable(actor: User) -> tuple[Q, bool]:
    """The assessments the actor may read, and whether the filter joins contacts (needs distinct).

    Health-data readers see those of the elders in their scope; everyone who may assess also sees
    the ones assigned to them: a third-party agency's assessors (no region scope) see only those."""
    if has_cap(actor, Cap.VIEW_HEALTH):
        scope = scope_for(actor)
        if scope.everywhere:
            return Q(), False  # (an empty Q would vanish when combined with `|`)
        q = scope.q(region_field="elder__residence_id", self_field="elder__user_id", family_field="elder__contacts__user_id")
        return q | _assigned(actor), scope.family
    if has_cap(actor, Cap.ASSESS):
        return _assigned(actor), False
    raise PermissionDenied(ERR_NO_CAPABILITY)


def _region_bounds(code: str) -> tuple[str, str]:
    found = Region.objects.filter(code=code).first()
    if found is None:
        raise ValidationError({"region": elder_errors.ERR_REGION_UNKNOWN.format(code=code)})
    return subtree_bounds(found.code, found.level)


def assessment_list(*, actor: User, filters: AssessmentFilters | None = None) -> QuerySet[Assessment]:
    """Assessments the actor may read, filtered. The open work list comes earliest-planned first,
    anything else newest first."""
    filters = filters or AssessmentFilters()
    q, distinct = _readable(actor)
    qs = Assessment.objects.filter(q)
    if distinct:
        qs = qs.distinct()
    if filters.status == OPEN_FILTER:
        qs = qs.filter(status__in=OPEN)
    elif filters.status:
        if filters.status not in Status.values:
            raise ValidationError({"status": ERR_STATUS_UNKNOWN.format(status=filters.status)})
        qs = qs.filter(status=filters.status)
    if filters.region:
        lo, hi = _region_bounds(filters.region)
        qs = qs.filter(elder__residence_id__gte=lo, elder__residence_id__lte=hi)
    if filters.elder is not None:
        qs = qs.filter(elder_id=filters.elder)
    ordering = ("scheduled_for", "id") if filters.status in (OPEN_FILTER, *OPEN) else ("-scheduled_for", "-id")
    return qs.select_related(*RELATED).defer(*DEFERRED).order_by(*ordering)


def assessment_get(*, actor: User, pk: int) -> Assessment:
    """One assessment: 403 for users who may read none, 404 when it does not exist or lies outside
    the actor's scope (a refusal must not reveal that the record exists)."""
    found = Assessment.objects.select_related(*RELATED).filter(pk=pk).first()
    if found is not None and actor.pk is not None and actor.pk in (found.assessor_id, found.second_assessor_id):
        return found
    q, _distinct = _readable(actor)
    if found is None or not Assessment.objects.filter(q, pk=pk).exists():
        raise Http404(ERR_NOT_FOUND)
    return found


def allowed_actions(actor: User, assessment: Assessment) -> frozenset[str]:
    """Which transitions to offer the actor (buttons, links); the services decide again."""
    status, scope = assessment.status, scope_for(actor)
    in_scope = scope.covers_region(assessment.elder.residence_id)
    assigned = actor.pk is not None and actor.pk in (assessment.assessor_id, assessment.second_assessor_id)
    manage = has_cap(actor, Cap.MANAGE_ASSESSMENTS) and in_scope
    actions: set[str] = set()
    if status in (Status.SCHEDULED, Status.IN_PROGRESS) and (assigned or (has_cap(actor, Cap.ASSESS) and in_scope)):
        actions |= {"save", "submit"}
    if status == Status.SUBMITTED and manage and not assigned:
        actions |= {"review", "return"}
    if status == Status.REVIEWED and manage:
        actions.add("make_effective")
    if status in OPEN and manage:
        actions.add("cancel")
    return frozenset(actions)


@dataclass(frozen=True)
class AssessmentView:
    """An assessment with its standard, its result re-derived from the stored answers (for the
    line-by-line explanation, which is not stored) and the transitions the actor may make."""

    assessment: Assessment
    standard: Standard
    result: Result | None
    actions: frozenset[str]

    def level_name(self, code: str) -> str:
        return self.standard.level(code).name if code else ""


def assessment_view(*, actor: User, pk: int) -> AssessmentView:
    assessment = assessment_get(actor=actor, pk=pk)
    standard = get_standard(assessment.standard)
    result = None
    if assessment.status in SCORED:
        try:
            result = scoring.score(standard, assessment.answers, AssessmentFacts.from_mapping(assessment.facts))
        except ValidationError:  # a record kept under an older edition of the data: show what is stored
            result = None
    return AssessmentView(assessment, standard, result, allowed_actions(actor, assessment))


def _elder_in_scope(actor: User, elder_id: int) -> Elder:
    require(actor, Cap.VIEW_HEALTH)
    elder = scoped_elders(actor).select_related("residence").filter(pk=elder_id).first()
    if elder is None:
        raise Http404(elder_errors.ERR_NOT_FOUND)
    return elder


def elder_current_level(*, actor: User, elder_id: int, on: dt.date | None = None) -> tuple[Elder, CurrentLevel | None]:
    """`current_level` for a screen: the actor must see health data of this elder."""
    elder = _elder_in_scope(actor, elder_id)
    return elder, current_level(elder, on or timezone.localdate())


def elder_assessments(*, actor: User, elder: Elder) -> QuerySet[Assessment]:
    """Every assessment of one elder (open, done, cancelled), newest plan first."""
    _elder_in_scope(actor, elder.pk)
    return (
        Assessment.objects.filter(elder=elder).select_related("assessor", "second_assessor", "reviewer").order_by("-scheduled_for", "-id")
    )


def qualified_assessors(*, actor: User, standard: str, on: dt.date) -> list[User]:
    """People holding a qualification for `standard` valid on `on`, for choosing assessors.
    Agencies' assessors have no region, so the list is platform-wide."""
    require(actor, Cap.MANAGE_ASSESSMENTS)
    found = AssessorQualification.objects.valid_on(on).select_related("user").order_by("user__display_name", "user__username")
    people = {q.user_id: q.user for q in found if q.covers(standard, on) and q.user.is_active}
    return list(people.values())


@dataclass(frozen=True)
class Observable:
    """An item of the standard in force someone seeing the elder may report between assessments,
    because the standard asks for a new assessment on a change of it (MZ/T 039-2013 表6 注1: an elder
    assessed in coma, once conscious again)."""

    item: str
    name: str
    options: tuple[tuple[int, str], ...]
    clause: str
    text: str


def elder_observable(*, actor: User, elder: Elder) -> Observable | None:
    """What the actor may report about the elder (services.observation_record), or None."""
    if not (has_cap(actor, Cap.ASSESS) or has_cap(actor, Cap.MANAGE_ASSESSMENTS)):
        return None
    if not scope_for(actor).covers_region(elder.residence_id):
        return None
    in_force = (
        Assessment.objects.filter(elder=elder, status=Status.EFFECTIVE, effective_to__isnull=True)
        .only("standard", "answers", "facts")
        .order_by("-effective_from")
        .first()
    )
    if in_force is None:
        return None
    standard = get_standard(in_force.standard)
    rules = standard.reassessment
    for trigger in rules.triggers if rules is not None else ():
        observed = trigger.observed
        if observed is not None and observed.item is not None and trigger.concerns(in_force.answers, in_force.facts):
            item = standard.items[observed.item]
            options = tuple((o.score, o.text) for o in item.options)
            return Observable(item.code, item.name, options, trigger.clause, trigger.text)
    return None
