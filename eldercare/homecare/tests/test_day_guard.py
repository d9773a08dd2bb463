"""A caregiver sets off for a visit and checks in on its booked day, not days ahead: the services
refuse it (homecare.too_early) and the task page does not offer those steps for a later day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.homecare.models import Order, OrderStatus
from eldercare.homecare.services import orders as o
from eldercare.tests.builders import error_codes

from .conftest import HOME

R = Role


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def dispatched(svc, personas, start: dt.datetime, minutes: int = 120) -> Order:
    made = o.order_request(
        actor=personas[R.CENTER_OPERATOR],
        elder=svc.elder,
        item=svc.items["clean_home"],
        window_start=start,
        window_end=start + dt.timedelta(minutes=minutes),
    )
    o.order_assign(actor=personas[R.CENTER_OPERATOR], order=made, caregiver=svc.zhang)
    return o.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=made)


def accepted(svc, personas, start: dt.datetime) -> Order:
    return o.order_accept(actor=personas[R.CAREGIVER], order=dispatched(svc, personas, start))


def just_started() -> dt.datetime:
    """A start a few minutes ago, still today (however early the test runs)."""
    return max(timezone.now() - dt.timedelta(minutes=5), local(timezone.localdate(), 0))


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


class TestTooEarly:
    """The rule itself, on orders not saved."""

    def test_a_later_day_is_too_early(self):
        today = timezone.localdate()
        assert o.too_early(Order(window_start=local(today + dt.timedelta(days=1), 9)), local(today, 8))
        assert o.too_early(Order(window_start=local(today + dt.timedelta(days=3), 9)), local(today, 23, 59))

    def test_on_the_day_it_is_not(self):
        today = timezone.localdate()
        assert not o.too_early(Order(window_start=local(today, 18)), local(today, 6))  # hours ahead, the same day
        assert not o.too_early(Order(window_start=local(today, 9)), local(today, 10))  # late

    def test_a_visit_just_after_midnight_from_the_evening_before(self):
        today = timezone.localdate()
        visit = Order(window_start=local(today + dt.timedelta(days=1), 0, 30))
        assert not o.too_early(visit, local(today, 23))  # within the margin
        assert not o.too_early(visit, visit.window_start - o.EARLIEST_BEFORE_START)  # exactly at the margin
        assert o.too_early(visit, local(today, 22))  # two and a half hours ahead


class TestServices:
    def test_departing_for_tomorrows_visit_is_refused(self, svc, personas):
        made = accepted(svc, personas, local(tomorrow(), 10))
        with pytest.raises(ValidationError) as caught:
            o.order_depart(actor=personas[R.CAREGIVER], order=made)
        assert error_codes(caught.value) == {"homecare.too_early"}
        assert "服务当天" in str(caught.value.messages[0])
        made.refresh_from_db()
        assert made.status == OrderStatus.ACCEPTED
        assert not made.events.filter(to_status=OrderStatus.EN_ROUTE).exists()

    def test_checking_in_at_tomorrows_visit_is_refused(self, svc, personas):
        made = accepted(svc, personas, local(tomorrow(), 10))
        Order.objects.filter(pk=made.pk).update(status=OrderStatus.EN_ROUTE)  # set off before the rule existed
        with pytest.raises(ValidationError) as caught:
            o.order_check_in(actor=personas[R.CAREGIVER], order=made, latitude=HOME[0], longitude=HOME[1])
        assert error_codes(caught.value) == {"homecare.too_early"}
        made.refresh_from_db()
        assert (made.status, made.checked_in_at) == (OrderStatus.EN_ROUTE, None)

    def test_a_check_in_recorded_at_the_visit_is_accepted(self, svc, personas):
        """The time of a check-in is the one given (a phone that was offline sends it later)."""
        start = local(tomorrow(), 0, 30)
        made = accepted(svc, personas, start)
        Order.objects.filter(pk=made.pk).update(status=OrderStatus.EN_ROUTE)
        done = o.order_check_in(actor=personas[R.CAREGIVER], order=made, latitude=HOME[0], longitude=HOME[1], at=start)
        assert (done.status, done.checked_in_at) == (OrderStatus.CHECKED_IN, start)

    def test_todays_visit_runs_its_course(self, svc, personas):
        start = just_started()
        made = accepted(svc, personas, start)
        carer = personas[R.CAREGIVER]
        o.order_depart(actor=carer, order=made)
        done = o.order_check_in(actor=carer, order=made, latitude=HOME[0], longitude=HOME[1])
        assert done.status == OrderStatus.CHECKED_IN

    def test_the_api_answers_422_with_the_code(self, client, svc, personas):
        made = accepted(svc, personas, local(tomorrow(), 10))
        client.force_login(personas[R.CAREGIVER])
        answer = client.post(f"/api/services/orders/{made.pk}/depart", content_type="application/json")
        assert answer.status_code == 422 and answer.json()["code"] == "homecare.too_early"


class TestTaskPage:
    def test_tomorrows_accepted_task_offers_no_departure(self, client, svc, personas):
        made = accepted(svc, personas, local(tomorrow(), 10))
        client.force_login(personas[R.CAREGIVER])
        page = client.get(reverse("console:care_tasks"), {"day": tomorrow().isoformat()})
        assert page.context["tasks"] == [made]
        html = page.content.decode()
        assert 'value="depart"' not in html and 'value="check_in"' not in html
        assert "服务当天再出发、签到" in html

    def test_todays_accepted_task_offers_it(self, client, svc, personas):
        accepted(svc, personas, just_started())
        client.force_login(personas[R.CAREGIVER])
        html = client.get(reverse("console:care_tasks")).content.decode()
        assert 'value="depart"' in html and "服务当天再出发" not in html

    def test_a_departure_posted_anyway_is_refused_on_the_page(self, client, svc, personas):
        made = accepted(svc, personas, local(tomorrow(), 10))
        client.force_login(personas[R.CAREGIVER])
        here = f"{reverse('console:care_tasks')}?day={tomorrow().isoformat()}"
        page = client.post(reverse("console:order_act", args=[made.pk]), {"action": "depart", "next": here})
        assert page.status_code == 200 and "服务当天" in page.content.decode()
        made.refresh_from_db()
        assert made.status == OrderStatus.ACCEPTED


def test_tomorrows_dispatched_task_offers_accepting_but_no_report_of_nobody_home(client, svc, personas):
    dispatched(svc, personas, local(tomorrow(), 10))
    client.force_login(personas[R.CAREGIVER])
    html = client.get(reverse("console:care_tasks"), {"day": tomorrow().isoformat()}).content.decode()
    assert 'value="accept"' in html and 'value="decline"' in html
    assert 'value="no_show"' not in html and "服务当天再出发" not in html
