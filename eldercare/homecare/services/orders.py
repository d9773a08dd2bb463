"""An order's life: one function per transition.

    requested → matched → dispatched → accepted → en route → checked in → checked out → confirmed → settled
                                     ↘ declined (back to requested)
    cancelled: from requested … en route;   no-show: from dispatched … en route

Each function locks the order row, refuses a transition its status does not allow (a named error),
checks who may make it, writes an `OrderEvent`, and does the transition's work: check-in and
check-out raise fraud flags, confirmation prices the service and pays it from the elder's allowance
accounts first, the rest self-paid.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_OUT_OF_SCOPE, has_cap, in_region, require, require_region, scope_for
from eldercare.core.errors import code_of
from eldercare.core.months import month_last_day
from eldercare.elders.models import Elder, ElderStatus
from eldercare.elders.selectors import scoped_elders
from eldercare.entitlements.models import Account
from eldercare.entitlements.models import Unit as AllowanceUnit
from eldercare.entitlements.services.ledger import draw
from eldercare.providers.models import ProviderStatus
from eldercare.providers.selectors import manages, serves
from eldercare.regions.models import code_bounds

from .. import errors
from ..models import (
    Caregiver,
    Channel,
    ChargeUnit,
    FlagKind,
    FraudFlag,
    Order,
    OrderEvent,
    OrderStatus,
    ServiceItem,
    VocationalLevel,
)
from .prices import price_for


class OrderAction(enum.StrEnum):
    """The steps an order takes, one service function each (the console posts these names)."""

    ASSIGN = "assign"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    DECLINE = "decline"
    DEPART = "depart"
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    CONFIRM = "confirm"
    SETTLE = "settle"
    CANCEL = "cancel"
    NO_SHOW = "no_show"


S = OrderStatus
A = OrderAction
# Which statuses each action may start from, and where it leads.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    A.ASSIGN: (frozenset({S.REQUESTED, S.MATCHED}), S.MATCHED),
    A.DISPATCH: (frozenset({S.MATCHED}), S.DISPATCHED),
    A.ACCEPT: (frozenset({S.DISPATCHED}), S.ACCEPTED),
    A.DECLINE: (frozenset({S.DISPATCHED}), S.REQUESTED),
    A.DEPART: (frozenset({S.ACCEPTED}), S.EN_ROUTE),
    A.CHECK_IN: (frozenset({S.ACCEPTED, S.EN_ROUTE}), S.CHECKED_IN),
    A.CHECK_OUT: (frozenset({S.CHECKED_IN}), S.CHECKED_OUT),
    A.CONFIRM: (frozenset({S.CHECKED_OUT}), S.CONFIRMED),
    A.SETTLE: (frozenset({S.CONFIRMED}), S.SETTLED),
    A.CANCEL: (frozenset({S.REQUESTED, S.MATCHED, S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE}), S.CANCELLED),
    A.NO_SHOW: (frozenset({S.DISPATCHED, S.ACCEPTED, S.EN_ROUTE}), S.NO_SHOW),
}
ACTIONS: dict[str, tuple[str, str]] = {
    A.ASSIGN: ("派单匹配", "assigned"),
    A.DISPATCH: ("派单", "dispatched"),
    A.ACCEPT: ("接单", "accepted"),
    A.DECLINE: ("拒单", "declined"),
    A.DEPART: ("出发", "started"),
    A.CHECK_IN: ("签到", "checked in"),
    A.CHECK_OUT: ("签退", "checked out"),
    A.CONFIRM: ("确认", "confirmed"),
    A.SETTLE: ("结算", "settled"),
    A.CANCEL: ("取消", "cancelled"),
    A.NO_SHOW: ("记为未履约", "marked a no-show"),
}

# Fraud-check thresholds: the PLATFORM'S DEFAULTS (no seed sets them); settings may change them.


class TransitionError(ValidationError):
    def __init__(self, order: Order, action: str):
        zh, en = ACTIONS[action]
        status = S(order.status)
        super().__init__(
            errors.ERR_ILLEGAL.format(status=status.label, action=zh, status_en=status.value.replace("_", " "), action_en=en),
            code="illegal_transition",
        )


def _lock(order: Order, action: str) -> Order:
    order = Order.objects.select_for_update(of=("self",)).select_related("item", "elder", "caregiver", "provider").get(pk=order.pk)
    allowed, _ = TRANSITIONS[action]
    if order.status not in allowed:
        raise TransitionError(order, action)
    return order


def _move(order: Order, action: str, actor: User, note: str = "", fields: tuple[str, ...] = ()) -> Order:
    before, to = order.status, TRANSITIONS[action][1]
    order.status = to
    order.save(update_fields=["status", "updated_at", *fields])
    OrderEvent.objects.create(order=order, from_status=before, to_status=to, actor=actor, note=note[:500])
    return order


def _elder_for(actor: User, elder: Elder) -> Elder:
    """The elder, if the actor may act for them (their own record, their family, their region)."""
    if not scoped_elders(actor).filter(pk=elder.pk).exists():
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    return elder


def may_dispatch(actor: User, order: Order) -> None:
    require(actor, Cap.DISPATCH)
    if in_region(actor, order.region_id):
        return
    if order.provider is not None and manages(actor, order.provider):
        return
    raise PermissionDenied(ERR_OUT_OF_SCOPE)


def _own_task(actor: User, order: Order) -> None:
    require(actor, Cap.SERVE)
    if order.caregiver is None or order.caregiver.user_id != actor.pk:
        raise PermissionDenied(errors.ERR_NOT_ASSIGNED)


@transaction.atomic
def order_request(
    *,
    actor: User,
    elder: Elder,
    item: ServiceItem,
    window_start: dt.datetime,
    window_end: dt.datetime,
    channel: str | None = None,
    quantity: int | None = None,
    note: str = "",
) -> Order:
    """An order for a service in a time window: by the elder, their family, a community worker or
    a phone operator on their behalf (or, later, by a care plan or an alarm)."""
    require(actor, Cap.REQUEST_SERVICE)
    _elder_for(actor, elder)
    if elder.status != ElderStatus.ACTIVE:
        raise ValidationError({"elder": errors.ERR_ELDER_INACTIVE})
    if not item.active:
        raise ValidationError({"item": errors.ERR_ITEM_INACTIVE})
    if window_end <= window_start:
        raise ValidationError({"window_end": errors.ERR_WINDOW})
    if window_end < timezone.now():
        raise ValidationError({"window_start": errors.ERR_WINDOW_PAST})
    quantity = quantity if quantity is not None else (1 if item.unit == ChargeUnit.VISIT else item.minutes)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationError({"quantity": errors.ERR_QUANTITY})
    # The channel follows who asks: elders and families order for themselves; staff say how the request came.
    scope = scope_for(actor)
    if scope.personal:  # an elder ordering for themself, or a family member for them
        channel = Channel.FAMILY if scope.family else Channel.ELDER
    elif channel not in Channel.values:
        channel = Channel.COMMUNITY
    order = Order.objects.create(
        elder=elder,
        item=item,
        quantity=quantity,
        channel=channel,
        requested_by=actor,
        window_start=window_start,
        window_end=window_end,
        region_id=elder.residence_id,
        latitude=elder.latitude,
        longitude=elder.longitude,
        note=note[:300],
    )
    OrderEvent.objects.create(order=order, to_status=S.REQUESTED, actor=actor, note=note[:500])
    return order


def caregiver_problems(caregiver: Caregiver, order: Order) -> list[str]:
    """Why `caregiver` may not serve `order` (empty: they may). Matching and manual assignment both ask."""
    problems: list[str] = []
    item, day = order.item, timezone.localdate(order.window_start)
    provider = caregiver.provider
    if not caregiver.active:
        problems.append(errors.ERR_CAREGIVER_INACTIVE)
    if provider.status != ProviderStatus.ACTIVE:
        problems.append(errors.ERR_PROVIDER_INACTIVE.format(provider=provider))
    if not serves(provider, order.region_id):
        problems.append(errors.ERR_OUTSIDE_AREA.format(provider=provider))
    if item.category_id not in caregiver.categories:
        problems.append(errors.ERR_NO_SKILL.format(category=item.category.name))
    if item.min_level is not None:
        if caregiver.level is None or caregiver.level > item.min_level:
            problems.append(errors.ERR_LEVEL.format(level=VocationalLevel(item.min_level).label))
        elif caregiver.certificate_expires is not None and caregiver.certificate_expires < day:
            problems.append(errors.ERR_CERTIFICATE_EXPIRED.format(day=caregiver.certificate_expires))
    return problems


def caregiver_clash(caregiver: Caregiver, order: Order) -> Order | None:
    """Another active order of `caregiver` whose time window overlaps `order`'s, if any."""
    from ..matching import BUSY

    return (
        Order.objects.filter(caregiver=caregiver, status__in=BUSY, window_start__lt=order.window_end, window_end__gt=order.window_start)
        .exclude(pk=order.pk)
        .order_by("window_start")
        .first()
    )


