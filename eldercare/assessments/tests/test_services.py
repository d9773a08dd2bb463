import datetime as dt
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from eldercare.accounts.roles import Role
from eldercare.assessments import services
from eldercare.assessments.errors import AssessorError, EffectiveDateError, RecordError, ScoringError, TransitionError
from eldercare.assessments.models import Assessment, AssessorQualification, Reason, Status
from eldercare.core.months import add_months
from eldercare.elders.models import ElderGroup, ElderStatus, PriorityGroup
from eldercare.tests import builders as testing

from .cases import GBT, MZT, gbt_answers, mzt_answers
from .conftest import effective, qualify


@pytest.fixture
def scheduled(team, elder, today):
    return services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=today,
        reason=Reason.FIRST,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )


def snapshot(assessment) -> dict:
    fresh = Assessment.objects.get(pk=assessment.pk)
    return {f.attname: getattr(fresh, f.attname) for f in Assessment._meta.concrete_fields}


def test_the_whole_lifecycle(team, elder, scheduled, today):
    assert scheduled.status == Status.SCHEDULED and scheduled.scheduled_by == team["officer"]
    answers = gbt_answers(66)
    first_half = dict(list(answers.items())[:10])
    a = services.assessment_save_answers(actor=team["assessor"], assessment=scheduled, answers=first_half, facts={"care_risk_events": 2})
    assert (a.status, a.answers, a.facts["care_risk_events"]) == (Status.IN_PROGRESS, first_half, 2)
    a = services.assessment_submit(actor=team["assessor"], assessment=a, answers=answers)
    assert a.status == Status.SUBMITTED and a.assessed_on == today and a.submitted_at
    assert (a.total, a.base_level, a.level) == (66, "mild", "moderate")  # two risk events raise one level
    assert (a.care_category, a.disability_degree) == ("disabled", "moderate")
    assert a.indicator_scores["self_care"]["score"] == 23
    assert [adj["code"] for adj in a.adjustments] == ["care_risk_events"] and "附录C C.4" in a.adjustments[0]["clause"]
    a = services.assessment_review(actor=team["reviewer"], assessment=a, note="资料齐全")
    assert (a.status, a.reviewer) == (Status.REVIEWED, team["reviewer"])
    a = services.assessment_make_effective(actor=team["officer"], assessment=a, effective_from=today)
    assert (a.status, a.effective_from, a.reassess_due) == (Status.EFFECTIVE, today, add_months(today, 12))
    entries = LogEntry.objects.get_for_object(a)
    assert entries.count() >= 5 and set(entries.values_list("actor", flat=True)) >= {team["officer"].pk, team["assessor"].pk}


def test_partial_saves_validate_what_is_there_and_none_removes(team, scheduled):
    a = services.assessment_save_answers(actor=team["second"], assessment=scheduled, answers={"eating": 4, "stairs": 3})
    a = services.assessment_save_answers(actor=team["second"], assessment=a, answers={"stairs": None, "vision": 1})
    assert a.answers == {"eating": 4, "vision": 1}
    with pytest.raises(ScoringError) as info:
        services.assessment_save_answers(actor=team["second"], assessment=a, answers={"stairs": 4})
    assert info.value.code == ScoringError.INVALID_SCORE
    with pytest.raises(ScoringError) as info:
        not_a_flag: dict[str, Any] = {"coma": "no"}  # the wrong type on purpose: API clients can send it
        services.assessment_save_answers(actor=team["second"], assessment=a, facts=not_a_flag)
    assert info.value.code == ScoringError.INVALID_FACTS
    assert Assessment.objects.get(pk=a.pk).answers == {"eating": 4, "vision": 1}


def test_submitting_with_missing_answers_saves_nothing(team, scheduled):
    a = services.assessment_save_answers(actor=team["assessor"], assessment=scheduled, answers={"eating": 4})
    before = snapshot(a)
    answers = gbt_answers(90)
    del answers["memory"]
    with pytest.raises(ScoringError) as info:
        services.assessment_submit(actor=team["assessor"], assessment=a, answers=answers)
    assert info.value.details["codes"] == ["memory"]
    assert snapshot(a) == before


