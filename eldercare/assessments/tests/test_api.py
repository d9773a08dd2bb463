"""The assessment API: every role × the main endpoints, the lifecycle through a third-party agency's
token, and bad input answered 422 with a bilingual message and nothing saved.

As in eldercare/accounts/tests/test_authorization.py the expectations are written out by hand,
independent of roles.py.
"""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eldercare.accounts.models import ApiToken
from eldercare.accounts.roles import Role
from eldercare.accounts.tests.test_authorization import VISIBLE
from eldercare.assessments import services
from eldercare.assessments.errors import AssessorError, EffectiveDateError, RecordError, TransitionError
from eldercare.assessments.models import Assessment, AssessorQualification, Reason, Status
from eldercare.tests import builders as testing

from .cases import GBT, gbt_answers
from .conftest import qualify

R = Role
ALL_ROLES = list(Role)
MANAGERS = {R.SYSTEM_ADMIN, R.CIVIL_CITY, R.CIVIL_COUNTY, R.CIVIL_STREET, R.COMMUNITY_WORKER}
# Roles that may assess elders in their scope (besides the people assigned to an assessment).
ASSESSORS_IN_SCOPE = MANAGERS | {R.CARE_ADVISOR, R.FAMILY_DOCTOR}
# Roles that read no assessment at all: no health data, no assessing.
NO_READ = {R.CENTER_OPERATOR, R.PROVIDER_ADMIN, R.CAREGIVER, R.VOLUNTEER}


@pytest.fixture
def agency(personas, today):
    """The ASSESSOR persona and a colleague from the same agency, both certified."""
    colleague = testing.user("agency_b", Role.ASSESSOR)
    for person in (personas[R.ASSESSOR], colleague):
        qualify(person, valid_to=today + dt.timedelta(days=365))
    return personas[R.ASSESSOR], colleague


@pytest.fixture
def planned(world, personas, agency, today):
    """One scheduled assessment per fixture elder; only the own elder's goes to the ASSESSOR persona."""
    other = testing.user("agency_c", Role.ASSESSOR)
    qualify(other)
    first, second = agency
    out = {}
    for key, elder in world.items():
        out[key] = services.assessment_schedule(
            actor=personas[R.SYSTEM_ADMIN],
            elder=elder,
            scheduled_for=today,
            reason=Reason.FIRST,
            assessor=first if key == "own" else other,
            second_assessor=second,
        )
    return out


@pytest.fixture
def as_role(client, personas):
    def login(role):
        client.force_login(personas[role])
        return client

    return login


@pytest.fixture
def everyone_qualified(personas, today):
    for person in personas.values():
        if not AssessorQualification.objects.filter(user=person).exists():
            qualify(person, valid_to=today + dt.timedelta(days=365))


def post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def submit_own(client, planned, answers=None):
    return post(client, f"/api/assessments/{planned['own'].pk}/submit", {"answers": answers or gbt_answers(66)})


# ---------------------------------------------------------------- role × endpoint


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list(as_role, planned, world, role):
    response = as_role(role).get("/api/assessments/")
    if role in NO_READ:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    names = {row["elder_name"] for row in response.json()["items"]}
    expected = {"own"} if role == R.ASSESSOR else VISIBLE[role]
    assert names == {world[key].name for key in expected}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_get(as_role, planned, role):
    c = as_role(role)
    for key, assessment in planned.items():
        response = c.get(f"/api/assessments/{assessment.pk}")
        if role in NO_READ:
            expected = 403
        elif role == R.ASSESSOR:
            expected = 200 if key == "own" else 404  # only what is assigned to the agency
        else:
            expected = 200 if key in VISIBLE[role] else 404
        assert response.status_code == expected, key