@transaction.atomic
def order_assign(*, actor: User, order: Order, caregiver: Caregiver, note: str = "") -> Order:
    """Assign a caregiver (matching's choice, or an operator's override with its reason in `note`).

    The caregiver's row is locked and their other orders read again under the lock: two
    dispatchers assigning the same caregiver to the same slot at the same moment queue here, and
    the second finds the first's order and is refused."""
    order = _lock(order, A.ASSIGN)
    require(actor, Cap.DISPATCH)
    if not in_region(actor, order.region_id):
        # A provider's own dispatcher: their caregivers, on an open order (in their service area,
        # which `caregiver_problems` checks) or one already theirs.
        if not manages(actor, caregiver.provider):
            raise PermissionDenied(errors.ERR_NOT_YOUR_PROVIDER)
        if order.provider_id and order.provider_id != caregiver.provider_id:
            raise PermissionDenied(ERR_OUT_OF_SCOPE)
    caregiver = Caregiver.objects.select_for_update(of=("self",)).select_related("provider").get(pk=caregiver.pk)
    problems = caregiver_problems(caregiver, order)
    clash = caregiver_clash(caregiver, order)
    if clash is not None:
        problems.append(errors.ERR_CAREGIVER_BUSY.format(order=clash.pk))
    if problems:
        raise ValidationError({"caregiver": problems})
    order.caregiver, order.provider, order.match_note = caregiver, caregiver.provider, note
    return _move(order, A.ASSIGN, actor, note, ("caregiver", "provider", "match_note"))