def test_a_second_submission_is_refused_and_changes_nothing(team, scheduled):
    a = services.assessment_submit(actor=team["assessor"], assessment=scheduled, answers=gbt_answers(90))
    before = snapshot(a)
    with pytest.raises(TransitionError) as info:
        services.assessment_submit(actor=team["assessor"], assessment=scheduled, answers=gbt_answers(0))
    assert info.value.code == TransitionError.ALREADY_SUBMITTED and "不能重复提交" in str(info.value)
    assert snapshot(a) == before


def test_an_unqualified_assessor_is_refused(team, elder, today):
    unqualified = testing.UserFactory.create(username="newbie", display_name="新评估员", role=Role.PROVIDER_ADMIN)
    with pytest.raises(AssessorError) as info:
        services.assessment_schedule(
            actor=team["officer"],
            elder=elder,
            scheduled_for=today,
            reason=Reason.FIRST,
            assessor=team["assessor"],
            second_assessor=unqualified,
        )
    assert info.value.code == AssessorError.NOT_QUALIFIED and "新评估员" in str(info.value)
    a = services.assessment_schedule(
        actor=team["officer"], elder=elder, scheduled_for=today, reason=Reason.FIRST, assessor=team["assessor"]
    )
    with pytest.raises(AssessorError) as info:
        services.assessment_submit(actor=team["assessor"], assessment=a, second_assessor=unqualified, answers=gbt_answers(90))
    assert info.value.code == AssessorError.NOT_QUALIFIED
    assert Assessment.objects.get(pk=a.pk).second_assessor is None


def test_an_expired_or_other_standard_qualification_is_refused(team, elder, today):
    expired = testing.UserFactory.create(username="expired", role=Role.PROVIDER_ADMIN)
    qualify(expired, valid_from=dt.date(2019, 1, 1), valid_to=today - dt.timedelta(days=1))
    mzt_only = testing.UserFactory.create(username="mztonly", role=Role.PROVIDER_ADMIN)
    qualify(mzt_only, standards=[MZT])
    a = services.assessment_schedule(
        actor=team["officer"], elder=elder, scheduled_for=today, reason=Reason.FIRST, assessor=team["assessor"]
    )
    for other in (expired, mzt_only):
        with pytest.raises(AssessorError) as info:
            services.assessment_submit(actor=team["assessor"], assessment=a, second_assessor=other, answers=gbt_answers(90))
        assert info.value.code == AssessorError.NOT_QUALIFIED
    # The same expired certificate was valid on an earlier assessment date.
    a = services.assessment_submit(
        actor=team["assessor"], assessment=a, second_assessor=expired, assessed_on=today - dt.timedelta(days=2), answers=gbt_answers(90)
    )
    assert a.status == Status.SUBMITTED


def test_the_standard_asks_for_two_different_assessors(team, elder, today):
    a = services.assessment_schedule(actor=team["officer"], elder=elder, scheduled_for=today, reason=Reason.FIRST)
    with pytest.raises(AssessorError) as info:
        services.assessment_submit(actor=team["reviewer"], assessment=a, answers=gbt_answers(90))
    assert info.value.code == AssessorError.COUNT and "2" in str(info.value)
    with pytest.raises(AssessorError) as info:
        services.assessment_submit(actor=team["reviewer"], assessment=a, second_assessor=team["reviewer"], answers=gbt_answers(90))
    assert info.value.code == AssessorError.SAME_PERSON
    assert snapshot(a)["assessor_id"] is None


def test_mzt_cites_its_two_assessor_clause(team, elder, today):
    a = services.assessment_schedule(actor=team["officer"], elder=elder, scheduled_for=today, reason=Reason.FIRST, standard=MZT)
    with pytest.raises(AssessorError, match="4.3.1"):
        services.assessment_submit(actor=team["reviewer"], assessment=a, answers=mzt_answers(0, 0, 0, 0))


