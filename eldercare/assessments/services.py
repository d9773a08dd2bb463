"""Every write to assessments: one function per lifecycle transition.

    scheduled ─save_answers→ in_progress ─submit→ submitted ─review→ reviewed ─make_effective→ effective
        └────────────┴──────────────┴────────────────┴── cancel → cancelled
    submitted ─return_for_revision→ in_progress

Each takes the acting user and checks capability and scope (out-of-scope is PermissionDenied);
an illegal transition raises TransitionError; each runs in one transaction on a locked row, so a
failure (missing answers, an unqualified assessor, a second submission) leaves nothing changed.

Who may do what (capabilities from accounts/roles.py):
- schedule, review, return, make effective, cancel: Cap.MANAGE_ASSESSMENTS and the elder in scope;
  reviewing also needs an assessor qualification valid that day, and not being an assessor of it.
- save answers and submit: the assessors assigned to the assessment (a third-party agency's
  assessors have no region scope: the assignment is their access, as orders will be for
  caregivers), or any user with Cap.ASSESS whose scope covers the elder; the submitter becomes the assessor when
  none was assigned. Every assessor must hold a qualification for the standard valid on the
  assessment date, and there must be as many as the standard asks (YAML `assessors.count`).
- record a qualification: Cap.MANAGE_ASSESSORS (system administrators and city civil-affairs
  officers: 民政部门 certify assessors, MZ/T 039-2013 4.2.1).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from auditlog.context import set_actor
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, require, require_elder
from eldercare.elders import services as elder_services
from eldercare.elders.models import Elder, ElderStatus

from . import policies, scoring
from .errors import AssessorError, EffectiveDateError, RecordError, TransitionError
from .facts import AssessmentFacts
from .models import Assessment, AssessorQualification, DisabilityDegree, Reason, Status
from .standards import CURRENT, FILES, ReassessmentEvent, ReassessmentTrigger, Standard, get_standard

OPEN = (Status.SCHEDULED, Status.IN_PROGRESS, Status.SUBMITTED, Status.REVIEWED)
EDITABLE = (Status.SCHEDULED, Status.IN_PROGRESS)
SCORED = (Status.SUBMITTED, Status.REVIEWED, Status.EFFECTIVE)
RESULT_FIELDS = ("total", "indicator_scores", "base_level", "level", "adjustments", "care_category", "disability_degree")

class AssessmentAction(enum.StrEnum):
    """The steps of an assessment's lifecycle (TransitionError names the one refused)."""

    SAVE = "save"
    SUBMIT = "submit"
    REVIEW = "review"
    RETURN_FOR_REVISION = "return"
    MAKE_EFFECTIVE = "make_effective"
    CANCEL = "cancel"


# action → (statuses it starts from, Chinese verb, English participle) for TransitionError messages.
ACTIONS: dict[str, tuple[tuple[Status, ...], str, str]] = {
    AssessmentAction.SAVE: (EDITABLE, "保存答案", "edited"),
    AssessmentAction.SUBMIT: (EDITABLE, "提交", "submitted"),
    AssessmentAction.REVIEW: ((Status.SUBMITTED,), "审核", "reviewed"),
    AssessmentAction.RETURN_FOR_REVISION: ((Status.SUBMITTED,), "退回修改", "returned for revision"),
    AssessmentAction.MAKE_EFFECTIVE: ((Status.REVIEWED,), "生效", "made effective"),
    AssessmentAction.CANCEL: (OPEN, "取消", "cancelled"),
}


def _standard(code: str) -> Standard:
    try:
        return get_standard(code)
    except KeyError:
        raise RecordError(RecordError.UNKNOWN_STANDARD, standard=code) from None


def _check_scope(actor: User, elder: Elder) -> None:
    require_elder(actor, elder)


def _manage(actor: User, elder: Elder) -> None:
    require(actor, Cap.MANAGE_ASSESSMENTS)
    _check_scope(actor, elder)


def _check_may_assess(actor: User, assessment: Assessment) -> None:
    """The assigned assessors, or a user who may assess and whose scope covers the elder."""
    if not _is_assessor(actor, assessment):
        require(actor, Cap.ASSESS)
        _check_scope(actor, assessment.elder)