@pytest.mark.parametrize("role", ALL_ROLES)
def test_schedule(as_role, city, personas, role):
    elder = testing.elder(residence=city.community, name="新评估")
    payload = {"elder": elder.pk, "scheduled_for": "2030-01-10", "reason": "first"}
    response = post(as_role(role), "/api/assessments/", payload)
    if role in MANAGERS:
        expected = 201
    elif role in (R.ELDER, R.FAMILY):
        expected = 404  # someone else's record
    else:
        expected = 403
    assert response.status_code == expected, response.content
    assert Assessment.objects.filter(elder=elder).exists() == (expected == 201)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_submit(as_role, planned, role):
    response = submit_own(as_role(role), planned)
    if role == R.ASSESSOR:
        expected = 200
    elif role in ASSESSORS_IN_SCOPE:
        expected = 422  # may assess here, but this one is assigned to the agency
    else:
        expected = 403
    assert response.status_code == expected, response.content
    assert Assessment.objects.get(pk=planned["own"].pk).status == (Status.SUBMITTED if expected == 200 else Status.SCHEDULED)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_review(as_role, planned, personas, everyone_qualified, role):
    assert submit_own(as_role(R.ASSESSOR), planned).status_code == 200
    response = post(as_role(role), f"/api/assessments/{planned['own'].pk}/review", {"note": "齐全"})
    assert response.status_code == (200 if role in MANAGERS else 403), response.content
    assert Assessment.objects.get(pk=planned["own"].pk).status == (Status.REVIEWED if role in MANAGERS else Status.SUBMITTED)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_make_effective(as_role, planned, personas, everyone_qualified, today, role):
    a = planned["own"]
    services.assessment_submit(actor=personas[R.ASSESSOR], assessment=a, answers=gbt_answers(66))
    services.assessment_review(actor=personas[R.COMMUNITY_WORKER], assessment=a)
    response = post(as_role(role), f"/api/assessments/{a.pk}/make-effective", {"effective_from": today.isoformat()})
    assert response.status_code == (200 if role in MANAGERS else 403), response.content
    assert Assessment.objects.get(pk=a.pk).status == (Status.EFFECTIVE if role in MANAGERS else Status.REVIEWED)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_cancel(as_role, planned, role):
    c = as_role(role)
    own, far = planned["own"], planned["other_county"]
    response = post(c, f"/api/assessments/{own.pk}/cancel", {"reason": "老人住院"})
    assert response.status_code == (200 if role in MANAGERS else 403)
    assert Assessment.objects.get(pk=own.pk).status == (Status.CANCELLED if role in MANAGERS else Status.SCHEDULED)
    far_response = post(c, f"/api/assessments/{far.pk}/cancel", {"reason": "越界"})
    allowed_far = role in (R.SYSTEM_ADMIN, R.CIVIL_CITY)
    if allowed_far:
        assert far_response.status_code == 200
    else:
        assert far_response.status_code in (403, 404)
        assert Assessment.objects.get(pk=far.pk).status == Status.SCHEDULED


