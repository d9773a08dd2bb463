"""Each role's home, the elder's and family's booking and rating, the caregiver's day navigation,
and the operator's standing orders for an elder's preferred caregiver."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.elders.models import Contact
from eldercare.homecare.models import Channel, Order, OrderStatus, Preference, Recurrence
from eldercare.homecare.services import orders as o
from eldercare.homecare.tests.conftest import svc as svc  # noqa: F401  # the provider, caregivers, prices and elder of the homecare tests
from eldercare.tests import builders as testing

R = Role


def tomorrow_at(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(hour)))


def order(svc, personas, *, item="clean_home", start=None, hours=2) -> Order:
    start = start or tomorrow_at(9)
    return o.order_request(
        actor=personas[R.CENTER_OPERATOR],
        elder=svc.elder,
        item=svc.items[item],
        window_start=start,
        window_end=start + dt.timedelta(hours=hours),
    )


def dispatched(svc, personas, **kw) -> Order:
    made = order(svc, personas, **kw)
    o.order_assign(actor=personas[R.CENTER_OPERATOR], order=made, caregiver=svc.zhang)
    return o.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=made)


@pytest.fixture
def family(svc, personas):
    """The FAMILY persona is 王秀英's daughter and emergency contact."""
    Contact.objects.create(
        elder=svc.elder, name="李小梅", relation="child", phone="13900001111", phone_masked="139****1111", user=personas[R.FAMILY]
    )
    return personas[R.FAMILY]


# ------------------------------------------------------------------ the elder's and family's home


