"""Standing orders and preferred caregivers: the services, matching's preference, and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.homecare import matching
from eldercare.homecare.models import Order, OrderStatus, Preference, Recurrence
from eldercare.homecare.services import preferences, recurrences
from eldercare.tests import builders as testing
from eldercare.tests.builders import error_codes

from .test_matching import ALL_WEEK, north

R = Role


@pytest.fixture
def field(svc):
    """张 at the elder's door, 李 600 m north: both on shift all week."""
    for carer, metres in ((svc.zhang, 0), (svc.li, 600)):
        carer.hours = ALL_WEEK
        carer.latitude, carer.longitude = north(metres)
        carer.save()
    return svc


def every_day(svc, actor, **kw) -> Recurrence:
    args = {
        "elder": svc.elder,
        "item": svc.items["clean_home"],
        "weekdays": list(range(1, 8)),
        "start_time": dt.time(10),
        "window_minutes": 120,
        "valid_from": timezone.localdate() + dt.timedelta(days=1),
    }
    return recurrences.recurrence_create(actor=actor, **(args | kw))


class TestPreference:
    def test_set_replace_and_clear(self, field, personas):
        operator = personas[R.CENTER_OPERATOR]
        preferences.preference_set(actor=operator, elder=field.elder, caregiver=field.li)
        preferences.preference_set(actor=operator, elder=field.elder, caregiver=field.zhang)
        assert Preference.objects.get(elder=field.elder).caregiver == field.zhang  # one per elder
        assert preferences.preference_clear(actor=operator, elder=field.elder) is True
        assert preferences.preference_clear(actor=operator, elder=field.elder) is False
        assert not Preference.objects.exists()

    def test_the_caregiver_must_serve_the_community(self, field, personas):
        with pytest.raises(ValidationError) as caught:
            preferences.preference_set(actor=personas[R.CENTER_OPERATOR], elder=field.elder, caregiver=field.far_carer)
        assert error_codes(caught.value) == {"homecare.outside_area"}
        field.li.active = False
        field.li.save()
        with pytest.raises(ValidationError) as caught:
            preferences.preference_set(actor=personas[R.CENTER_OPERATOR], elder=field.elder, caregiver=field.li)
        assert error_codes(caught.value) == {"homecare.caregiver_inactive"}
        assert list(preferences.caregivers_serving(field.elder.residence_id)) == [field.zhang]

    def test_scoped(self, field, personas, city):
        outsider = testing.user("centre-b", R.CENTER_OPERATOR, city.street2)
        with pytest.raises(PermissionDenied):
            preferences.preference_set(actor=outsider, elder=field.elder, caregiver=field.li)
        with pytest.raises(PermissionDenied):  # may see orders, may not order
            preferences.preference_set(actor=personas[R.CIVIL_STREET], elder=field.elder, caregiver=field.li)
        # The elder and their family may ask for a caregiver themselves.
        assert preferences.preference_set(actor=personas[R.ELDER], elder=field.elder, caregiver=field.li).caregiver == field.li

    def test_matching_prefers_the_preferred_caregiver(self, field, personas):
        rec = every_day(field, personas[R.CENTER_OPERATOR], generate=True)
        order = rec.orders.order_by("window_start")[0]
        assert matching.match(order).caregiver_id == field.zhang.pk  # the nearest, when nobody is preferred
        preferences.preference_set(actor=personas[R.CENTER_OPERATOR], elder=field.elder, caregiver=field.li)
        choice = matching.match(order)
        assert choice.caregiver_id == field.li.pk  # 600 m further, but asked for
        assert "指定的护理员" in choice.note


