"""An order's whole life, each illegal transition, who may do what, the payment split against the
allowance ledger, and the fraud flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account, Entry, EntryKind
from eldercare.homecare.models import FlagKind, FraudFlag, Order, OrderStatus
from eldercare.homecare.services import orders as o
from eldercare.providers.models import ProviderStatus
from eldercare.tests.builders import error_codes

from .conftest import HOME, caregiver_for

R = Role
S = OrderStatus


def today_at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))


def request(svc, personas, item="clean_home", quantity=None, who=R.COMMUNITY_WORKER):
    end = max(today_at(12), timezone.now() + dt.timedelta(hours=1))
    return o.order_request(
        actor=personas[who],
        elder=svc.elder,
        item=svc.items[item],
        window_start=today_at(8),
        window_end=end,
        channel="phone",
        quantity=quantity,
    )


def delivered(svc, personas, item="clean_home", quantity=None, minutes=120, caregiver=None, start=(9, 0), where=HOME):
    """An order taken to checked-out by the book."""
    caregiver = caregiver or svc.zhang
    order = request(svc, personas, item, quantity)
    o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=caregiver)
    o.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=order)
    o.order_accept(actor=caregiver.user, order=order)
    o.order_depart(actor=caregiver.user, order=order)
    checked_in = today_at(*start)
    o.order_check_in(actor=caregiver.user, order=order, latitude=where[0], longitude=where[1], at=checked_in)
    o.order_check_out(actor=caregiver.user, order=order, record="打扫客厅、厨房", at=checked_in + dt.timedelta(minutes=minutes))
    order.refresh_from_db()
    return order


def hours_account(svc) -> Account:
    return Account.objects.get(elder=svc.elder, benefit="home_care_hours")


class TestLifecycle:
    def test_from_request_to_confirmation(self, svc, personas):
        order = delivered(svc, personas)
        assert order.status == S.CHECKED_OUT
        assert (order.channel, order.region_id, order.quantity) == ("phone", svc.elder.residence_id, 120)
        done = o.order_confirm(actor=personas[R.ELDER], order=order, rating=5, comment="很满意")
        # Two hours of cleaning at 40 yuan, all of it from the three free hours.
        assert (done.status, done.unit_price, done.amount, done.paid_by_allowance, done.allowance_minutes, done.self_pay) == (
            S.CONFIRMED,
            40_00,
            80_00,
            80_00,
            120,
            0,
        )
        account = hours_account(svc)
        assert account.balance == 60
        spend = account.entries.get(kind=EntryKind.SPEND)
        assert (spend.amount, spend.value, spend.provider, spend.reference) == (-120, -80_00, svc.provider, f"order:{order.pk}")
        assert [e.to_status for e in order.events.order_by("pk")] == [
            S.REQUESTED,
            S.MATCHED,
            S.DISPATCHED,
            S.ACCEPTED,
            S.EN_ROUTE,
            S.CHECKED_IN,
            S.CHECKED_OUT,
            S.CONFIRMED,
        ]
        assert not FraudFlag.objects.exists()

    def test_allowance_first_then_self_pay(self, svc, personas):
        order = delivered(svc, personas, quantity=240, minutes=240)
        done = o.order_confirm(actor=personas[R.ELDER], order=order, rating=4)
        assert (done.amount, done.allowance_minutes, done.paid_by_allowance, done.self_pay) == (160_00, 180, 120_00, 40_00)
        assert hours_account(svc).balance == 0
        second = delivered(svc, personas, quantity=60, minutes=60, start=(15, 0))
        done = o.order_confirm(actor=personas[R.ELDER], order=second, rating=4)
        assert (done.paid_by_allowance, done.self_pay) == (0, 40_00)  # the hours are used up

    def test_a_shorter_service_is_billed_for_what_was_served(self, svc, personas):
        order = delivered(svc, personas, quantity=120, minutes=90)
        done = o.order_confirm(actor=personas[R.ELDER], order=order, rating=3)
        assert (done.amount, done.allowance_minutes) == (60_00, 90)

    def test_visit_items_are_not_paid_with_hours(self, svc, personas):
        order = delivered(svc, personas, item="bath_home", minutes=90)
        done = o.order_confirm(actor=personas[R.ELDER], order=order, rating=5)
        assert (done.amount, done.paid_by_allowance, done.self_pay) == (80_00, 0, 80_00)
        assert hours_account(svc).balance == 180

    def test_no_guide_price_no_confirmation(self, svc, personas):
        order = delivered(svc, personas, item="medical_check", minutes=30)
        with pytest.raises(ValidationError) as refused:
            o.order_confirm(actor=personas[R.ELDER], order=order, rating=5)
        assert error_codes(refused.value) == {"homecare.no_price"}
        order.refresh_from_db()
        assert order.status == S.CHECKED_OUT
        assert not Entry.objects.filter(kind=EntryKind.SPEND).exists()

    def test_decline_sends_it_back_for_another_match(self, svc, personas):
        order = request(svc, personas)
        o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=svc.zhang)
        o.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=order)
        with pytest.raises(ValidationError):
            o.order_decline(actor=svc.zhang.user, order=order, reason=" ")
        o.order_decline(actor=svc.zhang.user, order=order, reason="当天另有急单")
        order.refresh_from_db()
        assert (order.status, order.caregiver, order.provider) == (S.REQUESTED, None, None)
        o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=svc.li, note="张护理拒单，改派李护理")
        order.refresh_from_db()
        assert (order.status, order.caregiver) == (S.MATCHED, svc.li)

    def test_cancel_and_no_show_keep_their_reason(self, svc, personas):
        cancelled = o.order_cancel(actor=personas[R.ELDER], order=request(svc, personas), reason="家人已来照顾")
        assert (cancelled.status, cancelled.reason) == (S.CANCELLED, "家人已来照顾")
        order = request(svc, personas)
        o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=svc.zhang)
        o.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=order)
        missed = o.order_no_show(actor=personas[R.ELDER], order=order, reason="护理员未上门")
        assert (missed.status, missed.reason) == (S.NO_SHOW, "护理员未上门")

    def test_settlement_lock_settles_the_months_orders(self, svc, personas, city, monkeypatch):
        from eldercare.entitlements.services.settlement import settlement_lock, settlement_prepare

        order = delivered(svc, personas)
        o.order_confirm(actor=personas[R.ELDER], order=order, rating=5)
        month = timezone.localdate().replace(day=1)
        after = (month + dt.timedelta(days=40)).replace(day=2)
        settlement = settlement_prepare(actor=personas[R.CIVIL_COUNTY], region=city.county, month=month, today=after)
        assert settlement.total == 80_00
        settlement_lock(actor=personas[R.CIVIL_COUNTY], settlement=settlement)
        order.refresh_from_db()
        assert order.status == S.SETTLED
        assert order.events.last().to_status == S.SETTLED


# Each action, the arguments it needs, and who performs it.
def _call(action, svc, personas, order):
    carer = svc.zhang.user
    op = personas[R.CENTER_OPERATOR]
    calls = {
        "assign": lambda: o.order_assign(actor=op, order=order, caregiver=svc.zhang),
        "dispatch": lambda: o.order_dispatch(actor=op, order=order),
        "accept": lambda: o.order_accept(actor=carer, order=order),
        "decline": lambda: o.order_decline(actor=carer, order=order, reason="忙"),
        "depart": lambda: o.order_depart(actor=carer, order=order),
        "check_in": lambda: o.order_check_in(actor=carer, order=order, latitude=HOME[0], longitude=HOME[1]),
        "check_out": lambda: o.order_check_out(actor=carer, order=order, record="完成"),
        "confirm": lambda: o.order_confirm(actor=personas[R.ELDER], order=order, rating=5),
        "cancel": lambda: o.order_cancel(actor=op, order=order, reason="取消"),
        "no_show": lambda: o.order_no_show(actor=op, order=order, reason="未上门"),
    }
    return calls[action]()


ILLEGAL = [
    (action, status) for action, (allowed, _) in o.TRANSITIONS.items() if action != "settle" for status in S.values if status not in allowed
]


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_every_illegal_transition_is_refused(svc, personas, action, status):
    order = request(svc, personas)
    Order.objects.filter(pk=order.pk).update(status=status, caregiver=svc.zhang, provider=svc.provider, checked_in_at=today_at(9))
    with pytest.raises(o.TransitionError) as refused:
        _call(action, svc, personas, order)
    assert str(S(status).label) in str(refused.value)
    order.refresh_from_db()
    assert order.status == status


class TestWhoMay:
    def test_only_the_assigned_caregiver_works_the_order(self, svc, personas):
        order = request(svc, personas)
        o.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=svc.zhang)
        o.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=order)
        with pytest.raises(PermissionDenied):
            o.order_accept(actor=svc.li.user, order=order)
        with pytest.raises(PermissionDenied):
            o.order_accept(actor=personas[R.CENTER_OPERATOR], order=order)

    def test_dispatch_is_for_operators_of_the_region_and_the_providers_own(self, svc, personas, city):
        from eldercare.tests import builders as testing

        order = request(svc, personas)
        with pytest.raises(PermissionDenied):
            o.order_assign(actor=personas[R.ELDER], order=order, caregiver=svc.zhang)
        far_operator = testing.user("centre-far", R.CENTER_OPERATOR, city.street_b)
        with pytest.raises(PermissionDenied):
            o.order_assign(actor=far_operator, order=order, caregiver=svc.zhang)
        o.order_assign(actor=personas[R.PROVIDER_ADMIN], order=order, caregiver=svc.li)  # the provider's own caregiver
        order.refresh_from_db()
        with pytest.raises(PermissionDenied):
            o.order_assign(actor=personas[R.PROVIDER_ADMIN], order=order, caregiver=svc.far_carer)

    def test_the_elders_side_confirms(self, svc, personas):
        order = delivered(svc, personas)
        with pytest.raises(PermissionDenied):
            o.order_confirm(actor=svc.zhang.user, order=order, rating=5)
        with pytest.raises(ValidationError):
            o.order_confirm(actor=personas[R.ELDER], order=order, rating=6)
        o.order_confirm(actor=personas[R.COMMUNITY_WORKER], order=order, rating=4)  # for an elder who cannot

    def test_requests_need_the_elder_in_reach(self, svc, personas, city):
        from eldercare.tests import builders as testing

        stranger = testing.elder(residence=city.community_far, name="外区老人")
        with pytest.raises(PermissionDenied):
            o.order_request(
                actor=personas[R.COMMUNITY_WORKER],
                elder=stranger,
                item=svc.items["clean_home"],
                window_start=today_at(8),
                window_end=today_at(23, 59),
            )
        with pytest.raises(PermissionDenied):
            request(svc, personas, who=R.CAREGIVER)
        own = request(svc, personas, who=R.ELDER)
        assert own.channel == "elder"  # the channel follows who asks


class TestEligibility:
    def test_an_expired_certificate_blocks_items_that_need_one(self, svc, personas):
        expired = caregiver_for(svc.provider, "赵护理", expires=dt.date(2020, 1, 1), seq=4)
        bath = request(svc, personas, item="bath_home")
        with pytest.raises(ValidationError) as refused:
            o.order_assign(actor=personas[R.CENTER_OPERATOR], order=bath, caregiver=expired)
        assert "homecare.certificate_expired" in error_codes(refused.value)
        clean = request(svc, personas, item="clean_home")  # no certificate needed
        assert o.order_assign(actor=personas[R.CENTER_OPERATOR], order=clean, caregiver=expired).status == S.MATCHED

    def test_level_skill_area_and_provider_status(self, svc, personas):
        junior = caregiver_for(svc.provider, "钱护理", level=5, seq=5)
        cook = caregiver_for(svc.provider, "孙护理", categories=("meal",), seq=6)
        order = request(svc, personas, item="bath_home")  # needs 四级 or higher
        assert any("职业等级" in p for p in o.caregiver_problems(junior, order))
        assert any("不提供" in p for p in o.caregiver_problems(cook, order))
        assert any("服务区域" in p for p in o.caregiver_problems(svc.far_carer, order))
        assert o.caregiver_problems(svc.zhang, order) == []
        svc.provider.status = ProviderStatus.SUSPENDED
        svc.provider.save()
        svc.zhang.refresh_from_db()
        assert any("不能接单" in p for p in o.caregiver_problems(svc.zhang, order))


class TestFraudFlags:
    def test_check_in_far_from_home(self, svc, personas):
        order = delivered(svc, personas, where=(Decimal("30.268000"), Decimal("120.160000")))  # 2 km north
        flag = FraudFlag.objects.get(order=order)
        assert flag.kind == FlagKind.FAR_CHECKIN
        assert "2,00" in flag.detail

    def test_impossibly_short(self, svc, personas):
        order = delivered(svc, personas, minutes=10)
        assert list(FraudFlag.objects.filter(order=order).values_list("kind", flat=True)) == [FlagKind.TOO_SHORT]

    def test_one_caregiver_in_two_homes_at_once(self, svc, personas):
        first = delivered(svc, personas, item="life_care", start=(9, 0), minutes=60)
        second = delivered(svc, personas, item="clean_home", start=(9, 30), minutes=120)
        flag = FraudFlag.objects.get(order=second, kind=FlagKind.OVERLAP)
        assert flag.other == first

    def test_the_same_service_billed_twice(self, svc, personas):
        first = delivered(svc, personas, start=(9, 0))
        second = delivered(svc, personas, start=(14, 0), caregiver=svc.li)
        flag = FraudFlag.objects.get(order=second, kind=FlagKind.DUPLICATE)
        assert flag.other == first
        assert not FraudFlag.objects.filter(order=first).exists()
        # Flagged, not dropped: the order goes on to be confirmed and paid as usual.
        assert o.order_confirm(actor=personas[R.ELDER], order=second, rating=3).status == S.CONFIRMED


class TestRecurrence:
    def test_every_tuesday_becomes_orders_a_fortnight_ahead(self, svc, personas):
        from eldercare.homecare.services.recurrences import recurrence_create, recurrences_generate

        monday = dt.date(2026, 11, 23)
        rec = recurrence_create(
            actor=personas[R.COMMUNITY_WORKER], elder=svc.elder, item=svc.items["clean_home"], weekdays=[2], start_time=dt.time(9),
            window_minutes=120, valid_from=monday,
        )  # fmt: skip
        assert recurrences_generate(today=monday) == 2  # 24 Nov and 1 Dec (the horizon is 14 days: up to 7 Dec)
        assert recurrences_generate(today=monday) == 0  # nothing twice
        made = Order.objects.filter(recurrence=rec).order_by("occurrence")
        assert [o.occurrence for o in made] == [dt.date(2026, 11, 24), dt.date(2026, 12, 1)]
        first = made[0]
        assert (first.channel, first.quantity, timezone.localtime(first.window_start).time()) == ("care_plan", 120, dt.time(9))
        assert recurrences_generate(today=monday + dt.timedelta(days=7)) == 1  # 8 Dec joins the horizon

    def test_bad_weekdays(self, svc, personas):
        from eldercare.homecare.services.recurrences import recurrence_create

        with pytest.raises(ValidationError):
            recurrence_create(
                actor=personas[R.COMMUNITY_WORKER], elder=svc.elder, item=svc.items["clean_home"], weekdays=[8], start_time=dt.time(9),
                window_minutes=60, valid_from=dt.date(2026, 11, 23),
            )  # fmt: skip


def test_the_daily_command(svc, personas, capsys):
    from django.core.management import call_command

    from eldercare.homecare.services.recurrences import recurrence_create

    recurrence_create(
        actor=personas[R.COMMUNITY_WORKER], elder=svc.elder, item=svc.items["clean_home"], weekdays=list(range(1, 8)), start_time=dt.time(9),
        window_minutes=120, valid_from=timezone.localdate(),
    )  # fmt: skip
    call_command("orders_recurring", "--now")
    assert "15" in capsys.readouterr().out  # today and the next 14 days
    assert Order.objects.filter(recurrence__isnull=False).count() == 15
