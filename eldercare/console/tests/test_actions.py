"""Steps posted from a page (`views.actions`): bad input is a form error on the page, never a 500;
a step the page does not offer is refused (403) before any service runs, unless the record only
moved on meanwhile (then a message); GET on a step's address goes back to the page; and each role
sees exactly the buttons its selector grants."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.assessments import services as assessment_services
from eldercare.assessments.models import Assessment, Status
from eldercare.assessments.tests.conftest import today as today  # noqa: F401 (fixtures shared with the assessment tests)
from eldercare.assessments.tests.test_api import agency as agency  # noqa: F401
from eldercare.assessments.tests.test_api import everyone_qualified as everyone_qualified  # noqa: F401
from eldercare.assessments.tests.test_api import planned as planned  # noqa: F401
from eldercare.assessments.tests.test_pages import make_submitted
from eldercare.devices import selectors as device_selectors
from eldercare.devices.models import AlarmStatus
from eldercare.devices.tests.test_alarm_actions import PATHS as ALARM_PATHS
from eldercare.devices.tests.test_alarm_actions import alarm_in
from eldercare.elders.models import ElderGroup
from eldercare.homecare import selectors as order_selectors
from eldercare.homecare.models import OrderStatus
from eldercare.homecare.tests.conftest import HOME
from eldercare.homecare.tests.conftest import svc as svc  # noqa: F401
from eldercare.homecare.tests.test_order_actions import ALL_DAY, order_in
from eldercare.homecare.tests.test_order_actions import PATHS as ORDER_PATHS
from eldercare.tests import builders as testing

R = Role
S = OrderStatus
BUTTON = re.compile(r'name="action" value="([a-z_]+)"')


def buttons(html: str) -> set[str]:
    return set(BUTTON.findall(html))


@pytest.fixture
def free_carers(svc):
    """Both caregivers free all week, so matching has candidates to show."""
    for carer in (svc.zhang, svc.li):
        carer.hours = ALL_DAY
        carer.save()


def act(client, order, action=None, **data):
    if action is not None:
        data["action"] = action
    return client.post(f"/orders/{order.pk}/act/", data)


def order_page(order) -> str:
    return f"/orders/{order.pk}/"


# ---------------------------------------------------------------- orders: bad input


@pytest.mark.parametrize("rating", ["abc", "9", "0", "", "4.5", "-1"])
def test_a_bad_rating_is_a_form_error(client, svc, personas, rating):
    order = order_in(S.CHECKED_OUT, svc, personas)
    client.force_login(personas[R.ELDER])
    response = act(client, order, "confirm", rating=rating, comment="好")
    assert response.status_code == 200
    assert response.context["forms"]["confirm"].errors["rating"]
    html = response.content.decode()
    assert "alert-error" in html and 'value="confirm"' in html  # the form is shown again, with its error
    order.refresh_from_db()
    assert order.status == S.CHECKED_OUT


def test_a_good_rating_confirms(client, svc, personas):
    order = order_in(S.CHECKED_OUT, svc, personas)
    client.force_login(personas[R.ELDER])
    response = act(client, order, "confirm", rating="4", comment="好")
    assert (response.status_code, response["Location"]) == (302, order_page(order))
    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_comment) == (S.CONFIRMED, 4, "好")


def test_assigning_needs_a_caregiver_the_service_accepts(client, svc, personas, free_carers):
    order = order_in(S.REQUESTED, svc, personas)
    client.force_login(personas[R.CENTER_OPERATOR])
    for data in ({}, {"caregiver": ""}, {"caregiver": "abc"}, {"caregiver": "999999"}):
        response = act(client, order, "assign", note="就近", **data)
        assert response.status_code == 200, data
        assert response.context["forms"]["assign"].errors["caregiver"], data
    response = act(client, order, "assign", caregiver=svc.far_carer.pk)  # the service's refusal, on the form
    assert response.status_code == 200
    assert "服务区域不含该社区" in str(response.context["forms"]["assign"].errors["caregiver"])
    order.refresh_from_db()
    assert order.status == S.REQUESTED
    assert act(client, order, "assign", caregiver=svc.zhang.pk, note="就近").status_code == 302
    order.refresh_from_db()
    assert (order.status, order.caregiver, order.match_note) == (S.MATCHED, svc.zhang, "就近")


def test_reasons_are_required(client, svc, personas):
    order = order_in(S.DISPATCHED, svc, personas)
    client.force_login(personas[R.CAREGIVER])
    response = act(client, order, "decline", reason="   ")
    assert response.status_code == 200 and response.context["forms"]["decline"].errors["reason"]
    client.force_login(personas[R.CENTER_OPERATOR])
    for step in ("cancel", "no_show"):
        response = act(client, order, step)
        assert response.status_code == 200 and response.context["forms"][step].errors["reason"], step
    order.refresh_from_db()
    assert order.status == S.DISPATCHED


def test_checking_in_from_the_phone_page(client, svc, personas):
    order = order_in(S.ACCEPTED, svc, personas)
    tasks = f"/care/?day={timezone.localdate(order.window_start)}"
    client.force_login(personas[R.CAREGIVER])
    for latitude, longitude in (("abc", "120.16"), ("91", "120.16"), ("30.25", "181"), ("", ""), ("NaN", "120.16")):
        response = act(client, order, "check_in", latitude=latitude, longitude=longitude, next=tasks)
        assert response.status_code == 200, (latitude, longitude)
        assert "console/care_tasks.html" in [t.name for t in response.templates]  # the page it came from, again
        html = response.content.decode()
        assert "alert-error" in html and 'value="check_in"' in html
        assert f'name="next" value="{tasks}"' in html  # the next step still comes back to the task page
    order.refresh_from_db()
    assert order.status == S.ACCEPTED
    response = act(client, order, "check_in", latitude="30.2500004", longitude=str(HOME[1]), next=tasks)
    assert (response.status_code, response["Location"]) == (302, tasks)
    order.refresh_from_db()
    assert (order.status, order.checkin_latitude, order.checkin_longitude) == (S.CHECKED_IN, HOME[0], HOME[1])


def test_next_must_stay_on_the_site(client, svc, personas):
    order = order_in(S.DISPATCHED, svc, personas)
    client.force_login(personas[R.CAREGIVER])
    response = act(client, order, "accept", next="https://evil.example/care/")
    assert response["Location"] == order_page(order)
    response = act(client, order, "depart", next="//evil.example/")
    assert response["Location"] == order_page(order)


# ---------------------------------------------------------------- orders: refusals


def test_an_unknown_or_missing_step_is_refused(client, svc, personas):
    order = order_in(S.CONFIRMED, svc, personas)
    client.force_login(personas[R.SYSTEM_ADMIN])
    for data in ({"action": "explode"}, {"action": "settle"}, {"action": ""}, {}):
        assert client.post(f"/orders/{order.pk}/act/", data).status_code == 403, data


def test_a_step_not_offered_is_refused_before_the_service(client, svc, personas):
    order = order_in(S.MATCHED, svc, personas)
    client.force_login(personas[R.ELDER])  # sees the order, may not dispatch it
    assert act(client, order, "dispatch").status_code == 403
    dispatched = order_in(S.DISPATCHED, svc, personas)
    client.force_login(svc.li.user)  # a caregiver, not this order's
    assert act(client, dispatched, "accept").status_code == 404  # not even visible
    client.force_login(personas[R.CAREGIVER])
    assert act(client, dispatched, "confirm", rating="5").status_code == 403
    for o in (order, dispatched):
        before = o.status
        o.refresh_from_db()
        assert o.status == before


def test_a_page_that_moved_on_says_so(client, svc, personas):
    order = order_in(S.DISPATCHED, svc, personas)
    client.force_login(personas[R.CENTER_OPERATOR])  # dispatched already, by someone else
    response = act(client, order, "dispatch")
    assert (response.status_code, response["Location"]) == (302, order_page(order))
    assert "不能派单" in client.get(order_page(order)).content.decode()
    client.force_login(personas[R.CAREGIVER])
    tasks = f"/care/?day={timezone.localdate(order.window_start)}"
    act(client, order, "accept", next=tasks)
    response = act(client, order, "accept", next=tasks)  # the button pressed twice
    assert (response.status_code, response["Location"]) == (302, tasks)
    assert "不能接单" in client.get(tasks).content.decode()


def test_get_on_a_step_goes_back_to_the_page(client, svc, personas):
    order = order_in(S.CHECKED_OUT, svc, personas)
    client.force_login(personas[R.ELDER])
    response = client.get(f"/orders/{order.pk}/act/?action=confirm&rating=abc")
    assert (response.status_code, response["Location"]) == (302, order_page(order))
    order.refresh_from_db()
    assert order.status == S.CHECKED_OUT


# ---------------------------------------------------------------- orders: who sees which buttons


@pytest.mark.parametrize("status", list(ORDER_PATHS))
def test_each_role_sees_the_buttons_its_selector_grants(client, svc, personas, free_carers, status):
    order = order_in(status, svc, personas)
    seen = {}
    for role, user in [*personas.items(), ("other caregiver", svc.li.user)]:
        client.force_login(user)
        response = client.get(order_page(order))
        if response.status_code != 200:
            assert response.status_code in (403, 404), role
            continue
        seen[role] = buttons(response.content.decode())
        assert seen[role] == order_selectors.order_actions(user, order), role
    if status in (S.REQUESTED, S.CHECKED_OUT, S.DISPATCHED):
        assert any(seen.values())


def test_the_phone_page_shows_the_caregivers_steps(client, svc, personas):
    tasks = [order_in(status, svc, personas) for status in (S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE, S.CHECKED_IN, S.CHECKED_OUT)]
    carer = personas[R.CAREGIVER]
    client.force_login(carer)
    html = client.get(f"/care/?day={timezone.localdate(tasks[0].window_start)}").content.decode()
    shown = {}
    for article in html.split("<article")[1:]:
        ids = set(re.findall(r"/orders/(\d+)/act/", article))
        shown[int(ids.pop()) if ids else None] = buttons(article)
    for order in tasks:
        expected = order_selectors.order_actions(carer, order)
        assert shown.get(order.pk, set()) == expected, order.status
    assert shown[tasks[0].pk] == {"accept", "decline", "no_show"}


# ---------------------------------------------------------------- alarms


@pytest.fixture
def alarm_elder(city):
    return testing.elder(residence=city.community, name="王秀英")


def alarm_act(client, alarm, action=None, **data):
    if action is not None:
        data["action"] = action
    return client.post(f"/alarms/{alarm.pk}/act/", data)


def test_alarm_steps_with_bad_input(client, alarm_elder, personas):
    operator = personas[R.CENTER_OPERATOR]
    alarm = alarm_in(AlarmStatus.ACKNOWLEDGED, alarm_elder, operator)
    client.force_login(operator)
    for data in ({}, {"responder": "robot"}, {"responder": "caregiver", "name": "x" * 101}):
        response = alarm_act(client, alarm, "dispatch", **data)
        assert response.status_code == 200 and response.context["forms"]["dispatch"].errors, data
    response = alarm_act(client, alarm, "resolve", outcome="  ")
    assert response.status_code == 200 and response.context["forms"]["resolve"].errors["outcome"]
    assert alarm_act(client, alarm, "explode").status_code == 403
    assert alarm_act(client, alarm).status_code == 403
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    response = alarm_act(client, alarm, "resolve", outcome="已上门，老人无恙")
    assert (response.status_code, response["Location"]) == (302, f"/alarms/{alarm.pk}/")
    alarm.refresh_from_db()
    assert (alarm.status, alarm.outcome) == (AlarmStatus.RESOLVED, "已上门，老人无恙")


def test_alarm_steps_refused_or_moved_on(client, alarm_elder, personas):
    operator = personas[R.CENTER_OPERATOR]
    alarm = alarm_in(AlarmStatus.RAISED, alarm_elder, operator)
    client.force_login(personas[R.CIVIL_STREET])  # sees the board, does not handle alarms
    assert alarm_act(client, alarm, "acknowledge").status_code == 403
    assert client.get(f"/alarms/{alarm.pk}/act/").status_code == 302
    client.force_login(personas[R.COMMUNITY_WORKER])
    assert alarm_act(client, alarm, "acknowledge").status_code == 302
    client.force_login(operator)  # a second operator, on a page shown before
    response = alarm_act(client, alarm, "acknowledge")
    assert (response.status_code, response["Location"]) == (302, f"/alarms/{alarm.pk}/")
    assert "已变为" in client.get(f"/alarms/{alarm.pk}/").content.decode()  # the reason, as a message
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == personas[R.COMMUNITY_WORKER]


@pytest.mark.parametrize("status", list(ALARM_PATHS))
def test_each_role_sees_the_alarm_buttons_its_selector_grants(client, alarm_elder, personas, status):
    alarm = alarm_in(status, alarm_elder, personas[R.CENTER_OPERATOR])
    for role, user in personas.items():
        client.force_login(user)
        response = client.get(f"/alarms/{alarm.pk}/")
        if response.status_code != 200:
            assert response.status_code in (403, 404), role
            continue
        assert buttons(response.content.decode()) == device_selectors.alarm_actions(user, alarm), role


# ---------------------------------------------------------------- the record page and assessments


def test_the_record_forms_go_back_on_get_and_refuse_readers(client, world, personas):
    elder = world["own"]
    url = reverse("console:elder_group_add", args=[elder.pk])
    client.force_login(personas[R.CIVIL_STREET])
    assert client.get(url)["Location"] == reverse("console:elder_detail", args=[elder.pk]) + "#groups"
    before = ElderGroup.objects.filter(elder=elder).count()
    client.force_login(personas[R.CARE_ADVISOR])  # reads the record, may not edit it
    assert client.post(url, {"grp-group": "tekun", "grp-valid_from": "2025-01-01"}).status_code == 403
    assert ElderGroup.objects.filter(elder=elder).count() == before


def test_an_assessment_decision_on_a_page_that_moved_on(client, planned, personas, everyone_qualified):
    a = make_submitted(planned, personas)
    assessment_services.assessment_review(actor=personas[R.COMMUNITY_WORKER], assessment=a)
    url = reverse("console:assessment_review", args=[a.pk])
    detail = reverse("console:assessment_detail", args=[a.pk])
    client.force_login(personas[R.CIVIL_STREET])  # would have reviewed it: someone else did first
    response = client.post(url, {"review-note": "齐全"})
    assert (response.status_code, response["Location"]) == (302, detail)
    assert "不能审核" in client.get(detail).content.decode()
    assert client.get(url)["Location"] == detail
    client.force_login(personas[R.ASSESSOR])  # may never review: refused, not told the page is old
    assert client.post(url, {"review-note": "齐全"}).status_code == 403
    assert Assessment.objects.get(pk=a.pk).status == Status.REVIEWED
