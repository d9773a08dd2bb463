"""Standing orders: set up once, their occurrences become ordinary orders a fortnight ahead.

Whoever may order services for an elder sets one up (optionally naming the elder's preferred
caregiver, whom matching then prefers), lists them and stops them; stopping cancels the orders
already made for occurrences still to come that nobody has set off for."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require
from eldercare.core.errors import Err
from eldercare.elders.models import Elder, ElderStatus
from eldercare.elders.selectors import scoped_elders

from .. import errors
from ..models import Caregiver, Channel, ChargeUnit, Order, OrderEvent, OrderStatus, Recurrence, ServiceItem
from .orders import _elder_for, order_cancel
from .preferences import preference_set

HORIZON_DAYS = 14  # how far ahead occurrences become orders (platform default)
ERR_WEEKDAYS = Err("homecare.weekdays", "请选择每周的服务日（1=周一…7=周日） / choose the weekdays (1 = Monday … 7 = Sunday)")
ERR_PAST_MIDNIGHT = Err("homecare.past_midnight", "服务时段不能跨过午夜 / the time window must end by midnight")
ERR_RECURRENCE_NOT_FOUND = Err("homecare.recurrence_not_found", "未找到该周期服务 / no such standing order")
ERR_RECURRENCE_STOPPED = Err("homecare.recurrence_stopped", "该周期服务已停止 / this standing order is already stopped")
STOP_REASON = "周期服务已停止 / the standing order was stopped"
# Orders of a stopped standing order that are cancelled with it: nobody has set off for them yet.
UNSTARTED = (OrderStatus.REQUESTED, OrderStatus.MATCHED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)


@transaction.atomic
def recurrence_create(
    *,
    actor: User,
    elder: Elder,
    item: ServiceItem,
    weekdays: list[int],
    start_time: dt.time,
    window_minutes: int,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    quantity: int | None = None,
    preferred_caregiver: Caregiver | None = None,
    generate: bool = False,
) -> Recurrence:
    """A standing order for the elder. With `preferred_caregiver`, that caregiver becomes the elder's
    preferred one (`preferences.preference_set`, same checks); with `generate`, the occurrences of
    the coming fortnight become orders at once instead of at the next daily run."""
    require(actor, Cap.REQUEST_SERVICE)
    _elder_for(actor, elder)
    if elder.status != ElderStatus.ACTIVE:
        raise ValidationError({"elder": errors.ERR_ELDER_INACTIVE})
    if not item.active:
        raise ValidationError({"item": errors.ERR_ITEM_INACTIVE})
    if not weekdays or any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7 for d in weekdays):
        raise ValidationError({"weekdays": ERR_WEEKDAYS})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": errors.ERR_WINDOW})
    quantity = quantity if quantity is not None else (1 if item.unit == ChargeUnit.VISIT else item.minutes)
    if not isinstance(window_minutes, int) or window_minutes <= 0 or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError({"quantity": errors.ERR_QUANTITY})
    if start_time.hour * 60 + start_time.minute + window_minutes > 24 * 60:
        raise ValidationError({"window_minutes": ERR_PAST_MIDNIGHT})
    if preferred_caregiver is not None:
        preference_set(actor=actor, elder=elder, caregiver=preferred_caregiver)
    recurrence = Recurrence.objects.create(
        elder=elder,
        item=item,
        weekdays=sorted(set(weekdays)),
        start_time=start_time,
        window_minutes=window_minutes,
        quantity=quantity,
        valid_from=valid_from,
        valid_to=valid_to,
        requested_by=actor,
    )
    if generate:
        recurrences_generate(recurrence=recurrence)
    return recurrence


@transaction.atomic
def recurrence_stop(*, actor: User, recurrence: Recurrence) -> Recurrence:
    """Stop a standing order: no more occurrences, and the orders already made for the ones still to
    come are cancelled unless a caregiver has set off (those run their course)."""
    require(actor, Cap.REQUEST_SERVICE)
    recurrence = Recurrence.objects.select_for_update().select_related("elder").get(pk=recurrence.pk)
    _elder_for(actor, recurrence.elder)
    if not recurrence.active:
        raise ValidationError({"recurrence": ERR_RECURRENCE_STOPPED})
    recurrence.active = False
    recurrence.save(update_fields=["active"])
    for order in recurrence.orders.filter(status__in=UNSTARTED, window_start__gt=timezone.now()).order_by("window_start"):
        order_cancel(actor=actor, order=order, reason=STOP_REASON)
    return recurrence


def recurrence_list(*, actor: User, elder: Elder) -> QuerySet[Recurrence]:
    """The elder's standing orders, running ones first (the caller has the elder through a scoped read)."""
    require(actor, Cap.VIEW_ORDERS)
    _elder_for(actor, elder)
    return Recurrence.objects.filter(elder=elder).select_related("item", "requested_by").order_by("-active", "-created_at", "-pk")


def recurrence_get(*, actor: User, pk: int) -> Recurrence:
    """One standing order of an elder in the actor's scope; 404 otherwise."""
    require(actor, Cap.VIEW_ORDERS)
    found = Recurrence.objects.select_related("elder", "item").filter(pk=pk).first()
    if found is None or not scoped_elders(actor).filter(pk=found.elder_id).exists():
        raise Http404(ERR_RECURRENCE_NOT_FOUND)
    return found


def recurrences_generate(*, today: dt.date | None = None, days: int = HORIZON_DAYS, recurrence: Recurrence | None = None) -> int:
    """Orders for every occurrence from today to `days` ahead that has none yet; a system job (run
    daily). Safe to run again or on two workers: an occurrence becomes one order (a unique
    constraint). Returns the number of orders created. With `recurrence`, only its occurrences,
    and only those whose time has not passed (a standing order just set up)."""
    today = today or timezone.localdate()
    made = 0
    standing = Recurrence.objects.filter(
        active=True, elder__status=ElderStatus.ACTIVE, valid_from__lte=today + dt.timedelta(days=days)
    ).select_related("elder", "item")
    if recurrence is not None:
        standing = standing.filter(pk=recurrence.pk)
    now = timezone.now()
    for rec in standing:
        done = set(rec.orders.values_list("occurrence", flat=True))
        for offset in range(days + 1):
            day = today + dt.timedelta(days=offset)
            if day < rec.valid_from or (rec.valid_to and day > rec.valid_to) or day.isoweekday() not in rec.weekdays or day in done:
                continue
            start = timezone.make_aware(dt.datetime.combine(day, rec.start_time))
            if recurrence is not None and start < now:
                continue
            try:
                with transaction.atomic():
                    order = Order.objects.create(
                        elder=rec.elder,
                        item=rec.item,
                        quantity=rec.quantity,
                        channel=Channel.CARE_PLAN,
                        requested_by=rec.requested_by,
                        window_start=start,
                        window_end=start + dt.timedelta(minutes=rec.window_minutes),
                        region_id=rec.elder.residence_id,
                        latitude=rec.elder.latitude,
                        longitude=rec.elder.longitude,
                        recurrence=rec,
                        occurrence=day,
                    )
                    OrderEvent.objects.create(order=order, to_status=OrderStatus.REQUESTED, note=f"周期服务 / standing order {rec.pk}")
            except IntegrityError:
                continue  # another worker made it first
            made += 1
    return made