def _is_assessor(actor: User, assessment: Assessment) -> bool:
    return actor.pk is not None and actor.pk in (assessment.assessor_id, assessment.second_assessor_id)


def _lock(assessment: Assessment) -> Assessment:
    """The row, locked until the transaction ends, so concurrent transitions queue up."""
    return Assessment.objects.select_for_update(of=("self",)).select_related("elder").get(pk=assessment.pk)


def _check_status(assessment: Assessment, action: str) -> None:
    allowed, verb, participle = ACTIONS[action]
    if assessment.status in allowed:
        return
    if action == "submit" and assessment.status in SCORED:
        submitted_at = timezone.localtime(assessment.submitted_at).strftime("%Y-%m-%d %H:%M")
        raise TransitionError(TransitionError.ALREADY_SUBMITTED, submitted_at=submitted_at)
    raise TransitionError(
        TransitionError.ILLEGAL, status=assessment.get_status_display(), status_en=assessment.status, action=verb, action_en=participle
    )


def require_qualified(user: User, standard: str, day: dt.date) -> None:
    if not any(q.covers(standard, day) for q in AssessorQualification.objects.filter(user=user).valid_on(day)):
        raise AssessorError(AssessorError.NOT_QUALIFIED, user=str(user), day=day.isoformat(), standard=standard)


def _merged(
    assessment: Assessment, answers: Mapping[str, int | None] | None, facts: Mapping[str, bool | int] | None
) -> tuple[dict[str, int], dict[str, Any]]:
    """Saved answers and facts updated with new ones (an answer of None removes it), validated."""
    updated: dict[str, int | None] = {**assessment.answers, **(answers or {})}
    merged = {code: score for code, score in updated.items() if score is not None}
    scoring.check_answers(_standard(assessment.standard), merged, complete=False)
    return merged, AssessmentFacts.from_mapping({**assessment.facts, **(facts or {})}).to_dict()


@transaction.atomic
def assessment_schedule(
    *,
    actor: User,
    elder: Elder,
    scheduled_for: dt.date,
    reason: str,
    standard: str = CURRENT,
    assessor: User | None = None,
    second_assessor: User | None = None,
    note: str = "",
) -> Assessment:
    """Plan an assessment. A change of condition also brings the in-force assessment's
    reassessment due date forward to the planned date, so it shows on the overdue list then."""
    _manage(actor, elder)
    return _plan(
        actor=actor,
        elder=elder,
        scheduled_for=scheduled_for,
        reason=reason,
        standard=standard,
        assessor=assessor,
        second_assessor=second_assessor,
        note=note,
    )


def _plan(
    *,
    actor: User,
    elder: Elder,
    scheduled_for: dt.date,
    reason: str,
    standard: str,
    assessor: User | None,
    second_assessor: User | None,
    note: str,
) -> Assessment:
    _standard(standard)
    if elder.status != ElderStatus.ACTIVE:
        raise RecordError(RecordError.ELDER_NOT_ACTIVE, status=elder.get_status_display())
    if reason not in Reason.values:
        raise RecordError(RecordError.UNKNOWN_REASON, reason=reason)
    Elder.objects.select_for_update().filter(pk=elder.pk).first()  # serialises planning for one elder
    if Assessment.objects.filter(elder=elder, status__in=OPEN).exists():
        raise RecordError(RecordError.OPEN_EXISTS)
    if assessor is not None and second_assessor is not None and assessor.pk == second_assessor.pk:
        raise AssessorError(AssessorError.SAME_PERSON)
    for person in (assessor, second_assessor):
        if person is not None:
            require_qualified(person, standard, scheduled_for)
    with set_actor(actor):
        if reason == Reason.CHANGE_OF_CONDITION:
            in_force = _in_force(elder)
            if in_force is not None and (in_force.reassess_due is None or in_force.reassess_due > scheduled_for):
                in_force.reassess_due = scheduled_for
                in_force.save(update_fields=["reassess_due", "updated_at"])
        return Assessment.objects.create(
            elder=elder,
            standard=standard,
            reason=reason,
            scheduled_for=scheduled_for,
            assessor=assessor,
            second_assessor=second_assessor,
            scheduled_by=actor,
            note=note,
        )