class TestStandingOrder:
    def test_created_for_the_preferred_caregiver_makes_the_fortnights_orders(self, field, personas):
        rec = every_day(field, personas[R.CENTER_OPERATOR], preferred_caregiver=field.li, generate=True)
        assert Preference.objects.get(elder=field.elder).caregiver == field.li
        made = Order.objects.filter(recurrence=rec)
        assert made.count() == recurrences.HORIZON_DAYS  # tomorrow … a fortnight ahead
        assert set(made.values_list("status", flat=True)) == {OrderStatus.REQUESTED}

    def test_without_generate_waits_for_the_daily_run(self, field, personas):
        rec = every_day(field, personas[R.CENTER_OPERATOR])
        assert not rec.orders.exists()

    def test_a_bad_preferred_caregiver_sets_up_nothing(self, field, personas):
        with pytest.raises(ValidationError):
            every_day(field, personas[R.CENTER_OPERATOR], preferred_caregiver=field.far_carer)
        assert not Recurrence.objects.exists() and not Preference.objects.exists()

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"start_time": dt.time(23), "window_minutes": 120}, "homecare.past_midnight"),
            ({"weekdays": []}, "homecare.weekdays"),
            ({"valid_to": dt.date(2020, 1, 1)}, "homecare.window"),
        ],
    )
    def test_refusals(self, field, personas, change, code):
        with pytest.raises(ValidationError) as caught:
            every_day(field, personas[R.CENTER_OPERATOR], **change)
        assert error_codes(caught.value) == {code}

    def test_stop_cancels_the_orders_not_yet_started(self, field, personas):
        operator = personas[R.CENTER_OPERATOR]
        rec = every_day(field, operator, generate=True)
        first, *rest = rec.orders.order_by("window_start")
        from eldercare.homecare.services import orders as o

        o.order_assign(actor=operator, order=first, caregiver=field.zhang)
        o.order_dispatch(actor=operator, order=first)
        o.order_accept(actor=personas[R.CAREGIVER], order=first)
        Order.objects.filter(pk=first.pk).update(status=OrderStatus.EN_ROUTE)  # on the way (on its day; this one is tomorrow's)
        recurrences.recurrence_stop(actor=operator, recurrence=rec)
        rec.refresh_from_db()
        assert rec.active is False
        first.refresh_from_db()
        assert first.status == OrderStatus.EN_ROUTE
        assert set(Order.objects.filter(pk__in=[r.pk for r in rest]).values_list("status", flat=True)) == {OrderStatus.CANCELLED}
        assert recurrences.recurrences_generate() == 0  # a stopped standing order makes no more
        with pytest.raises(ValidationError) as caught:
            recurrences.recurrence_stop(actor=operator, recurrence=rec)
        assert error_codes(caught.value) == {"homecare.recurrence_stopped"}

    def test_list_and_get_are_scoped(self, field, personas, city):
        rec = every_day(field, personas[R.CENTER_OPERATOR])
        assert list(recurrences.recurrence_list(actor=personas[R.ELDER], elder=field.elder)) == [rec]
        assert recurrences.recurrence_get(actor=personas[R.CIVIL_STREET], pk=rec.pk) == rec
        from django.http import Http404

        with pytest.raises(Http404):
            recurrences.recurrence_get(actor=testing.user("street-b", R.CIVIL_STREET, city.street2), pk=rec.pk)


class TestApi:
    def test_operator_sets_up_a_standing_order_for_the_preferred_caregiver(self, field, personas, client):
        client.force_login(personas[R.CENTER_OPERATOR])
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        body = {
            "item": "clean_home",
            "weekdays": [1, 3, 5],
            "start_time": "09:00",
            "window_minutes": 120,
            "valid_from": tomorrow,
            "preferred_caregiver": field.li.pk,
        }
        made = client.post(f"/api/services/elders/{field.elder.pk}/standing-orders", body, content_type="application/json")
        assert made.status_code == 201, made.content
        rid = made.json()["id"]
        assert made.json()["weekdays"] == [1, 3, 5]
        listed = client.get(f"/api/services/elders/{field.elder.pk}/standing-orders").json()
        assert [r["id"] for r in listed["items"]] == [rid]
        assert client.get(f"/api/services/elders/{field.elder.pk}/preferred-caregiver").json()["caregiver_id"] == field.li.pk
        stopped = client.post(f"/api/services/standing-orders/{rid}/stop")
        assert stopped.status_code == 200 and stopped.json()["active"] is False
        again = client.post(f"/api/services/standing-orders/{rid}/stop")
        assert again.status_code == 422 and again.json()["code"] == "homecare.recurrence_stopped"

    def test_preferred_caregiver_put_and_delete(self, field, personas, client):
        client.force_login(personas[R.CENTER_OPERATOR])
        url = f"/api/services/elders/{field.elder.pk}/preferred-caregiver"
        assert client.put(url, {"caregiver": field.li.pk}, content_type="application/json").json()["caregiver_name"] == "李护理"
        refused = client.put(url, {"caregiver": field.far_carer.pk}, content_type="application/json")
        assert refused.status_code == 422 and refused.json()["code"] == "homecare.outside_area"
        assert client.put(url, {"caregiver": 999999}, content_type="application/json").status_code == 404
        assert client.delete(url).json()["caregiver_id"] is None
        assert not Preference.objects.exists()

    def test_refusals(self, field, personas, client, city):
        rec = every_day(field, personas[R.CENTER_OPERATOR])
        client.force_login(testing.user("centre-b", R.CENTER_OPERATOR, city.street2))
        assert client.get(f"/api/services/elders/{field.elder.pk}/standing-orders").status_code == 404
        assert client.post(f"/api/services/standing-orders/{rec.pk}/stop").status_code == 404
        client.force_login(personas[R.CIVIL_STREET])  # sees them, may not change them
        assert client.get(f"/api/services/elders/{field.elder.pk}/standing-orders").status_code == 200
        assert client.post(f"/api/services/standing-orders/{rec.pk}/stop").status_code == 403
        assert client.delete(f"/api/services/elders/{field.elder.pk}/preferred-caregiver").status_code == 403