def test_who_may_enter_and_submit_answers(team, scheduled, personas):
    with pytest.raises(AssessorError) as info:  # in scope, but the assessors are assigned
        services.assessment_submit(actor=team["reviewer"], assessment=scheduled, answers=gbt_answers(90))
    assert info.value.code == AssessorError.NOT_ASSIGNED
    with pytest.raises(PermissionDenied):
        services.assessment_save_answers(actor=team["outsider"], assessment=scheduled, answers={"eating": 4})
    with pytest.raises(PermissionDenied):
        services.assessment_submit(actor=personas[Role.CAREGIVER], assessment=scheduled, answers=gbt_answers(90))
    # A community worker in scope may enter answers on the assessors' behalf.
    services.assessment_save_answers(actor=personas[Role.COMMUNITY_WORKER], assessment=scheduled, answers={"eating": 4})


def test_the_submitter_becomes_the_assessor_when_none_was_assigned(team, elder, today):
    a = services.assessment_schedule(actor=team["officer"], elder=elder, scheduled_for=today, reason=Reason.FIRST)
    a = services.assessment_submit(actor=team["reviewer"], assessment=a, second_assessor=team["assessor"], answers=gbt_answers(90))
    assert (a.assessor, a.second_assessor) == (team["reviewer"], team["assessor"])


def test_a_future_assessment_date_is_refused(team, scheduled, today):
    with pytest.raises(EffectiveDateError) as info:
        services.assessment_submit(
            actor=team["assessor"], assessment=scheduled, assessed_on=today + dt.timedelta(days=1), answers=gbt_answers(90)
        )
    assert info.value.code == EffectiveDateError.FUTURE_ASSESSMENT


@pytest.fixture
def submitted(team, scheduled):
    return services.assessment_submit(actor=team["assessor"], assessment=scheduled, answers=gbt_answers(46))


def test_review_rules(team, submitted, personas, today):
    with pytest.raises(PermissionDenied):  # the agency's assessor: no registry capability
        services.assessment_review(actor=team["assessor"], assessment=submitted)
    with pytest.raises(PermissionDenied):  # no registry capability
        services.assessment_review(actor=personas[Role.CARE_ADVISOR], assessment=submitted)
    with pytest.raises(PermissionDenied):
        services.assessment_review(actor=team["outsider"], assessment=submitted)
    with pytest.raises(AssessorError) as info:  # may edit the registry, holds no qualification
        services.assessment_review(actor=team["officer"], assessment=submitted)
    assert info.value.code == AssessorError.NOT_QUALIFIED
    assert snapshot(submitted)["status"] == Status.SUBMITTED


def test_an_assessor_in_scope_may_not_review_their_own_work(team, elder, today):
    a = services.assessment_schedule(actor=team["officer"], elder=elder, scheduled_for=today, reason=Reason.FIRST)
    a = services.assessment_submit(actor=team["reviewer"], assessment=a, second_assessor=team["assessor"], answers=gbt_answers(90))
    with pytest.raises(AssessorError) as info:
        services.assessment_review(actor=team["reviewer"], assessment=a)
    assert info.value.code == AssessorError.REVIEWER_IS_ASSESSOR


def test_return_for_revision_clears_the_result(team, submitted):
    a = services.assessment_return_for_revision(actor=team["officer"], assessment=submitted, note="B.2.3 与现场不符")
    assert (a.status, a.level, a.total, a.indicator_scores, a.submitted_at) == (Status.IN_PROGRESS, "", None, {}, None)
    assert a.answers == gbt_answers(46) and "B.2.3" in a.note
    a = services.assessment_submit(actor=team["assessor"], assessment=a, answers={"walking": 4})
    assert (a.status, a.total) == (Status.SUBMITTED, 48)


@pytest.mark.parametrize(
    "call",
    [
        lambda t, a: services.assessment_review(actor=t["reviewer"], assessment=a),
        lambda t, a: services.assessment_make_effective(actor=t["officer"], assessment=a, effective_from=dt.date.today()),
        lambda t, a: services.assessment_return_for_revision(actor=t["officer"], assessment=a, note="x"),
    ],
)
def test_illegal_transitions_from_scheduled(team, scheduled, call):
    with pytest.raises(TransitionError) as info:
        call(team, scheduled)
    assert info.value.code == TransitionError.ILLEGAL and "已安排" in str(info.value)