@transaction.atomic
def assessment_save_answers(
    *,
    actor: User,
    assessment: Assessment,
    answers: Mapping[str, int | None] | None = None,
    facts: Mapping[str, bool | int] | None = None,
) -> Assessment:
    """Save some answers and facts (partial saves allowed); the assessment is then in progress."""
    assessment = _lock(assessment)
    _check_may_assess(actor, assessment)
    _check_status(assessment, AssessmentAction.SAVE)
    assessment.answers, assessment.facts = _merged(assessment, answers, facts)
    assessment.status = Status.IN_PROGRESS
    with set_actor(actor):
        assessment.save(update_fields=["answers", "facts", "status", "updated_at"])
    return assessment


@transaction.atomic
def assessment_submit(
    *,
    actor: User,
    assessment: Assessment,
    assessed_on: dt.date | None = None,
    second_assessor: User | None = None,
    answers: Mapping[str, int | None] | None = None,
    facts: Mapping[str, bool | int] | None = None,
) -> Assessment:
    """Submit complete answers: check the assessors, score, store the result."""
    assessment = _lock(assessment)
    _check_may_assess(actor, assessment)
    _check_status(assessment, AssessmentAction.SUBMIT)
    if not _is_assessor(actor, assessment):
        if assessment.assessor_id is not None:
            raise AssessorError(AssessorError.NOT_ASSIGNED)
        assessment.assessor = actor
    if second_assessor is not None:
        assessment.second_assessor = second_assessor
    today = timezone.localdate()
    assessed_on = assessed_on or today
    if assessed_on > today:
        raise EffectiveDateError(EffectiveDateError.FUTURE_ASSESSMENT, assessed_on=assessed_on.isoformat())
    standard = _standard(assessment.standard)
    people = [p for p in (assessment.assessor, assessment.second_assessor) if p is not None]
    if len(people) == 2 and people[0].pk == people[1].pk:
        raise AssessorError(AssessorError.SAME_PERSON)
    if len(people) < standard.assessors_required:
        clause = standard.assessors_clause or "平台按标准数据文件要求 / per the standard's data file"
        raise AssessorError(AssessorError.COUNT, standard=standard.code, count=standard.assessors_required, clause=clause)
    for person in people:
        require_qualified(person, standard.code, assessed_on)
    answers, facts = _merged(assessment, answers, facts)
    result = scoring.score(standard, answers, AssessmentFacts.from_mapping(facts))
    _store_result(assessment, result)
    assessment.answers, assessment.facts, assessment.assessed_on = answers, facts, assessed_on
    assessment.status, assessment.submitted_at = Status.SUBMITTED, timezone.now()
    with set_actor(actor):
        assessment.save()
    return assessment


def _store_result(assessment: Assessment, result: scoring.Result) -> None:
    categories = policies.categories_for(result.final_level.code, assessment.elder.residence_id)
    assessment.total = result.total
    assessment.indicator_scores = result.indicator_scores()
    assessment.base_level, assessment.level = result.base_level.code, result.final_level.code
    assessment.adjustments = [a.to_dict() for a in result.adjustments]
    assessment.care_category, assessment.disability_degree = categories.care_category, categories.disability_degree


@transaction.atomic
def assessment_return_for_revision(*, actor: User, assessment: Assessment, note: str) -> Assessment:
    """The reviewer sends a submission back to its assessors; its result is cleared."""
    assessment = _lock(assessment)
    _manage(actor, assessment.elder)
    _check_status(assessment, AssessmentAction.RETURN_FOR_REVISION)
    for field in RESULT_FIELDS:
        column = cast(Field[Any, Any], Assessment._meta.get_field(field))  # the result fields are columns, not relations
        setattr(assessment, field, column.get_default())
    assessment.status, assessment.submitted_at, assessment.assessed_on = Status.IN_PROGRESS, None, None
    assessment.note = "\n".join(filter(None, [assessment.note, f"退回修改 / returned: {note}"]))
    with set_actor(actor):
        assessment.save()
    return assessment


