"""Matching: the rules, in the order they apply, and the explanation."""

from __future__ import annotations

import datetime as dt
import math
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.homecare import matching
from eldercare.homecare.models import Caregiver, Order, OrderStatus, Preference
from eldercare.homecare.services import orders as o
from eldercare.tests.builders import error_codes

from .conftest import HOME, caregiver_for

R = Role
ALL_WEEK = {str(d): [["08:00", "18:00"]] for d in range(1, 8)}


def north(metres: float) -> tuple[Decimal, Decimal]:
    """A point `metres` due north of the elder's home."""
    return (HOME[0] + Decimal(str(round(math.degrees(metres / matching.EARTH), 6))), HOME[1])


def tomorrow_at(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(hour)))


@pytest.fixture
def field(svc, personas):
    """张 at the elder's door and 李 600 m north, both on shift all week."""
    for carer, metres in ((svc.zhang, 0), (svc.li, 600)):
        carer.hours = ALL_WEEK
        carer.latitude, carer.longitude = north(metres)
        carer.save()
    return svc


def order_for(svc, personas, item="clean_home", start=9, end=11) -> Order:
    return o.order_request(
        actor=personas[R.CENTER_OPERATOR],
        elder=svc.elder,
        item=svc.items[item],
        window_start=tomorrow_at(start),
        window_end=tomorrow_at(end),
    )


def chosen(order) -> str | None:
    choice = matching.match(order)
    return None if choice.caregiver_id is None else Caregiver.objects.get(pk=choice.caregiver_id).name


def test_the_nearest_qualified_caregiver(field, personas):
    order = order_for(field, personas)
    choice = matching.match(order)
    assert choice.caregiver_id == field.zhang.pk
    assert [cid for cid, _ in choice.candidates] == [field.zhang.pk, field.li.pk]
    assert "张护理" in choice.note and "10分钟服务圈" in choice.note


def test_beyond_the_service_circle(field, personas):
    field.zhang.latitude, field.zhang.longitude = north(3_000)  # 10 minutes at 15 km/h is 2.5 km
    field.zhang.save()
    assert chosen(order_for(field, personas)) == "李护理"
    assert matching.circle_metres() == 2_500


def test_off_shift_and_busy_caregivers_are_passed_over(field, personas):
    field.zhang.hours = {str(d): [["13:00", "18:00"]] for d in range(1, 8)}
    field.zhang.save()
    assert chosen(order_for(field, personas)) == "李护理"
    field.zhang.hours = ALL_WEEK
    field.zhang.save()
    other = order_for(field, personas, start=10, end=12)
    o.order_assign(actor=personas[R.CENTER_OPERATOR], order=other, caregiver=field.zhang)
    assert chosen(order_for(field, personas)) == "李护理"  # 张 is booked 10–12, this one is 9–11


def test_fair_load_and_the_daily_maximum(field, personas):
    for start in (12, 14):  # two more orders for 张 that day, not overlapping
        o.order_assign(
            actor=personas[R.CENTER_OPERATOR], order=order_for(field, personas, start=start, end=start + 1), caregiver=field.zhang
        )
    # 0 m + 2 × 500 m of load against 600 m: 李 gets this one.
    assert chosen(order_for(field, personas)) == "李护理"
    field.li.max_daily_orders = 0
    field.li.save()
    assert chosen(order_for(field, personas)) == "张护理"


def test_the_elders_preferred_caregiver(field, personas):
    Preference.objects.create(elder=field.elder, caregiver=field.li)
    choice = matching.match(order_for(field, personas))
    assert choice.caregiver_id == field.li.pk  # 600 m − 1,000 m beats 0 m
    assert "指定" in choice.note


def test_qualifications_decide_before_distance(field, personas):
    field.zhang.certificate_expires = timezone.localdate()  # expires today: not valid tomorrow
    field.zhang.save()
    assert chosen(order_for(field, personas, item="bath_home")) == "李护理"
    assert chosen(order_for(field, personas, item="clean_home")) == "张护理"  # no certificate needed
    junior = caregiver_for(field.provider, "钱护理", level=5, seq=7, at=HOME)
    junior.hours = ALL_WEEK
    junior.save()
    assert chosen(order_for(field, personas, item="bath_home")) == "李护理"


def test_nobody_and_why(field, personas):
    for carer in (field.zhang, field.li):
        carer.active = False
        carer.save()
    order = order_for(field, personas)
    choice = matching.match(order)
    assert choice.caregiver_id is None
    assert "0名" in choice.note
    with pytest.raises(ValidationError) as refused:
        o.order_auto_dispatch(actor=personas[R.CENTER_OPERATOR], order=order)
    assert error_codes(refused.value) == {"homecare.no_match"}


def test_automatic_dispatch_records_the_reasons(field, personas):
    order = o.order_auto_dispatch(actor=personas[R.CENTER_OPERATOR], order=order_for(field, personas))
    assert (order.status, order.caregiver) == (OrderStatus.DISPATCHED, field.zhang)
    assert "张护理" in order.match_note
    # An operator may still override it before the caregiver answers… by declining and re-assigning.
    o.order_decline(actor=field.zhang.user, order=order, reason="临时有事")
    order = o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=field.li, note="改派：张护理临时有事")
    assert order.match_note == "改派：张护理临时有事"


def test_working_hours_become_half_hour_masks():
    masks = matching._slots({"1": [["08:00", "09:30"]], "7": [["23:30", "24:00"]]})
    assert masks[0] == sum(1 << s for s in (16, 17, 18))
    assert masks[6] == 1 << 47
    monday = timezone.make_aware(dt.datetime(2026, 11, 23, 8, 15))
    assert matching.window_slots(monday, monday + dt.timedelta(minutes=60)) == (0, (1 << 16) | (1 << 17) | (1 << 18))
    assert matching.window_slots(monday, monday + dt.timedelta(days=1)) is None


def test_a_busy_caregiver_is_refused_by_hand_too(field, personas):
    first = o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order_for(field, personas), caregiver=field.zhang)
    with pytest.raises(ValidationError) as refused:
        o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order_for(field, personas, start=10, end=12), caregiver=field.zhang)
    assert error_codes(refused.value) == {"homecare.caregiver_busy"}
    assert str(first.pk) in str(refused.value)
    o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order_for(field, personas, start=11, end=12), caregiver=field.zhang)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("caregivers", [1, 2])
def test_concurrent_dispatches_never_double_book(field, personas, caregivers):
    """Four dispatchers send four orders for the same slot at the same moment: each caregiver gets
    at most one; with one caregiver free the other three are refused, with two the second one
    takes another (matching runs again after losing the race)."""
    if caregivers == 1:
        field.li.active = False
        field.li.save()
    orders = [order_for(field, personas) for _ in range(4)]
    operator = personas[R.CENTER_OPERATOR]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(orders))

    def dispatch(order):
        try:
            barrier.wait()
            o.order_auto_dispatch(actor=operator, order=order)
            outcomes.append("dispatched")
        except ValidationError as refused:
            outcomes.append(",".join(sorted(error_codes(refused))))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatch, args=(order,)) for order in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["dispatched"] * caregivers + ["homecare.no_match"] * (4 - caregivers)
    booked = list(Order.objects.filter(status=OrderStatus.DISPATCHED).values_list("caregiver_id", flat=True))
    assert len(booked) == len(set(booked)) == caregivers
