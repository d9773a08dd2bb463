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
from collections.abc import Mapping

from auditlog.context import set_actor
from django.db import transaction
from django.utils import timezone

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_elder
from eldercare.elders import services as elder_services
from eldercare.elders.models import Elder, ElderStatus

from . import policies, scoring
from .errors import AssessorError, EffectiveDateError, RecordError, TransitionError
from .facts import AssessmentFacts
from .models import Assessment, AssessorQualification, DisabilityDegree, Reason, Status
from .standards import CURRENT, FILES, Standard, get_standard

OPEN = (Status.SCHEDULED, Status.IN_PROGRESS, Status.SUBMITTED, Status.REVIEWED)
EDITABLE = (Status.SCHEDULED, Status.IN_PROGRESS)
SCORED = (Status.SUBMITTED, Status.REVIEWED, Status.EFFECTIVE)
RESULT_FIELDS = ("total", "indicator_scores", "base_level", "level", "adjustments", "care_category", "disability_degree")

# action → (statuses it starts from, Chinese verb, English participle) for TransitionError messages.
ACTIONS = {
    "save": (EDITABLE, "保存答案", "edited"),
    "submit": (EDITABLE, "提交", "submitted"),
    "review": ((Status.SUBMITTED,), "审核", "reviewed"),
    "return": ((Status.SUBMITTED,), "退回修改", "returned for revision"),
    "make_effective": ((Status.REVIEWED,), "生效", "made effective"),
    "cancel": (OPEN, "取消", "cancelled"),
}


def _standard(code: str) -> Standard:
    try:
        return get_standard(code)
    except KeyError:
        raise RecordError(RecordError.UNKNOWN_STANDARD, standard=code) from None


def _check_scope(actor, elder: Elder) -> None:
    require_elder(actor, elder)


def _manage(actor, elder: Elder) -> None:
    require(actor, Cap.MANAGE_ASSESSMENTS)
    _check_scope(actor, elder)


def _check_may_assess(actor, assessment: Assessment) -> None:
    """The assigned assessors, or a user who may assess and whose scope covers the elder."""
    if not _is_assessor(actor, assessment):
        require(actor, Cap.ASSESS)
        _check_scope(actor, assessment.elder)


def _is_assessor(actor, assessment: Assessment) -> bool:
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


def require_qualified(user, standard: str, day: dt.date) -> None:
    if not any(q.covers(standard, day) for q in AssessorQualification.objects.filter(user=user).valid_on(day)):
        raise AssessorError(AssessorError.NOT_QUALIFIED, user=str(user), day=day.isoformat(), standard=standard)


def _merged(assessment: Assessment, answers: Mapping | None, facts: Mapping | None) -> tuple[dict, dict]:
    """Saved answers and facts updated with new ones (an answer of None removes it), validated."""
    merged = {**assessment.answers, **(answers or {})}
    merged = {code: score for code, score in merged.items() if score is not None}
    scoring.check_answers(_standard(assessment.standard), merged, complete=False)
    return merged, AssessmentFacts.from_mapping({**assessment.facts, **(facts or {})}).to_dict()


@transaction.atomic
def assessment_schedule(
    *,
    actor,
    elder: Elder,
    scheduled_for: dt.date,
    reason: str,
    standard: str = CURRENT,
    assessor=None,
    second_assessor=None,
    note: str = "",
) -> Assessment:
    """Plan an assessment. A change of condition also brings the in-force assessment's
    reassessment due date forward to the planned date, so it shows on the overdue list then."""
    _manage(actor, elder)
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
            if in_force is not None and in_force.reassess_due > scheduled_for:
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
def assessment_save_answers(*, actor, assessment: Assessment, answers: Mapping | None = None, facts: Mapping | None = None) -> Assessment:
    """Save some answers and facts (partial saves allowed); the assessment is then in progress."""
    assessment = _lock(assessment)
    _check_may_assess(actor, assessment)
    _check_status(assessment, "save")
    assessment.answers, assessment.facts = _merged(assessment, answers, facts)
    assessment.status = Status.IN_PROGRESS
    with set_actor(actor):
        assessment.save(update_fields=["answers", "facts", "status", "updated_at"])
    return assessment


@transaction.atomic
def assessment_submit(
    *,
    actor,
    assessment: Assessment,
    assessed_on: dt.date | None = None,
    second_assessor=None,
    answers: Mapping | None = None,
    facts: Mapping | None = None,
) -> Assessment:
    """Submit complete answers: check the assessors, score, store the result."""
    assessment = _lock(assessment)
    _check_may_assess(actor, assessment)
    _check_status(assessment, "submit")
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
def assessment_return_for_revision(*, actor, assessment: Assessment, note: str) -> Assessment:
    """The reviewer sends a submission back to its assessors; its result is cleared."""
    assessment = _lock(assessment)
    _manage(actor, assessment.elder)
    _check_status(assessment, "return")
    for field in RESULT_FIELDS:
        setattr(assessment, field, Assessment._meta.get_field(field).get_default())
    assessment.status, assessment.submitted_at, assessment.assessed_on = Status.IN_PROGRESS, None, None
    assessment.note = "\n".join(filter(None, [assessment.note, f"退回修改 / returned: {note}"]))
    with set_actor(actor):
        assessment.save()
    return assessment


@transaction.atomic
def assessment_review(*, actor, assessment: Assessment, note: str = "") -> Assessment:
    assessment = _lock(assessment)
    _manage(actor, assessment.elder)
    _check_status(assessment, "review")
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
def assessment_make_effective(*, actor, assessment: Assessment, effective_from: dt.date) -> Assessment:
    """The result counts from `effective_from` on. The assessment in force until then is
    superseded: its `effective_to` becomes the day before. The reassessment due date follows the
    region's policy (policies/*.yaml)."""
    assessment = _lock(assessment)
    elder = assessment.elder
    _manage(actor, elder)
    _check_status(assessment, "make_effective")
    Elder.objects.select_for_update().filter(pk=elder.pk).first()  # one elder's levels change one at a time
    if effective_from < assessment.assessed_on:
        raise EffectiveDateError(
            EffectiveDateError.BEFORE_ASSESSMENT, effective_from=effective_from.isoformat(), assessed_on=assessment.assessed_on.isoformat()
        )
    previous = _in_force(elder)
    if previous is not None and effective_from <= previous.effective_from:
        raise EffectiveDateError(EffectiveDateError.NOT_AFTER_CURRENT, current=previous.effective_from.isoformat())
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
def assessment_cancel(*, actor, assessment: Assessment, reason: str) -> Assessment:
    """Cancel an assessment that is not yet effective (an effective one is corrected by a new one)."""
    assessment = _lock(assessment)
    _manage(actor, assessment.elder)
    _check_status(assessment, "cancel")
    assessment.status, assessment.cancelled_at = Status.CANCELLED, timezone.now()
    assessment.note = "\n".join(filter(None, [assessment.note, f"取消原因 / cancelled: {reason}"]))
    with set_actor(actor):
        assessment.save()
    return assessment


@transaction.atomic
def qualification_record(
    *, actor, user, certificate_number: str, valid_from: dt.date, standards: list[str], valid_to: dt.date | None = None, issuer: str = ""
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