def test_illegal_transitions_later_on(team, submitted, today):
    with pytest.raises(TransitionError):
        services.assessment_save_answers(actor=team["assessor"], assessment=submitted, answers={"eating": 0})
    with pytest.raises(TransitionError):
        services.assessment_make_effective(actor=team["officer"], assessment=submitted, effective_from=today)
    a = services.assessment_review(actor=team["reviewer"], assessment=submitted)
    with pytest.raises(TransitionError):
        services.assessment_review(actor=team["reviewer"], assessment=a)
    a = services.assessment_make_effective(actor=team["officer"], assessment=a, effective_from=today)
    with pytest.raises(TransitionError) as info:
        services.assessment_cancel(actor=team["officer"], assessment=a, reason="录错")
    assert "已生效" in str(info.value)


def test_cancel(team, scheduled):
    a = services.assessment_cancel(actor=team["officer"], assessment=scheduled, reason="老人住院")
    assert a.status == Status.CANCELLED and a.cancelled_at and "老人住院" in a.note
    for call in (
        lambda: services.assessment_submit(actor=team["assessor"], assessment=a, answers=gbt_answers(90)),
        lambda: services.assessment_save_answers(actor=team["assessor"], assessment=a, answers={}),
        lambda: services.assessment_cancel(actor=team["officer"], assessment=a, reason="again"),
    ):
        with pytest.raises(TransitionError) as info:
            call()
        assert info.value.code == TransitionError.ILLEGAL
    with pytest.raises(PermissionDenied):  # capability is checked before the status
        services.assessment_cancel(actor=team["assessor"], assessment=a, reason="x")


def test_make_effective_supersedes_and_keeps_dates_ordered(team, elder):
    first = effective(team, elder, total=90, assessed_on=dt.date(2024, 1, 5), effective_from=dt.date(2024, 2, 1))
    assert first.reassess_due == dt.date(2025, 2, 1)
    a = services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=dt.date(2024, 6, 1),
        reason=Reason.CHANGE_OF_CONDITION,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )
    a = services.assessment_submit(actor=team["assessor"], assessment=a, assessed_on=dt.date(2024, 6, 1), answers=gbt_answers(45))
    a = services.assessment_review(actor=team["reviewer"], assessment=a)
    with pytest.raises(EffectiveDateError) as info:
        services.assessment_make_effective(actor=team["officer"], assessment=a, effective_from=dt.date(2024, 5, 31))
    assert info.value.code == EffectiveDateError.BEFORE_ASSESSMENT
    first.refresh_from_db()
    with pytest.raises(EffectiveDateError) as info:  # not after the one in force (checked against a backdated start)
        Assessment.objects.filter(pk=first.pk).update(effective_from=dt.date(2024, 6, 10))
        services.assessment_make_effective(actor=team["officer"], assessment=a, effective_from=dt.date(2024, 6, 10))
    assert info.value.code == EffectiveDateError.NOT_AFTER_CURRENT
    Assessment.objects.filter(pk=first.pk).update(effective_from=dt.date(2024, 2, 1))
    a = services.assessment_make_effective(actor=team["officer"], assessment=a, effective_from=dt.date(2024, 7, 1))
    first.refresh_from_db()
    assert (first.effective_to, first.status) == (dt.date(2024, 6, 30), Status.EFFECTIVE)
    assert (a.level, a.care_category, a.reassess_due) == ("severe", "disabled", dt.date(2025, 7, 1))
    # The registry's 失能 membership is the assessment's projection, from each effective date.
    disabled = ElderGroup.objects.filter(elder=elder, group=PriorityGroup.DISABLED)
    assert list(disabled.active_on(dt.date(2024, 3, 1))) == []  # intact: no disability
    assert list(disabled.active_on(dt.date(2024, 7, 1)).values_list("level", flat=True)) == ["severe"]
    assert list(disabled.active_on(dt.date(2024, 6, 30))) == []


