"""Reads of devices and alarms, scoped to the acting user's region."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, in_region, require, scope_for
from eldercare.core.errors import Err
from eldercare.elders.models import Contact

from .alarms import STEPS
from .models import Alarm, AlarmEvent, AlarmStatus, BedRecord, Device, EarlyWarning, HomeCareBed, Reading, WarningStatus

ERR_ALARM_NOT_FOUND = Err("devices.alarm_not_found", "未找到该告警 / no such alarm")
ERR_BED_NOT_FOUND = Err("devices.bed_not_found", "未找到该床位 / no such home care bed")
OPEN = (AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED)


def alarms_visible(actor: User) -> QuerySet[Alarm]:
    require(actor, Cap.VIEW_ALARMS)
    return Alarm.objects.select_related("elder", "elder__residence", "device", "acknowledged_by").filter(
        scope_for(actor).q(region_field="region_id")
    )


# The board shows neither the ID number nor the phone: not decrypting them on every poll (twice a second).
BOARD_DEFERRED = ("elder__id_number", "elder__phone")


def alarm_board(actor: User) -> QuerySet[Alarm]:
    """Open alarms, unanswered first, oldest first within each status."""
    order = Case(*(When(status=s, then=Value(i)) for i, s in enumerate(OPEN)), output_field=IntegerField())
    return (
        alarms_visible(actor).filter(status__in=OPEN).defer(*BOARD_DEFERRED).annotate(rank=order).order_by("rank", "raised_at")
    )


def alarm_get(*, actor: User, pk: int) -> Alarm:
    alarm = alarms_visible(actor).filter(pk=pk).first()
    if alarm is None:
        raise Http404(ERR_ALARM_NOT_FOUND)
    return alarm


def elder_devices(*, actor: User, elder_id: int) -> QuerySet[Device]:
    require(actor, Cap.VIEW_ALARMS)
    return (
        Device.objects.filter(elder_id=elder_id).filter(scope_for(actor).q(region_field="elder__residence_id")).order_by("kind", "serial")
    )


def last_readings(device_ids: list[int]) -> dict[int, Reading]:
    """The newest reading (by event time) of each of a home's devices: their newest times in one
    query (a probe of the primary key, device then time, per device), the readings in a second."""
    newest = Reading.objects.filter(device_id=OuterRef("pk")).order_by("-at").values("at")[:1]
    times = dict(Device.objects.filter(pk__in=device_ids).annotate(newest=Subquery(newest)).values_list("pk", "newest"))
    wanted = Q(pk__in=[])
    for pk, at in times.items():
        if at is not None:
            wanted |= Q(device_id=pk, at=at)
    found: dict[int, Reading] = {}
    for r in Reading.objects.filter(wanted).order_by("device_id", "-message_id"):
        found.setdefault(r.device_id, r)  # two messages at the same instant: one is enough to show
    return found


def open_warnings(actor: User) -> QuerySet[EarlyWarning]:
    """Open early warnings of the region, newest first: visits to pay, and the alarms they raised."""
    require(actor, Cap.VIEW_ALARMS)
    return (
        EarlyWarning.objects.select_related("elder", "elder__residence")
        .defer(*BOARD_DEFERRED)
        .filter(scope_for(actor).q(region_field="region_id"), status=WarningStatus.OPEN)
        .order_by("-created_at")
    )


def warning_get(*, actor: User, pk: int) -> EarlyWarning:
    require(actor, Cap.VIEW_ALARMS)
    found = EarlyWarning.objects.filter(scope_for(actor).q(region_field="region_id"), pk=pk).first()
    if found is None:
        raise Http404(ERR_ALARM_NOT_FOUND)
    return found


def alarm_context(alarm: Alarm) -> tuple[list[Contact], list[tuple[Device, Reading | None]]]:
    """What an operator needs at a glance: the emergency contacts in calling order, and each of the
    home's devices with its newest reading."""
    contacts = list(Contact.objects.filter(elder_id=alarm.elder_id, is_emergency=True).order_by("priority", "pk"))
    devices = list(Device.objects.filter(elder_id=alarm.elder_id).order_by("kind", "serial"))
    latest = last_readings([d.pk for d in devices])
    return contacts, [(d, latest.get(d.pk)) for d in devices]