class TestElderHome:
    def test_the_elder_sees_their_services_balance_and_contacts(self, client, svc, personas, family):
        coming = order(svc, personas)
        client.force_login(personas[R.ELDER])
        page = client.get("/")
        assert page.status_code == 200
        assert [t.name for t in page.templates][0] == "console/home_elder.html"
        html = page.content.decode()
        assert "辖区老年人" not in html and "查找老人" not in html  # not the officer's dashboard
        assert reverse("console:home_book") in html
        assert page.context["cards"][0].upcoming == [coming]
        assert page.context["cards"][0].accounts  # this month's allowance, issued by the fixture
        assert 'href="tel:13900001111"' in html  # the daughter, one tap away
        assert 'href="tel:120"' in html

    def test_the_family_sees_their_elder_and_respite_first(self, client, svc, family):
        client.force_login(family)
        html = client.get("/").content.decode()
        assert "王秀英的服务" in html
        step = client.get(reverse("console:home_book"))
        assert step.context["step"] == "item"
        assert step.context["featured"][0].code == "respite_care"

    def test_the_elders_own_list_leaves_respite_to_the_family(self, client, svc, personas):
        client.force_login(personas[R.ELDER])
        step = client.get(reverse("console:home_book"))
        assert "respite_care" not in [i.code for i in step.context["featured"]]
        assert "respite_care" in [i.code for i in step.context["more"]]

    def test_a_family_books_respite(self, client, svc, family):
        client.force_login(family)
        book = reverse("console:home_book")
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        assert client.get(book, {"item": "respite_care"}).context["step"] == "day"
        times = client.get(book, {"item": "respite_care", "day": tomorrow})
        assert times.context["step"] == "time"
        assert [s[0] for s in times.context["slots"]] == ["morning", "afternoon"]
        done = client.post(book, {"item": "respite_care", "day": tomorrow, "slot": "morning"})
        assert done.status_code == 302 and done.url == "/"
        made = Order.objects.get(item__code="respite_care")
        assert (made.elder, made.channel, made.requested_by, made.status) == (svc.elder, Channel.FAMILY, family, OrderStatus.REQUESTED)
        assert (made.window_start, made.window_end) == (tomorrow_at(9), tomorrow_at(13))  # half a day: the item's 240 minutes
        assert client.get("/").context["cards"][0].upcoming == [made]

    def test_booking_refuses_days_outside_the_week_and_bad_slots(self, client, svc, personas):
        client.force_login(personas[R.ELDER])
        book = reverse("console:home_book")
        assert client.get(book, {"item": "clean_home", "day": "2999-01-01"}).context["step"] == "day"
        assert client.get(book, {"item": "nonsense"}).context["step"] == "item"
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        refused = client.post(book, {"item": "clean_home", "day": tomorrow, "slot": "midnight"})
        assert refused.status_code == 200 and refused.context["error"]
        assert not Order.objects.exists()

    def test_staff_do_not_book_here(self, client, svc, personas):
        client.force_login(personas[R.CENTER_OPERATOR])
        assert client.get(reverse("console:home_book")).status_code == 403

    def test_the_elder_rates_a_delivered_service_with_one_button(self, client, svc, personas):
        start = timezone.now() - dt.timedelta(minutes=90)
        made = dispatched(svc, personas, start=start)  # a window still open: booked ones are never in the past
        carer = personas[R.CAREGIVER]
        o.order_accept(actor=carer, order=made)
        o.order_check_in(actor=carer, order=made, latitude=svc.elder.latitude, longitude=svc.elder.longitude, at=start)
        o.order_check_out(actor=carer, order=made, record="打扫完毕", at=start + dt.timedelta(minutes=80))
        client.force_login(personas[R.ELDER])
        home = client.get("/")
        assert home.context["cards"][0].to_rate == [made]
        assert reverse("console:home_rate", args=[made.pk]) in home.content.decode()
        done = client.post(reverse("console:home_rate", args=[made.pk]), {"rating": "5"})
        assert done.status_code == 302 and done.url == "/"
        made.refresh_from_db()
        assert (made.status, made.rating) == (OrderStatus.CONFIRMED, 5)
        assert client.get("/").context["cards"][0].recent == [made]
        # Rating it again: the page was out of date, not a 500 and not a 403.
        again = client.post(reverse("console:home_rate", args=[made.pk]), {"rating": "4"})
        assert again.status_code == 302
        made.refresh_from_db()
        assert made.rating == 5

    def test_another_elders_order_cannot_be_rated(self, client, svc, personas, city):
        made = order(svc, personas)
        client.force_login(testing.user("elder-b", R.ELDER))
        assert client.post(reverse("console:home_rate", args=[made.pk]), {"rating": "5"}).status_code == 404


# ------------------------------------------------------------------ work homes


class TestWorkHome:
    def test_street_officer_sees_what_waits_with_links(self, client, svc, personas):
        order(svc, personas)
        client.force_login(personas[R.CIVIL_STREET])
        page = client.get("/")
        tiles = {t.label: t for t in page.context["tiles"]}
        assert tiles["待派单的服务工单"].count == 1
        assert tiles["待派单的服务工单"].url == reverse("console:order_list") + "?status=requested"
        assert {"未处理的紧急告警", "未关闭的预警", "待审核的能力评估", "到期应复评的老人", "待处理的服务异常"} <= set(tiles)
        assert page.context["counts"]["total"] >= 1  # the elder counts stay below

    def test_centre_operator_sees_only_what_their_capabilities_allow(self, client, svc, personas):
        client.force_login(personas[R.CENTER_OPERATOR])
        labels = {t.label for t in client.get("/").context["tiles"]}
        assert {"未处理的紧急告警", "待派单的服务工单"} <= labels
        assert "待审核的能力评估" not in labels and "到期应复评的老人" not in labels  # no health data, no reviews

    def test_another_streets_orders_do_not_count(self, client, svc, personas, city):
        order(svc, personas)
        client.force_login(testing.user("street-b", R.CIVIL_STREET, city.street2))
        tiles = {t.label: t.count for t in client.get("/").context["tiles"]}
        assert tiles["待派单的服务工单"] == 0

    def test_provider_admin_home(self, client, svc, personas):
        order(svc, personas)
        client.force_login(personas[R.PROVIDER_ADMIN])
        page = client.get("/")
        assert [t.name for t in page.templates][0] == "console/no_registry.html"
        tiles = {t.label: t.count for t in page.context["tiles"]}
        assert tiles == {"服务区域内待派单的工单": 1, "已匹配、待派出的工单": 0, "在岗护理员": 2}

    def test_caregiver_home_counts_today_and_tomorrow(self, client, svc, personas):
        dispatched(svc, personas)
        client.force_login(personas[R.CAREGIVER])
        tiles = {t.label: t for t in client.get("/").context["tiles"]}
        assert (tiles["今天的任务"].count, tiles["明天的任务"].count) == (0, 1)
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        assert tiles["明天的任务"].url == f"{reverse('console:care_tasks')}?day={tomorrow}"

    def test_a_volunteer_keeps_the_plain_page(self, client, personas):
        client.force_login(personas[R.VOLUNTEER])
        assert [t.name for t in client.get("/").templates][0] == "console/no_registry.html"


