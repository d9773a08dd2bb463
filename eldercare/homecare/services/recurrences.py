"""Standing orders: set up once, their occurrences become ordinary orders a fortnight ahead."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require
from eldercare.core.errors import Err
from eldercare.elders.models import Elder, ElderStatus

from .. import errors
from ..models import Channel, ChargeUnit, Order, OrderEvent, OrderStatus, Recurrence, ServiceItem
from .orders import _elder_for

HORIZON_DAYS = 14  # how far ahead occurrences become orders (platform default)
ERR_WEEKDAYS = Err("homecare.weekdays", "请选择每周的服务日（1=周一…7=周日） / choose the weekdays (1 = Monday … 7 = Sunday)")
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
) -> Recurrence:
    require(actor, Cap.REQUEST_SERVICE)
    _elder_for(actor, elder)
    if elder.status != ElderStatus.ACTIVE:
        raise ValidationError({"elder": errors.ERR_ELDER_INACTIVE})
    if not weekdays or any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7 for d in weekdays):
        raise ValidationError({"weekdays": ERR_WEEKDAYS})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": errors.ERR_WINDOW})
    quantity = quantity if quantity is not None else (1 if item.unit == ChargeUnit.VISIT else item.minutes)
    if not isinstance(window_minutes, int) or window_minutes <= 0 or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError({"quantity": errors.ERR_QUANTITY})
    return Recurrence.objects.create(
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


def recurrences_generate(*, today: dt.date | None = None, days: int = HORIZON_DAYS) -> int:
    """Orders for every occurrence from today to `days` ahead that has none yet; a system job (run
    daily). Safe to run again or on two workers: an occurrence becomes one order (a unique
    constraint). Returns the number of orders created."""
    today = today or timezone.localdate()
    made = 0
    standing = Recurrence.objects.filter(
        active=True, elder__status=ElderStatus.ACTIVE, valid_from__lte=today + dt.timedelta(days=days)
    ).select_related("elder", "item")
    for rec in standing:
        done = set(rec.orders.values_list("occurrence", flat=True))
        for offset in range(days + 1):
            day = today + dt.timedelta(days=offset)
            if day < rec.valid_from or (rec.valid_to and day > rec.valid_to) or day.isoweekday() not in rec.weekdays or day in done:
                continue
            start = timezone.make_aware(dt.datetime.combine(day, rec.start_time))
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