@pytest.mark.parametrize("role", ALL_ROLES)
def test_history_current_and_overdue(as_role, world, role):
    c = as_role(role)
    own = world["own"]
    reads_health = role not in NO_READ and role != R.ASSESSOR
    for url in (f"/api/assessments/elders/{own.pk}/history", f"/api/assessments/elders/{own.pk}/current"):
        assert c.get(url).status_code == (200 if reads_health else 403), url
    assert c.get("/api/assessments/overdue").status_code == (200 if reads_health else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_record_qualification(as_role, personas, role):
    payload = {"user": personas[R.ASSESSOR].pk, "certificate_number": f"PG-{role}", "valid_from": "2025-01-01", "standards": [GBT]}
    response = post(as_role(role), "/api/assessments/qualifications", payload)
    assert response.status_code == (201 if role in (R.SYSTEM_ADMIN, R.CIVIL_CITY) else 403), response.content


# ---------------------------------------------------------------- owner, same region, refused


def test_owner_same_region_and_refused(client, city, planned, personas):
    """The elder's own community worker and the street officer of the same street see it; an
    officer of another district gets 404 for it and cannot act on it."""
    own = planned["own"]
    far_officer = testing.user("far_street", Role.CIVIL_STREET, city.street_b)
    for user, expected in ((personas[R.COMMUNITY_WORKER], 200), (personas[R.CIVIL_STREET], 200), (far_officer, 404)):
        client.force_login(user)
        assert client.get(f"/api/assessments/{own.pk}").status_code == expected
    response = post(client, f"/api/assessments/{own.pk}/cancel", {"reason": "越界"})
    assert response.status_code == 404
    assert Assessment.objects.get(pk=own.pk).status == Status.SCHEDULED


# ---------------------------------------------------------------- lifecycle


def test_the_whole_lifecycle_through_the_api(client, world, personas, agency, today):
    """A street officer plans; the agency works through its bearer token (partial save, then
    submit); the community worker reviews; the officer makes it effective; the level is current."""
    elder = world["own"]
    first, second = agency
    qualify(personas[R.COMMUNITY_WORKER], valid_to=today + dt.timedelta(days=30))
    _, key = ApiToken.issue(user=first, name="agency app")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    client.force_login(personas[R.CIVIL_STREET])
    payload = {"elder": elder.pk, "scheduled_for": today.isoformat(), "reason": "first", "assessor": first.pk}
    response = post(client, "/api/assessments/", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    assert (body["status"], body["assessor"]["id"], body["standard"]) == ("scheduled", first.pk, GBT)
    client.logout()

    assert [row["id"] for row in client.get("/api/assessments/", **bearer).json()["items"]] == [pk]
    standard = client.get("/api/assessments/standards/gbt_42195_2022", **bearer).json()
    assert sum(len(ind["items"]) for ind in standard["indicators"]) == 26

    answers = gbt_answers(66)
    half = dict(list(answers.items())[:13])
    response = post(client, f"/api/assessments/{pk}/answers", {"answers": half, "facts": {"care_risk_events": 2}}, **bearer)
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["answers"]) == ("in_progress", half)

    response = post(client, f"/api/assessments/{pk}/submit", {"answers": answers, "second_assessor": second.pk}, **bearer)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["total"], body["base_level"], body["level"]) == ("submitted", 66, "mild", "moderate")
    assert body["second_assessor"]["id"] == second.pk
    assert [a["code"] for a in body["adjustments"]] == ["care_risk_events"]
    assert body["adjustments"][0]["clause"] == "附录C C.4" and body["adjustments"][0]["from_level"] == "mild"
    assert {i["code"]: i["score"] for i in body["indicator_scores"]} == {
        "self_care": 23,
        "basic_mobility": 10,
        "mental_status": 22,
        "perception_social": 11,
    }
    assert body["explanation_zh"][-1].startswith("最终等级") and body["explanation_en"][-1].startswith("Final level")
    assert body["care_category"] == "disabled" and body["care_category_label"] == "失能"

    client.force_login(personas[R.COMMUNITY_WORKER])
    response = post(client, f"/api/assessments/{pk}/review", {"note": "资料齐全"})
    assert response.json()["status"] == "reviewed"
    client.force_login(personas[R.CIVIL_STREET])
    response = post(client, f"/api/assessments/{pk}/make-effective", {"effective_from": today.isoformat()})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "effective" and response.json()["reassess_due"]

    current = client.get(f"/api/assessments/elders/{elder.pk}/current").json()
    assert (current["level"], current["care_category"], current["assessment_id"]) == ("moderate", "disabled", pk)
    before = client.get(f"/api/assessments/elders/{elder.pk}/current?on={(today - dt.timedelta(days=1)).isoformat()}").json()
    assert before["level"] is None  # a result counts only from its effective date
    history = client.get(f"/api/assessments/elders/{elder.pk}/history").json()["items"]
    assert [row["id"] for row in history] == [pk]