DISPATCH_ATTEMPTS = 3  # matches tried when a concurrent dispatch takes the chosen caregiver first


def order_auto_dispatch(*, actor: User, order: Order) -> Order:
    """Match (see `matching`) and dispatch in one step; the choice and its reasons go on the order.
    Refused with the reasons when nobody qualifies: an operator then assigns by hand. When another
    dispatch takes the chosen caregiver for the slot first, matching runs again (it then sees that
    order) and picks the next best."""
    from ..matching import match

    may_dispatch(actor, order)
    for attempt in range(DISPATCH_ATTEMPTS):
        choice = match(order)
        if choice.caregiver_id is None:
            raise ValidationError({"caregiver": errors.ERR_NO_MATCH.format(reasons=choice.note)})
        try:
            with transaction.atomic():
                assigned = order_assign(actor=actor, order=order, caregiver=Caregiver.objects.get(pk=choice.caregiver_id), note=choice.note)
                return order_dispatch(actor=actor, order=assigned)
        except ValidationError as refused:
            reasons = refused.error_dict.get("caregiver", []) if hasattr(refused, "error_dict") else []
            taken = any(code_of(reason.message, "") == errors.ERR_CAREGIVER_BUSY.code for reason in reasons)
            if not taken or attempt == DISPATCH_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def order_dispatch(*, actor: User, order: Order) -> Order:
    order = _lock(order, A.DISPATCH)
    may_dispatch(actor, order)
    if order.provider is not None and order.provider.status != ProviderStatus.ACTIVE:
        # Matched before its provider was suspended: assign another caregiver first.
        raise ValidationError({"caregiver": errors.ERR_PROVIDER_INACTIVE.format(provider=order.provider)})
    return _move(order, A.DISPATCH, actor)