def beds_visible(actor: User) -> QuerySet[HomeCareBed]:
    """Home care beds: the region's for its staff, a provider's own for its admins. Each with the
    date of its last inspection (oldest first: the beds most in need of one lead)."""
    beds = HomeCareBed.objects.select_related("elder", "elder__residence", "provider").annotate(
        last_inspection=Max("records__on", filter=Q(records__kind=BedRecord.Kind.INSPECTION))
    )
    scope = scope_for(actor)
    if has_cap(actor, Cap.VIEW_ALARMS) and scope.regional:
        return beds.filter(scope.q(region_field="elder__residence_id"))
    if has_cap(actor, Cap.MANAGE_CAREGIVERS):
        return beds.filter(provider__admins=actor)
    raise PermissionDenied


def bed_list(actor: User) -> QuerySet[HomeCareBed]:
    return beds_visible(actor).order_by(F("last_inspection").asc(nulls_first=True), "contract_number")


def bed_get(*, actor: User, pk: int) -> HomeCareBed:
    bed = beds_visible(actor).filter(pk=pk).first()
    if bed is None:
        raise Http404(ERR_BED_NOT_FOUND)
    return bed


# ---------------------------------------------------------------- what a user may do to an alarm

# The statuses each step starts from: the table the services lock by.
ALARM_STEPS: dict[str, frozenset[str]] = {action: starts for action, (starts, _, _) in STEPS.items()}


def alarm_actions(actor: User, alarm: Alarm) -> frozenset[str]:
    """The steps to offer the actor on an alarm (its buttons; the console refuses any other, and the
    services check again under the row lock): for those who handle alarms in the alarm's region,
    the steps its status allows."""
    if not (has_cap(actor, Cap.HANDLE_ALARMS) and in_region(actor, alarm.region_id)):
        return frozenset()
    return frozenset(step for step, starts in ALARM_STEPS.items() if alarm.status in starts)


def alarm_may_call(actor: User, alarm: Alarm) -> bool:
    """Whether to offer the actor the call buttons on an alarm (the elder's and the contacts' phones,
    revealed through `elders.services.phone_reveal`, which checks again): those who handle alarms in
    the alarm's region, whatever its status (a call back after it is resolved is a call too)."""
    return has_cap(actor, Cap.HANDLE_ALARMS) and in_region(actor, alarm.region_id)


def warning_may_close(actor: User) -> bool:
    """Whether to offer the close form on the early warnings the actor sees (the service checks the
    region again): the community workers and others who handle alarms."""
    return has_cap(actor, Cap.HANDLE_ALARMS)


def alarm_contact(alarm: Alarm, contact_id: int) -> Contact:
    """One of the alarm's emergency contacts (404 for any other contact)."""
    found = Contact.objects.filter(elder_id=alarm.elder_id, is_emergency=True, pk=contact_id).select_related("elder").first()
    if found is None:
        raise Http404(ERR_ALARM_NOT_FOUND)
    return found


def board_mark() -> int:
    """Changes anywhere on the alarm boards, cheaply: every step of every alarm (raised, acknowledged,
    dispatched, resolved, escalated) is an `AlarmEvent`, so the newest event's id moves whenever a
    board might (one probe of the primary key, no scope). The live board asks this every second and
    reads its own alarms only when it moved."""
    return AlarmEvent.objects.aggregate(m=Max("pk"))["m"] or 0


def closed_warnings(actor: User) -> QuerySet[EarlyWarning]:
    """Early warnings of the region already closed, latest closed first, with who closed them and
    what the visit found."""
    require(actor, Cap.VIEW_ALARMS)
    return (
        EarlyWarning.objects.select_related("elder", "elder__residence", "closed_by")
        .defer(*BOARD_DEFERRED)
        .filter(scope_for(actor).q(region_field="region_id"), status=WarningStatus.CLOSED)
        .order_by("-closed_at", "-pk")
    )