# ------------------------------------------------------------------ the caregiver's day


class TestCareDays:
    def test_tomorrows_tasks_can_be_seen_and_accepted(self, client, svc, personas):
        made = dispatched(svc, personas)
        client.force_login(personas[R.CAREGIVER])
        care = reverse("console:care_tasks")
        today = client.get(care)
        assert today.context["tasks"] == []
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        assert f'href="?day={tomorrow}"' in today.content.decode()  # the next day, one tap away
        page = client.get(care, {"day": tomorrow})
        assert page.context["tasks"] == [made] and page.context["relative"] == "明天"
        here = f"{care}?day={tomorrow}"
        done = client.post(reverse("console:order_act", args=[made.pk]), {"action": "accept", "next": here})
        assert done.status_code == 302 and done.url == here
        made.refresh_from_db()
        assert made.status == OrderStatus.ACCEPTED

    def test_declining_tomorrows_task(self, client, svc, personas):
        made = dispatched(svc, personas)
        client.force_login(personas[R.CAREGIVER])
        here = f"{reverse('console:care_tasks')}?day={(timezone.localdate() + dt.timedelta(days=1)).isoformat()}"
        refused = client.post(reverse("console:order_act", args=[made.pk]), {"action": "decline", "reason": "", "next": here})
        assert refused.status_code == 200 and refused.context["day"] == timezone.localdate() + dt.timedelta(days=1)
        client.post(reverse("console:order_act", args=[made.pk]), {"action": "decline", "reason": "家中有事", "next": here})
        made.refresh_from_db()
        assert made.status == OrderStatus.REQUESTED

    @pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "not-a-day"])
    def test_odd_days_answer_today(self, client, personas, day):
        client.force_login(personas[R.CAREGIVER])
        page = client.get(reverse("console:care_tasks"), {"day": day})
        assert page.status_code == 200 and page.context["day"] == timezone.localdate()


# ------------------------------------------------------------------ standing orders