@transaction.atomic
def order_accept(*, actor: User, order: Order) -> Order:
    order = _lock(order, A.ACCEPT)
    _own_task(actor, order)
    return _move(order, A.ACCEPT, actor)


@transaction.atomic
def order_decline(*, actor: User, order: Order, reason: str) -> Order:
    """The caregiver cannot take it: back to the queue for another match."""
    order = _lock(order, A.DECLINE)
    _own_task(actor, order)
    if not reason.strip():
        raise ValidationError({"reason": errors.ERR_REASON})
    order.caregiver, order.provider = None, None
    return _move(order, A.DECLINE, actor, reason, ("caregiver", "provider"))


@transaction.atomic
def order_depart(*, actor: User, order: Order) -> Order:
    order = _lock(order, A.DEPART)
    _own_task(actor, order)
    _not_too_early(order, timezone.now())
    return _move(order, A.DEPART, actor)


# A caregiver sets off for (and checks in at) a visit on its booked day, or, for a visit early in
# the morning, at most this long before its start: tomorrow's accepted tasks wait for tomorrow.
EARLIEST_BEFORE_START = dt.timedelta(hours=2)


def too_early(order: Order, at: dt.datetime) -> bool:
    """Whether `at` is too early to set off for the order or check in: before its booked day and
    more than EARLIEST_BEFORE_START before its start (the task page offers neither step then)."""
    start = order.window_start
    return timezone.localdate(at) < timezone.localdate(start) and at < start - EARLIEST_BEFORE_START