def test_overdue_work_list(client, world, personas, agency, today):
    first, second = agency
    a = services.assessment_schedule(
        actor=personas[R.SYSTEM_ADMIN],
        elder=world["own"],
        scheduled_for=dt.date(2023, 1, 5),
        reason=Reason.FIRST,
        assessor=first,
        second_assessor=second,
    )
    qualify(personas[R.COMMUNITY_WORKER])
    services.assessment_submit(actor=first, assessment=a, answers=gbt_answers(89), assessed_on=dt.date(2023, 1, 5))
    services.assessment_review(actor=personas[R.COMMUNITY_WORKER], assessment=a)
    services.assessment_make_effective(actor=personas[R.CIVIL_STREET], assessment=a, effective_from=dt.date(2023, 1, 10))
    client.force_login(personas[R.CIVIL_STREET])
    rows = client.get("/api/assessments/overdue").json()["items"]
    assert [(r["elder_name"], r["level"], r["reassessment_open"]) for r in rows] == [("王秀英", "mild", False)]
    assert rows[0]["days_overdue"] == (today - dt.date.fromisoformat(rows[0]["reassess_due"])).days > 0
    assert client.get(f"/api/assessments/overdue?region={world['same_county'].residence_id}").json()["items"] == []
    assert client.get("/api/assessments/overdue?region=999999999999").status_code == 422


def test_standard_definitions(client, personas):
    client.force_login(personas[R.ASSESSOR])
    summaries = client.get("/api/assessments/standards").json()["items"]
    assert {s["code"] for s in summaries} == {"GB/T 42195-2022", "MZ/T 039-2013"}
    gbt = client.get("/api/assessments/standards/gbt_42195_2022").json()
    assert (gbt["total_min"], gbt["total_max"]) == (0, 90)
    eating = gbt["indicators"][0]["items"][0]
    assert (eating["number"], eating["name"]) == ("B.1.1", "进食")
    assert eating["options"][0] == {"score": 4, "text": "独立使用器具将食物送进口中并咽下，没有呛咳", "skips": []}
    assert [b["level"] for b in gbt["bands"]] == ["intact", "mild", "moderate", "severe", "complete_loss"]
    assert {a["code"] for a in gbt["adjustments"]} == {"coma", "dementia_or_mental_disorder", "care_risk_events"}
    assert {f["name"] for f in gbt["facts"]} == {"coma", "dementia", "mental_disorder", "care_risk_events"}
    assert client.get("/api/assessments/standards/mzt_039_2013").json()["method"] == "graded_combination"
    assert client.get("/api/assessments/standards/nope").status_code == 422


def test_list_filters_and_constant_query_count(client, world, planned, personas, city, today):
    client.force_login(personas[R.SYSTEM_ADMIN])
    assert client.get("/api/assessments/?status=scheduled").json()["total"] == 4
    assert client.get("/api/assessments/?status=effective").json()["total"] == 0
    assert client.get(f"/api/assessments/?region={city.street.code}").json()["total"] == 2
    assert client.get(f"/api/assessments/?elder={world['own'].pk}").json()["items"][0]["id"] == planned["own"].pk
    response = client.get("/api/assessments/?status=done")
    assert (response.status_code, response.json()["code"]) == (422, "assessments.status_unknown")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/assessments/?status=open").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        elder = testing.elder(residence=city.community_b, name=f"加{i}")
        services.assessment_schedule(
            actor=personas[R.SYSTEM_ADMIN], elder=elder, scheduled_for=today, reason=Reason.FIRST, assessor=planned["own"].assessor
        )
    assert count() == before


# ---------------------------------------------------------------- bad input: 422, bilingual, nothing saved


def snapshot(pk):
    fresh = Assessment.objects.get(pk=pk)
    return {f.attname: getattr(fresh, f.attname) for f in Assessment._meta.concrete_fields}


