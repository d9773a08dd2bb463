from collections import Counter

import pytest
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.assessments import scoring, services
from eldercare.assessments.facts import AssessmentFacts
from eldercare.assessments.models import Assessment, Status
from eldercare.assessments.selectors import current_levels, overdue_reassessments
from eldercare.assessments.standards import get_standard
from eldercare.demo.generator import build_demo_city
from eldercare.elders.models import ElderGroup, ElderStatus, PriorityGroup


def quiet(_message):
    pass


@pytest.fixture
def demo(db):
    return build_demo_city(elders=3_000, seed=5, log=quiet)


def _groups(group: str) -> dict[int, str]:
    today = timezone.localdate()
    active = ElderGroup.objects.active_on(today).filter(group=group, elder__status=ElderStatus.ACTIVE)
    return dict(active.values_list("elder_id", "level"))


def test_every_disabled_elder_has_one_assessment_in_force_at_their_degree(demo):
    today = timezone.localdate()
    disabled, dementia = _groups(PriorityGroup.DISABLED), _groups(PriorityGroup.DEMENTIA)
    assert len(disabled) > 100 and dementia
    in_force = Counter(
        Assessment.objects.filter(status=Status.EFFECTIVE, effective_from__lte=today, effective_to__isnull=True).values_list(
            "elder_id", flat=True
        )
    )
    assert all(in_force[pk] == 1 for pk in disabled | dementia)
    levels = current_levels(list(disabled | dementia), today)
    for pk, degree in disabled.items():
        assert levels[pk].disability_degree == degree, pk
    for pk, degree in dementia.items():
        assert levels[pk].disability_degree == disabled.get(pk, degree), pk
    assert {levels[pk].level for pk, degree in disabled.items() if degree == "severe"} == {"severe", "complete_loss"}


def test_answers_score_to_what_is_stored(demo):
    standard = get_standard("GB/T 42195-2022")
    dementia = set(_groups(PriorityGroup.DEMENTIA))
    raised: Counter[str] = Counter()
    for a in Assessment.objects.filter(status=Status.EFFECTIVE):
        result = scoring.score(standard, a.answers, AssessmentFacts.from_mapping(a.facts))
        stored = (a.total, a.indicator_scores, a.base_level, a.level, a.adjustments)
        assert stored == (
            result.total,
            result.indicator_scores(),
            result.base_level.code,
            result.final_level.code,
            [x.to_dict() for x in result.adjustments],
        )
        assert a.facts["dementia"] == (a.elder_id in dementia)
        raised.update(adj["code"] for adj in a.adjustments)
        assert a.assessed_on and a.reviewed_at and a.effective_from and a.reassess_due
        assert a.assessed_on <= a.reviewed_at.date() <= a.effective_from <= timezone.localdate()
        assert a.reassess_due > a.effective_from
    assert raised["dementia_or_mental_disorder"] and raised["care_risk_events"]


def test_others_assessed_are_able(demo):
    disabled, dementia = set(_groups(PriorityGroup.DISABLED)), set(_groups(PriorityGroup.DEMENTIA))
    others = Assessment.objects.filter(status=Status.EFFECTIVE).exclude(elder_id__in=disabled | dementia)
    assert set(others.values_list("level", "care_category", "disability_degree")) == {("intact", "self_caring", "none")}
    share = others.count() / (demo.elders - len(disabled | dementia))
    assert 0.06 < share < 0.14


def test_work_lists_and_open_assessments(demo):
    officer = User.objects.get(username="city_officer")
    overdue = list(overdue_reassessments(actor=officer))
    assert overdue and any(a.reassessment_open for a in overdue) and not all(a.reassessment_open for a in overdue)
    statuses = Counter(Assessment.objects.values_list("status", flat=True))
    assert statuses[Status.SCHEDULED] and statuses[Status.IN_PROGRESS]
    standard = get_standard("GB/T 42195-2022")
    for a in Assessment.objects.filter(status=Status.IN_PROGRESS):
        scoring.check_answers(standard, a.answers, complete=False)
        assert a.answers and not a.level


def test_named_assessors_are_qualified(demo):
    pairs = set()
    for a in Assessment.objects.filter(status=Status.EFFECTIVE).select_related("assessor", "second_assessor", "reviewer"):
        assert a.assessor and a.second_assessor and a.reviewer and a.assessed_on
        pairs.add((a.assessor.username, a.second_assessor.username))
        for person in (a.assessor, a.second_assessor, a.reviewer):
            services.require_qualified(person, a.standard, a.assessed_on)
        assert a.reviewer not in (a.assessor, a.second_assessor)
    assert {name for pair in pairs for name in pair} == {"assessor", "advisor", "doctor"}