def test_scheduling_rules(team, elder, scheduled, personas, today, city):
    with pytest.raises(RecordError) as info:
        services.assessment_schedule(actor=team["officer"], elder=elder, scheduled_for=today, reason=Reason.PERIODIC)
    assert info.value.code == RecordError.OPEN_EXISTS
    other = testing.elder(residence=city.community_b)
    with pytest.raises(PermissionDenied):  # no registry capability
        services.assessment_schedule(actor=personas[Role.CENTER_OPERATOR], elder=other, scheduled_for=today, reason=Reason.FIRST)
    with pytest.raises(PermissionDenied):
        services.assessment_schedule(actor=team["outsider"], elder=other, scheduled_for=today, reason=Reason.FIRST)
    with pytest.raises(RecordError) as info:
        services.assessment_schedule(actor=team["officer"], elder=other, scheduled_for=today, reason=Reason.FIRST, standard="DB33/T 1")
    assert info.value.code == RecordError.UNKNOWN_STANDARD
    with pytest.raises(RecordError) as info:
        services.assessment_schedule(actor=team["officer"], elder=other, scheduled_for=today, reason="yearly")
    assert info.value.code == RecordError.UNKNOWN_REASON
    with pytest.raises(AssessorError):
        services.assessment_schedule(
            actor=team["officer"],
            elder=other,
            scheduled_for=today,
            reason=Reason.FIRST,
            assessor=team["assessor"],
            second_assessor=team["assessor"],
        )
    other.status = ElderStatus.DECEASED
    other.save()
    with pytest.raises(RecordError) as info:
        services.assessment_schedule(actor=team["officer"], elder=other, scheduled_for=today, reason=Reason.FIRST)
    assert info.value.code == RecordError.ELDER_NOT_ACTIVE


def test_a_change_of_condition_brings_the_due_date_forward(team, elder, today):
    first = effective(team, elder, total=90, assessed_on=dt.date(2024, 1, 5), effective_from=dt.date(2024, 2, 1))
    soon = dt.date(2024, 9, 1)
    services.assessment_schedule(actor=team["officer"], elder=elder, scheduled_for=soon, reason=Reason.CHANGE_OF_CONDITION)
    first.refresh_from_db()
    assert first.reassess_due == soon


def test_database_constraints(team, elder, today):
    base = {"elder": elder, "reason": Reason.FIRST, "scheduled_for": today, "scheduled_by": team["officer"]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(**base, assessor=team["assessor"], second_assessor=team["assessor"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(**base, status=Status.EFFECTIVE, effective_from=today)  # no level, no reviewer
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(**base, status=Status.SUBMITTED)  # no result
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(**base, standard="DB33/T 1")
    Assessment.objects.create(**base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(**base)  # a second open assessment


def test_one_effective_start_per_elder_and_date(team, elder):
    first = effective(team, elder, total=90, assessed_on=dt.date(2024, 1, 5), effective_from=dt.date(2024, 2, 1))
    clone = Assessment.objects.get(pk=first.pk)
    clone.pk = None
    clone.standard = MZT
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_recording_a_qualification(personas, team, today):
    user = testing.UserFactory.create(username="cert", role=Role.PROVIDER_ADMIN)
    q = services.qualification_record(
        actor=personas[Role.CIVIL_CITY], user=user, certificate_number=" ZJ-2024-001 ", valid_from=today, standards=[GBT]
    )
    assert (q.certificate_number, q.standards, q.covers(GBT, today), q.covers(MZT, today)) == ("ZJ-2024-001", [GBT], True, False)
    with pytest.raises(PermissionDenied):
        services.qualification_record(actor=team["officer"], user=user, certificate_number="X", valid_from=today, standards=[GBT])
    with pytest.raises(RecordError) as info:
        services.qualification_record(actor=personas[Role.SYSTEM_ADMIN], user=user, certificate_number="Y", valid_from=today, standards=[])
    assert info.value.code == RecordError.NO_STANDARDS
    with pytest.raises(RecordError) as info:
        services.qualification_record(
            actor=personas[Role.SYSTEM_ADMIN],
            user=user,
            certificate_number="Y",
            valid_from=today,
            valid_to=today - dt.timedelta(days=1),
            standards=[GBT],
        )
    assert info.value.code == RecordError.DATES_ORDER
    assert AssessorQualification.objects.filter(user=user).count() == 1