@pytest.mark.parametrize(
    ("payload", "zh", "en"),
    [
        ({"answers": {k: v for k, v in gbt_answers(66).items() if k != "memory"}}, "尚未作答", "not answered"),
        ({"answers": {**gbt_answers(66), "eating": 7}}, "不是该项目的选项分值", "not option scores"),
        ({"answers": {**gbt_answers(66), "eating": "4"}}, "不是该项目的选项分值", "not option scores"),
        ({"answers": {**gbt_answers(66), "flying": 1}}, "没有以下项目", "has no such items"),
        ({"answers": gbt_answers(66), "facts": {"coma": "yes"}}, "评估相关情况填写有误", "not valid"),
        ({"answers": gbt_answers(66), "assessed_on": "2999-01-01"}, "晚于今天", "in the future"),
    ],
)
def test_bad_submissions_are_422_and_save_nothing(client, planned, personas, payload, zh, en):
    pk = planned["own"].pk
    before = snapshot(pk)
    client.force_login(personas[R.ASSESSOR])
    response = post(client, f"/api/assessments/{pk}/submit", payload)
    assert response.status_code == 422, response.content
    message = response.json()["detail"]["__all__"][0]
    assert zh in message and en in message
    assert snapshot(pk) == before


def test_unqualified_assessor_and_second_submission(client, planned, personas, agency, today):
    pk = planned["own"].pk
    first, second = agency
    AssessorQualification.objects.filter(user=second).update(valid_to=today - dt.timedelta(days=1))
    client.force_login(first)
    before = snapshot(pk)
    response = submit_own(client, planned)
    assert response.status_code == 422
    assert (
        response.json()["code"] == AssessorError.NOT_QUALIFIED and "no assessor qualification" in response.json()["detail"]["__all__"][0]
    )
    assert snapshot(pk) == before

    AssessorQualification.objects.filter(user=second).update(valid_to=None)
    assert submit_own(client, planned).status_code == 200
    before = snapshot(pk)
    again = submit_own(client, planned, gbt_answers(90))
    assert again.status_code == 422
    assert again.json()["code"] == TransitionError.ALREADY_SUBMITTED
    assert snapshot(pk) == before


def test_partial_save_refuses_bad_scores_and_keeps_what_was_saved(client, planned, personas):
    pk = planned["own"].pk
    client.force_login(personas[R.ASSESSOR])
    assert post(client, f"/api/assessments/{pk}/answers", {"answers": {"eating": 4}}).status_code == 200
    response = post(client, f"/api/assessments/{pk}/answers", {"answers": {"stairs": 4, "vision": 1}})
    assert response.status_code == 422
    assert Assessment.objects.get(pk=pk).answers == {"eating": 4}


def test_schedule_errors(client, world, planned, personas, city):
    client.force_login(personas[R.CIVIL_STREET])
    response = post(client, "/api/assessments/", {"elder": world["own"].pk, "scheduled_for": "2030-01-01", "reason": "first"})
    assert (response.status_code, response.json()["code"]) == (422, RecordError.OPEN_EXISTS)
    elder = testing.elder(residence=city.community, name="新人")
    bad: list[tuple[dict[str, Any], str]] = [
        ({"reason": "whim"}, "未知的评估原因"),
        ({"reason": "first", "standard": "ISO 9001"}, "未知的评估标准"),
        ({"reason": "first", "assessor": 999999}, "不存在"),
        ({"reason": "first", "assessor": personas[R.CAREGIVER].pk}, "没有有效的"),
    ]
    for extra, message in bad:
        response = post(client, "/api/assessments/", {"elder": elder.pk, "scheduled_for": "2030-01-01", **extra})
        assert response.status_code == 422, extra
        assert message in str(response.json()["detail"]), extra
    assert not Assessment.objects.filter(elder=elder).exists()


def test_make_effective_before_assessment_is_422(client, planned, personas, everyone_qualified, today):
    a = planned["own"]
    services.assessment_submit(actor=personas[R.ASSESSOR], assessment=a, answers=gbt_answers(66))
    services.assessment_review(actor=personas[R.COMMUNITY_WORKER], assessment=a)
    client.force_login(personas[R.CIVIL_STREET])
    response = post(client, f"/api/assessments/{a.pk}/make-effective", {"effective_from": (today - dt.timedelta(days=3)).isoformat()})
    assert (response.status_code, response.json()["code"]) == (422, EffectiveDateError.BEFORE_ASSESSMENT)
    assert Assessment.objects.get(pk=a.pk).status == Status.REVIEWED