def _not_too_early(order: Order, at: dt.datetime) -> None:
    if too_early(order, at):
        start = timezone.localtime(order.window_start).strftime("%Y-%m-%d %H:%M")
        hours = int(EARLIEST_BEFORE_START.total_seconds() // 3600)
        raise ValidationError({"window_start": errors.ERR_TOO_EARLY.format(start=start, hours=hours)})


def metres_between(lat1: Decimal | float, lng1: Decimal | float, lat2: Decimal | float, lng2: Decimal | float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def _flag(order: Order, kind: str, detail: str, other: Order | None = None) -> None:
    FraudFlag.objects.get_or_create(order=order, kind=kind, other=other, defaults={"detail": detail[:300]})


@transaction.atomic
def order_check_in(
    *, actor: User, order: Order, latitude: Decimal | None, longitude: Decimal | None, at: dt.datetime | None = None
) -> Order:
    order = _lock(order, A.CHECK_IN)
    _own_task(actor, order)
    if latitude is None or longitude is None:
        raise ValidationError({"latitude": errors.ERR_COORDINATES})
    order.checked_in_at = at or timezone.now()
    _not_too_early(order, order.checked_in_at)
    order.checkin_latitude, order.checkin_longitude = latitude, longitude
    _move(order, A.CHECK_IN, actor, fields=("checked_in_at", "checkin_latitude", "checkin_longitude"))
    if order.latitude is not None and order.longitude is not None:
        distance = metres_between(order.latitude, order.longitude, latitude, longitude)
        if distance > (radius := settings.ELDERCARE_CHECKIN_RADIUS_METRES):
            _flag(
                order,
                FlagKind.FAR_CHECKIN,
                f"签到点距老人住址{distance:,.0f}米（阈值{radius}米） / checked in {distance:,.0f} m from the home",
            )
    return order


@transaction.atomic
def order_check_out(*, actor: User, order: Order, record: str, at: dt.datetime | None = None) -> Order:
    order = _lock(order, A.CHECK_OUT)
    _own_task(actor, order)
    at = at or timezone.now()
    assert order.checked_in_at is not None  # checked in: order_check_in set it
    if at < order.checked_in_at:
        raise ValidationError({"at": errors.ERR_CHECKOUT_BEFORE_CHECKIN})
    order.checked_out_at, order.record = at, record
    _move(order, A.CHECK_OUT, actor, fields=("checked_out_at", "record"))
    _check_delivery(order)
    return order


def _check_delivery(order: Order) -> None:
    """Flag what supervisors must look at: a service far shorter than booked, the same caregiver in
    two homes at once, the same service billed twice the same day."""
    assert order.checked_in_at is not None and order.checked_out_at is not None  # checked out: both times set
    minutes = (order.checked_out_at - order.checked_in_at).total_seconds() / 60
    expected = order.quantity if order.item.unit == ChargeUnit.HOUR else order.item.minutes * order.quantity
    if minutes < float(settings.ELDERCARE_TOO_SHORT_SHARE) * expected:
        _flag(order, FlagKind.TOO_SHORT, f"实际服务{minutes:.0f}分钟，应为{expected}分钟 / {minutes:.0f} min served of {expected} booked")
    overlapping = Order.objects.filter(
        caregiver=order.caregiver,
        checked_in_at__lt=order.checked_out_at,
        checked_out_at__gt=order.checked_in_at,
    ).exclude(pk=order.pk)
    for other in overlapping:
        _flag(order, FlagKind.OVERLAP, f"与工单{other.pk}时间重叠 / overlaps order {other.pk}", other)
    day = timezone.localdate(order.checked_in_at)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    twins = Order.objects.filter(
        elder=order.elder,
        item=order.item,
        checked_in_at__gte=start,
        checked_in_at__lt=start + dt.timedelta(days=1),
        status__in=[S.CHECKED_OUT, S.CONFIRMED, S.SETTLED],
    ).exclude(pk=order.pk)
    for other in twins:
        _flag(
            order,
            FlagKind.DUPLICATE,
            f"同一老人当日已有相同服务（工单{other.pk}） / the same service for the same elder that day (order {other.pk})",
            other,
        )


def _may_confirm(actor: User, order: Order) -> None:
    require(actor, Cap.CONFIRM_SERVICE)
    _elder_for(actor, order.elder)


def billed_minutes(order: Order) -> int:
    """An hourly service is billed for the booked minutes, or fewer if it was shorter."""
    assert order.checked_in_at is not None and order.checked_out_at is not None  # checked out: both times set
    served = max(1, math.floor((order.checked_out_at - order.checked_in_at).total_seconds() / 60))
    return min(order.quantity, served)


@transaction.atomic
def order_confirm(*, actor: User, order: Order, rating: int, comment: str = "") -> Order:
    """The elder (or family, or a community worker for them) confirms and rates the service; it is
    priced at the guide price of the day and paid from the elder's allowances first: hour accounts
    for hourly items, then yuan accounts, the rest self-paid."""
    order = _lock(order, A.CONFIRM)
    _may_confirm(actor, order)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": errors.ERR_RATING})
    day = timezone.localdate(order.checked_out_at)
    price = price_for(order.item, order.region_id, day)
    if price is None:
        raise ValidationError({"price": errors.ERR_NO_PRICE.format(region=order.region_id, day=day, item=order.item)})
    hourly = order.item.unit == ChargeUnit.HOUR
    minutes = billed_minutes(order) if hourly else 0
    amount = round(price.price * minutes / 60) if hourly else price.price * order.quantity
    order.unit_price, order.amount = price.price, amount
    order.paid_by_allowance, order.allowance_minutes = _pay(order, day, price.price, minutes, amount)
    order.self_pay = amount - order.paid_by_allowance
    order.rating, order.rating_comment = rating, comment[:300]
    return _move(
        order,
        A.CONFIRM,
        actor,
        comment,
        ("unit_price", "amount", "paid_by_allowance", "allowance_minutes", "self_pay", "rating", "rating_comment"),
    )


def _pay(order: Order, day: dt.date, hourly_price: int, minutes: int, amount: int) -> tuple[int, int]:
    """Draw on the elder's accounts of the service month; returns (fen paid by allowances, minutes drawn)."""
    accounts = list(
        Account.objects.select_for_update()
        .filter(elder=order.elder, month=day.replace(day=1), balance__gt=0, facility__isnull=True)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))
        .order_by("pk")
    )
    accounts.sort(key=lambda a: a.unit != AllowanceUnit.MINUTES)  # hours first, then yuan
    assert order.provider is not None  # checked out, so assigned (the order_assigned_after_request constraint)
    paid, drawn, owed = 0, 0, amount
    for account in accounts:
        if account.unit == AllowanceUnit.MINUTES:
            use = min(account.balance, minutes - drawn)
            if use <= 0:
                continue
            # The value of the minutes drawn; the last of them carries the rounding, so a fully
            # covered service is paid exactly its amount.
            value = owed if drawn + use == minutes else min(owed, round(hourly_price * use / 60))
            drawn += use
        else:
            use = min(account.balance, owed)
            if use <= 0:
                continue
            value = use
        draw(
            account=account,
            amount=use,
            key=f"order:{order.pk}:account:{account.pk}",
            on=day,
            provider=order.provider,
            value=value,
            reference=f"order:{order.pk}",
        )
        paid += value
        owed -= value
    return paid, drawn


