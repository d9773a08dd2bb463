"""Writes of facilities: stays of elders in institutions and home-care facilities.

A long-term stay is the one record of where an elder in an institution lives (the registry keeps no
institution of its own): recording one that has begun and is open moves the elder's living status to
入住养老机构 in the same transaction."""

from __future__ import annotations

import datetime as dt

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_elder
from eldercare.elders.models import Elder, LivingStatus

from . import errors
from .models import STAY_FACILITIES, Institution, Stay, StayKind


def _check_overlap(elder: Elder, start: dt.date, end: dt.date | None, exclude: int | None = None) -> None:
    others = Stay.objects.filter(elder=elder).filter(Q(end__isnull=True) | Q(end__gte=start))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if end is not None:
        others = others.filter(start__lte=end)
    clash = others.order_by("start").first()
    if clash:
        raise ValidationError({"start": errors.ERR_STAY_OVERLAP.format(start=clash.start)})


@transaction.atomic
def stay_record(*, actor: User, elder: Elder, facility: Institution, kind: str, start: dt.date, end: dt.date | None = None) -> Stay:
    """Record a stay; an elder is in one place at a time, so stays never overlap."""
    require(actor, Cap.EDIT_ELDERS)
    require_elder(actor, elder)
    if kind not in StayKind.values or facility.kind not in STAY_FACILITIES[StayKind(kind)]:
        raise ValidationError({"facility": errors.ERR_STAY_FACILITY})
    if end is not None and end < start:
        raise ValidationError({"end": errors.ERR_STAY_DATES})
    Elder.objects.select_for_update().filter(pk=elder.pk).first()  # serialise stays of one elder
    _check_overlap(elder, start, end)
    today = timezone.localdate()
    with set_actor(actor):
        stay = Stay.objects.create(elder=elder, facility=facility, kind=kind, start=start, end=end)
        if (
            kind == StayKind.LONG_TERM
            and start <= today
            and (end is None or end >= today)
            and elder.living_status != LivingStatus.IN_INSTITUTION
        ):
            elder.living_status = LivingStatus.IN_INSTITUTION
            elder.save(update_fields=["living_status", "updated_at"])
    return stay


@transaction.atomic
def stay_end(*, actor: User, stay: Stay, end: dt.date, elder: Elder | None = None) -> Stay:
    """The last day of a stay. (Where the elder lives next is the registry's to record: the living
    status is left to the officer who knows.)"""
    require(actor, Cap.EDIT_ELDERS)
    require_elder(actor, stay.elder)
    if elder is not None and stay.elder_id != elder.pk:
        raise ValidationError({"stay": errors.ERR_STAY_NOT_THEIRS})
    if stay.end is not None:
        raise ValidationError({"end": errors.ERR_STAY_ENDED.format(end=stay.end)})
    if end < stay.start:
        raise ValidationError({"end": errors.ERR_STAY_DATES})
    with set_actor(actor):
        stay.end = end
        stay.save(update_fields=["end"])
    return stay