class TestStandingOrders:
    def test_an_operator_creates_a_standing_order_for_the_preferred_caregiver(self, client, svc, personas):
        client.force_login(personas[R.CENTER_OPERATOR])
        detail = client.get(reverse("console:elder_detail", args=[svc.elder.pk])).content.decode()
        url = reverse("console:standing_orders", args=[svc.elder.pk])
        assert url in detail  # the section's link on the elder's page
        page = client.get(url)
        assert page.status_code == 200
        assert str(svc.far_carer.pk) not in dict(page.context["form"].fields["preferred_caregiver"].choices)  # serves elsewhere
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        posted = client.post(
            url,
            {
                "item": "clean_home",
                "weekdays": ["2", "5"],
                "start_time": "09:00",
                "window_minutes": "120",
                "valid_from": tomorrow,
                "valid_to": "",
                "preferred_caregiver": str(svc.li.pk),
            },
        )
        assert posted.status_code == 302, posted.context and posted.context["form"].errors
        rec = Recurrence.objects.get(elder=svc.elder)
        assert (rec.weekdays, rec.start_time, rec.window_minutes, rec.item.code) == ([2, 5], dt.time(9), 120, "clean_home")
        assert Preference.objects.get(elder=svc.elder).caregiver == svc.li
        assert rec.orders.count() == 4  # two a week, a fortnight ahead
        listed = client.get(url)
        assert listed.context["standing"] == [rec] and "李护理" in listed.content.decode()
        stopped = client.post(reverse("console:standing_stop", args=[svc.elder.pk, rec.pk]), {"action": "stop"})
        assert stopped.status_code == 302
        rec.refresh_from_db()
        assert rec.active is False
        assert set(rec.orders.values_list("status", flat=True)) == {OrderStatus.CANCELLED}

    def test_bad_input_is_shown_on_the_form(self, client, svc, personas):
        client.force_login(personas[R.CENTER_OPERATOR])
        url = reverse("console:standing_orders", args=[svc.elder.pk])
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        late = {"item": "clean_home", "weekdays": ["1"], "start_time": "23:00", "window_minutes": "120", "valid_from": tomorrow}
        page = client.post(url, late)
        assert page.status_code == 200 and "window_minutes" in page.context["form"].errors
        page = client.post(url, {**late, "start_time": "09:00", "weekdays": []})
        assert page.status_code == 200 and "weekdays" in page.context["form"].errors
        assert not Recurrence.objects.exists()

    def test_preferred_caregiver_set_and_cleared(self, client, svc, personas):
        client.force_login(personas[R.CENTER_OPERATOR])
        url = reverse("console:standing_preferred", args=[svc.elder.pk])
        assert client.post(url, {"caregiver": str(svc.zhang.pk)}).status_code == 302
        assert Preference.objects.get(elder=svc.elder).caregiver == svc.zhang
        refused = client.post(url, {"caregiver": str(svc.far_carer.pk)})
        assert refused.status_code == 200 and refused.context["preferred_form"].errors
        assert client.post(url, {"caregiver": ""}).status_code == 302
        assert not Preference.objects.exists()

    def test_scope_and_capabilities(self, client, svc, personas, city):
        url = reverse("console:standing_orders", args=[svc.elder.pk])
        client.force_login(testing.user("centre-b", R.CENTER_OPERATOR, city.street2))
        assert client.get(url).status_code == 404
        client.force_login(personas[R.CIVIL_STREET])  # sees the list, may not set one up
        page = client.get(url)
        assert page.status_code == 200 and page.context["form"] is None
        assert client.post(url, {"item": "clean_home"}).status_code == 403
        assert client.post(reverse("console:standing_preferred", args=[svc.elder.pk]), {"caregiver": ""}).status_code == 403


class TestAssessorHome:
    def test_an_agency_assessor_sees_the_assessments_assigned_to_them(self, client, personas, world):
        from eldercare.assessments.models import Reason
        from eldercare.assessments.services import assessment_schedule
        from eldercare.assessments.tests.conftest import qualify

        assessor = personas[R.ASSESSOR]
        qualify(assessor, valid_to=timezone.localdate() + dt.timedelta(days=365))
        for elder in (world["own"], world["same_street"]):
            assessment_schedule(
                actor=personas[R.CIVIL_STREET], elder=elder, scheduled_for=timezone.localdate(), reason=Reason.FIRST, assessor=assessor
            )
        client.force_login(assessor)
        page = client.get("/")
        tiles = {t.label: t.count for t in page.context["tiles"]}
        assert tiles == {"待上门评估": 2, "评估中，待提交": 0}
        html = page.content.decode()
        assert "能力评估" in html and "服务工单和探访" not in html  # their work comes as assessments, not orders
