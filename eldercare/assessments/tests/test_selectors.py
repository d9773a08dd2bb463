import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from eldercare.accounts.roles import Role
from eldercare.assessments import selectors, services
from eldercare.assessments.models import Reason
from eldercare.elders.models import Elder, ElderStatus
from eldercare.tests import builders as testing

from .cases import gbt_answers
from .conftest import effective, qualify

JAN, JUL = dt.date(2024, 1, 1), dt.date(2024, 7, 1)


@pytest.fixture
def history(team, elder):
    """Mild from 2024-01-01, then severe from 2024-07-01."""
    first = effective(team, elder, total=89, assessed_on=dt.date(2023, 12, 20), effective_from=JAN)
    second = effective(team, elder, total=30, assessed_on=dt.date(2024, 6, 15), effective_from=JUL, reason=Reason.CHANGE_OF_CONDITION)
    return first, second


def test_current_level_honours_effective_dates(history, elder):
    first, second = history
    assert selectors.current_level(elder, JAN - dt.timedelta(days=1)) is None
    first_level = selectors.current_level(elder, JAN)
    assert first_level is not None and first_level.level == "mild"
    mid = selectors.current_level(elder, JUL - dt.timedelta(days=1))
    assert mid is not None
    assert (mid.level, mid.level_name, mid.care_category, mid.disability_degree, mid.assessment_id) == (
        "mild",
        "能力轻度受损（轻度失能）",
        "semi_disabled",
        "mild",
        first.pk,
    )
    now = selectors.current_level(elder.pk, dt.date(2030, 1, 1))
    assert now is not None
    assert (now.level, now.care_category, now.disability_degree, now.effective_from, now.standard) == (
        "severe",
        "disabled",
        "severe",
        JUL,
        "GB/T 42195-2022",
    )


def test_a_future_effective_date_changes_nothing_before_it(team, elder, today):
    effective(team, elder, total=0, assessed_on=today, effective_from=today + dt.timedelta(days=10))
    assert selectors.current_level(elder, today) is None
    later = selectors.current_level(elder, today + dt.timedelta(days=10))
    assert later is not None and later.level == "complete_loss"


def test_pending_and_cancelled_assessments_are_not_levels(team, elder, today):
    a = services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=today,
        reason=Reason.FIRST,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )
    services.assessment_submit(actor=team["assessor"], assessment=a, answers=gbt_answers(66))
    assert selectors.current_level(elder, today) is None


def test_current_levels_for_many_elders_in_one_query(history, elder, city, django_assert_num_queries):
    never = testing.elder(residence=city.community)
    with django_assert_num_queries(1):
        found = selectors.current_levels(Elder.objects.filter(residence=city.community), JUL)
    assert set(found) == {elder.pk} and found[elder.pk].level == "severe"
    assert selectors.current_levels([elder, never.pk], JAN)[elder.pk].level == "mild"


def test_level_history_is_scoped(history, elder, team, personas):
    first, second = history
    rows = list(selectors.level_history(actor=personas[Role.CARE_ADVISOR], elder=elder))
    assert rows == [second, first]
    assert (rows[0].assessor, rows[0].second_assessor, rows[0].reviewer) == (team["assessor"], team["second"], team["reviewer"])
    with pytest.raises(Http404):
        selectors.level_history(actor=team["outsider"], elder=elder)
    with pytest.raises(PermissionDenied):  # centre operators see no health data
        selectors.level_history(actor=personas[Role.CENTER_OPERATOR], elder=elder)


def test_level_history_can_include_pending(history, elder, team, today):
    a = services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=today,
        reason=Reason.PERIODIC,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )
    a = services.assessment_submit(actor=team["assessor"], assessment=a, answers=gbt_answers(66))
    rows = list(selectors.level_history(actor=team["officer"], elder=elder, include_pending=True))
    assert rows[0] == a and len(rows) == 3


@pytest.fixture
def overdue_city(team, city):
    """Three elders whose assessments fell due on 2025-01-01 (12 months after 2024-01-01): in
    清波社区 and 东坡路社区 (both 上城区, different streets) and one reassessed since."""
    near = testing.elder(residence=city.community, name="近")
    other_street = testing.elder(residence=city.community2, name="远")
    reassessed = testing.elder(residence=city.community_b, name="已复评")
    county_officer = testing.user("county_officer", Role.CIVIL_COUNTY, city.county)
    qualify(county_officer)
    team = {**team, "officer": county_officer, "reviewer": county_officer}
    rows = {}
    for elder in (near, other_street, reassessed):
        rows[elder.name] = effective(team, elder, total=66, assessed_on=dt.date(2023, 12, 20), effective_from=JAN)
    effective(team, reassessed, total=46, assessed_on=dt.date(2024, 12, 20), effective_from=dt.date(2025, 1, 1))
    return {"near": near, "other_street": other_street, "county_officer": county_officer, "rows": rows}


def test_overdue_reassessments_are_scoped_by_region(overdue_city, team, personas, city):
    on = dt.date(2025, 3, 1)
    street = [a.elder.name for a in selectors.overdue_reassessments(actor=team["officer"], on=on)]
    assert street == ["近"]  # 清波街道 only; the reassessed elder is not overdue
    county = selectors.overdue_reassessments(actor=overdue_city["county_officer"], on=on)
    assert sorted(a.elder.name for a in county) == ["近", "远"]
    narrowed = selectors.overdue_reassessments(actor=overdue_city["county_officer"], region=city.street2.code, on=on)
    assert [a.elder.name for a in narrowed] == ["远"]
    assert list(selectors.overdue_reassessments(actor=team["outsider"], on=on)) == []
    # Due on 2025-01-01: not overdue that day, overdue the day after.
    assert not selectors.overdue_reassessments(actor=team["officer"], on=dt.date(2025, 1, 1)).exists()
    assert selectors.overdue_reassessments(actor=team["officer"], on=dt.date(2025, 1, 2)).exists()
    with pytest.raises(PermissionDenied):
        selectors.overdue_reassessments(actor=personas[Role.CENTER_OPERATOR], on=on)
    with pytest.raises(ValidationError):
        selectors.overdue_reassessments(actor=team["officer"], region="330199000000", on=on)


def test_overdue_list_shows_planned_reassessments_and_skips_the_deceased(overdue_city, team):
    on = dt.date(2025, 3, 1)
    services.assessment_schedule(actor=team["officer"], elder=overdue_city["near"], scheduled_for=on, reason=Reason.PERIODIC)
    [row] = selectors.overdue_reassessments(actor=team["officer"], on=on)
    assert row.reassessment_open is True
    Elder.objects.filter(pk=overdue_city["near"].pk).update(status=ElderStatus.DECEASED)
    assert list(selectors.overdue_reassessments(actor=team["officer"], on=on)) == []


def test_overdue_list_query_count_does_not_grow(overdue_city, team, django_assert_num_queries):
    county_officer = overdue_city["county_officer"]
    with django_assert_num_queries(2):  # the region filter's look-up and the list, however long
        rows = list(selectors.overdue_reassessments(actor=county_officer, region="330102000000", on=dt.date(2025, 3, 1)))
        names = [(r.elder.name, r.elder.residence.name) for r in rows]
    assert names, "the overdue list under test is not empty"