@transaction.atomic
def assessment_review(*, actor: User, assessment: Assessment, note: str = "") -> Assessment:
    assessment = _lock(assessment)
    _manage(actor, assessment.elder)
    _check_status(assessment, AssessmentAction.REVIEW)
    if _is_assessor(actor, assessment):
        raise AssessorError(AssessorError.REVIEWER_IS_ASSESSOR)
    require_qualified(actor, assessment.standard, timezone.localdate())
    assessment.status, assessment.reviewer, assessment.reviewed_at = Status.REVIEWED, actor, timezone.now()
    if note:
        assessment.note = "\n".join(filter(None, [assessment.note, f"审核意见 / review: {note}"]))
    with set_actor(actor):
        assessment.save()
    return assessment


def _in_force(elder: Elder) -> Assessment | None:
    """The latest effective assessment, not yet superseded (its start may lie in the future)."""
    return Assessment.objects.filter(elder=elder, status=Status.EFFECTIVE, effective_to__isnull=True).order_by("-effective_from").first()


@transaction.atomic
def assessment_make_effective(*, actor: User, assessment: Assessment, effective_from: dt.date) -> Assessment:
    """The result counts from `effective_from` on. The assessment in force until then is
    superseded: its `effective_to` becomes the day before. The reassessment due date follows the
    region's policy (policies/*.yaml)."""
    assessment = _lock(assessment)
    elder = assessment.elder
    _manage(actor, elder)
    _check_status(assessment, AssessmentAction.MAKE_EFFECTIVE)
    Elder.objects.select_for_update().filter(pk=elder.pk).first()  # one elder's levels change one at a time
    assessed_on = assessment.assessed_on
    assert assessed_on is not None  # a reviewed assessment has its date (the assessment_scored_has_result constraint)
    if effective_from < assessed_on:
        raise EffectiveDateError(
            EffectiveDateError.BEFORE_ASSESSMENT, effective_from=effective_from.isoformat(), assessed_on=assessed_on.isoformat()
        )
    previous = _in_force(elder)
    if previous is not None:
        current = previous.effective_from
        assert current is not None  # an effective one has its start (the assessment_effective_has_level_and_date constraint)
        if effective_from <= current:
            raise EffectiveDateError(EffectiveDateError.NOT_AFTER_CURRENT, current=current.isoformat())
    categories = policies.categories_for(assessment.level, elder.residence_id)
    interval = policies.reassessment_interval(assessment.standard, elder.residence_id)
    assessment.care_category, assessment.disability_degree = categories.care_category, categories.disability_degree
    assessment.status, assessment.effective_from = Status.EFFECTIVE, effective_from
    assessment.reassess_due = interval.due(effective_from)
    with set_actor(actor):
        assessment.save()
        if previous is not None:
            previous.effective_to = effective_from - dt.timedelta(days=1)
            previous.save(update_fields=["effective_to", "updated_at"])
        # The registry's 失能 membership follows the assessment from the same day.
        elder_services.elder_disability_set(
            elder=elder,
            degree="" if assessment.disability_degree == DisabilityDegree.NONE else assessment.disability_degree,
            valid_from=effective_from,
            source=f"能力评估 {assessment.pk} / assessment {assessment.pk}",
        )
    return assessment


@transaction.atomic
def assessment_cancel(*, actor: User, assessment: Assessment, reason: str) -> Assessment:
    """Cancel an assessment that is not yet effective (an effective one is corrected by a new one)."""
    assessment = _lock(assessment)
    _manage(actor, assessment.elder)
    _check_status(assessment, AssessmentAction.CANCEL)
    assessment.status, assessment.cancelled_at = Status.CANCELLED, timezone.now()
    assessment.note = "\n".join(filter(None, [assessment.note, f"取消原因 / cancelled: {reason}"]))
    with set_actor(actor):
        assessment.save()
    return assessment


@transaction.atomic
def qualification_record(
    *,
    actor: User,
    user: User,
    certificate_number: str,
    valid_from: dt.date,
    standards: list[str],
    valid_to: dt.date | None = None,
    issuer: str = "",
) -> AssessorQualification:
    require(actor, Cap.MANAGE_ASSESSORS)
    if not standards:
        raise RecordError(RecordError.NO_STANDARDS)
    for code in standards:
        if code not in FILES:
            raise RecordError(RecordError.UNKNOWN_STANDARD, standard=code)
    if valid_to is not None and valid_to < valid_from:
        raise RecordError(RecordError.DATES_ORDER)
    with set_actor(actor):
        return AssessorQualification.objects.create(
            user=user,
            certificate_number=certificate_number.strip(),
            issuer=issuer,
            valid_from=valid_from,
            valid_to=valid_to,
            standards=list(standards),
        )