@transaction.atomic
def order_cancel(*, actor: User, order: Order, reason: str) -> Order:
    order = _lock(order, A.CANCEL)
    if not reason.strip():
        raise ValidationError({"reason": errors.ERR_REASON})
    dispatcher = has_cap(actor, Cap.DISPATCH) and (
        in_region(actor, order.region_id) or (order.provider is not None and manages(actor, order.provider))
    )
    if not dispatcher:  # otherwise the elder's side, who asked for it
        require(actor, Cap.REQUEST_SERVICE)
        _elder_for(actor, order.elder)
    order.reason = reason[:300]
    return _move(order, A.CANCEL, actor, reason, ("reason",))


@transaction.atomic
def order_no_show(*, actor: User, order: Order, reason: str) -> Order:
    """The service did not happen: the caregiver did not come (reported by the elder's side or an
    operator), or found nobody home (reported by the caregiver)."""
    order = _lock(order, A.NO_SHOW)
    if not reason.strip():
        raise ValidationError({"reason": errors.ERR_REASON})
    if has_cap(actor, Cap.SERVE):
        _own_task(actor, order)
    elif has_cap(actor, Cap.DISPATCH):
        may_dispatch(actor, order)
    else:
        _may_confirm(actor, order)
    order.reason = reason[:300]
    return _move(order, A.NO_SHOW, actor, reason, ("reason",))


def orders_settle(*, region_code: str, month: dt.date) -> int:
    """Mark the confirmed orders of a month in a region settled: called when the month's settlement
    locks (`entitlements.signals.settlement_locked`), inside its transaction. Returns the count."""
    lo, hi = code_bounds(region_code)
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(month_last_day(month) + dt.timedelta(days=1), dt.time.min))
    confirmed = Order.objects.select_for_update().filter(
        status=S.CONFIRMED, region_id__gte=lo, region_id__lte=hi, checked_out_at__gte=start, checked_out_at__lt=end
    )
    ids = list(confirmed.values_list("pk", flat=True))
    Order.objects.filter(pk__in=ids).update(status=S.SETTLED, updated_at=timezone.now())
    OrderEvent.objects.bulk_create(
        OrderEvent(order_id=pk, from_status=S.CONFIRMED, to_status=S.SETTLED, note="月度结算锁定 / month settled") for pk in ids
    )
    return len(ids)


@transaction.atomic
def flag_resolve(*, actor: User, flag: FraudFlag, resolution: str) -> FraudFlag:
    """A supervisor's finding on a flag (a check-in explained, a duplicate refunded…); the flag stays."""
    require(actor, Cap.VIEW_ELDERS)
    require(actor, Cap.VIEW_ORDERS)
    require_region(actor, flag.order.region_id)
    if not resolution.strip():
        raise ValidationError({"resolution": errors.ERR_REASON})
    flag.resolved_by, flag.resolution = actor, resolution.strip()[:300]
    flag.save(update_fields=["resolved_by", "resolution"])
    return flag