class ObservationOutcome(enum.StrEnum):
    SCHEDULED = "scheduled"  # a reassessment is planned for the day of the observation
    BROUGHT_FORWARD = "brought_forward"  # one was open already: the in-force one is now due that day
    NONE = "none"  # the standard calls for nothing on this observation


@dataclass(frozen=True)
class Observation:
    outcome: ObservationOutcome
    assessment: Assessment | None = None  # the reassessment planned (SCHEDULED)
    clause: str = ""  # the clause that calls for it


@transaction.atomic
def observation_record(*, actor: User, elder: Elder, item: str, score: int, on: dt.date, note: str = "") -> Observation:
    """Someone who sees the elder (an assessor, a family doctor, an officer) observed one item of the
    ability standard in force, e.g. 意识水平 (B.3.1). Where the standard calls for a new assessment on
    such an observation, it is planned for that day.

    MZ/T 039-2013 5.2.1 表6 注1: an elder assessed in coma is rated 重度失能 and, once conscious again,
    reassessed ("若意识转为清醒，需重新进行评估"); 4.3.5: a change of condition that alters ability
    calls for an immediate assessment. The level in force stays until the new one takes effect."""
    if not (has_cap(actor, Cap.ASSESS) or has_cap(actor, Cap.MANAGE_ASSESSMENTS)):
        require(actor, Cap.MANAGE_ASSESSMENTS)  # refuses with the usual message
    require_elder(actor, elder)
    Elder.objects.select_for_update().filter(pk=elder.pk).first()  # one elder's plans change one at a time
    in_force = _in_force(elder)
    if in_force is None:
        raise RecordError(RecordError.NO_ASSESSMENT)
    standard = get_standard(in_force.standard)
    found = standard.items.get(item)
    if found is None:
        raise RecordError(RecordError.UNKNOWN_ITEM, standard=standard.code, item=item)
    if isinstance(score, bool) or score not in {o.score for o in found.options}:
        raise RecordError(RecordError.NOT_AN_OPTION, item=item, score=score)
    trigger = _trigger_for(standard, in_force, item, score)
    if trigger is None:
        return Observation(ObservationOutcome.NONE)
    text = f"{standard.code} {trigger.clause}：{trigger.text}。观察：{found.name}={score}（{on.isoformat()}）{note.strip()}"[:500]
    if Assessment.objects.filter(elder=elder, status__in=OPEN).exists():
        if in_force.reassess_due is None or in_force.reassess_due > on:
            in_force.reassess_due = on
            with set_actor(actor):
                in_force.save(update_fields=["reassess_due", "updated_at"])
        return Observation(ObservationOutcome.BROUGHT_FORWARD, clause=trigger.clause)
    planned = _plan(
        actor=actor,
        elder=elder,
        scheduled_for=on,
        reason=trigger.reason,
        standard=CURRENT,
        assessor=None,
        second_assessor=None,
        note=text,
    )
    return Observation(ObservationOutcome.SCHEDULED, planned, trigger.clause)


def _trigger_for(standard: Standard, in_force: Assessment, item: str, score: int) -> ReassessmentTrigger | None:
    """The standard's reassessment trigger this observation fires: one written for exactly this
    observation first (regaining consciousness), else a change of ability (a score other than the
    one in force on an item the standard's triggers watch)."""
    rules = standard.reassessment
    if rules is None:
        return None
    for trigger in rules.triggers:
        if trigger.observed is not None and trigger.fired_by(item, score) and trigger.concerns(in_force.answers, in_force.facts):
            return trigger
    watched = any(
        t.observed is not None and t.observed.item == item and t.concerns(in_force.answers, in_force.facts) for t in rules.triggers
    )
    if watched and in_force.answers.get(item) != score:
        return next((t for t in rules.triggers if t.event == ReassessmentEvent.ABILITY_CHANGED), None)
    return None
