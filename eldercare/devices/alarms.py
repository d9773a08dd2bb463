"""An alarm's life: raised → acknowledged → someone dispatched → resolved, every step an
`AlarmEvent`; and escalation along the elder's contact chain while nobody acknowledges.

`alarm_raise` is the one way an alarm comes to be, whatever raised it: a device's message (a
button press, a fall, smoke; called by `ingest.store`) or an early-warning rule (`warnings`)."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap, Role
from eldercare.accounts.scoping import require, require_region
from eldercare.core.errors import Err
from eldercare.elders.models import Contact
from eldercare.regions.models import CODE_LENGTH, Level, code_prefix

from .models import Alarm, AlarmEvent, AlarmSource, AlarmStatus, AlarmStep, Device, EarlyWarning, Responder, WarningStatus

ERR_ILLEGAL = Err("devices.illegal", "告警当前为“{status}”，不能{action} / an alarm that is {status_en} cannot be {action_en}")
ERR_RESPONDER = Err("devices.responder", "请选择处置人员类型 / choose who responds")
ERR_OUTCOME = Err("devices.outcome", "请填写处置结果 / describe the outcome")
ERR_FINDINGS = Err("devices.findings", "请填写探访情况 / describe what the visit found")
ERR_FINDINGS_LONG = Err("devices.findings_long", "探访情况最多{limit}字 / at most {limit} characters")
ERR_WARNING_CLOSED = Err("devices.warning_closed", "该预警已处理 / this warning is already closed")
NO_CONTACT = "（无联系人，请调度员立即处置）/ no contact on record"
ESCALATION_BATCH = 200


def _ack_deadline(after: dt.datetime) -> dt.datetime:
    return after + dt.timedelta(seconds=settings.ELDERCARE_ALARM_ACK_SECONDS)


class AlarmRaise(NamedTuple):
    """An alarm to raise (`alarms_raise`): what `alarm_raise` takes, as one value."""

    elder_id: int
    region_code: str
    source: AlarmSource
    at: dt.datetime
    received_at: dt.datetime
    device: Device | None = None
    message_id: str = ""
    detail: str = ""
    note: str = ""


def alarm_raise(
    *,
    elder_id: int,
    region_code: str,
    source: AlarmSource,
    at: dt.datetime,
    received_at: dt.datetime,
    device: Device | None = None,
    message_id: str = "",
    detail: str = "",
    note: str = "",
) -> Alarm:
    """Open an alarm and its first event; escalation starts counting from its arrival.

    Runs inside the caller's transaction (a device message is stored with its alarm, an early
    warning with its alarm): the device is acknowledged, or the warning counted, only once both
    are committed."""
    return alarms_raise([AlarmRaise(elder_id, region_code, source, at, received_at, device, message_id, detail, note)])[0]


def alarms_raise(raising: Sequence[AlarmRaise]) -> list[Alarm]:
    """`alarm_raise` for several at once (a consumer's batch of button presses): two inserts however
    many. Inside the caller's transaction, like it."""
    alarms = Alarm.objects.bulk_create(
        Alarm(
            elder_id=r.elder_id,
            device=r.device,
            message_id=r.message_id,
            source=r.source,
            detail=r.detail[:300],
            region_id=r.region_code,
            raised_at=r.at,
            received_at=r.received_at,
            next_escalation_at=_ack_deadline(r.received_at),
        )
        for r in raising
    )
    assert all(a.pk is not None for a in alarms), "the database returns the new rows' ids (PostgreSQL, SQLite 3.35+)"
    AlarmEvent.objects.bulk_create(
        AlarmEvent(alarm=a, what=AlarmStep.RAISED, at=r.received_at, note=r.note[:300]) for a, r in zip(alarms, raising, strict=True)
    )
    return alarms


class AlarmAction(enum.StrEnum):
    """What an operator does to an alarm (the console posts these names)."""

    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    RESOLVE = "resolve"


# Each action: the statuses it starts from, and its words for the refusal (Chinese verb, English participle).
STEPS: dict[str, tuple[frozenset[str], str, str]] = {
    AlarmAction.ACKNOWLEDGE: (frozenset({AlarmStatus.RAISED}), "响应", "acknowledged"),
    AlarmAction.DISPATCH: (frozenset({AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED}), "派人", "dispatched"),
    AlarmAction.RESOLVE: (frozenset({AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED}), "处置完成", "resolved"),
}


def _lock(alarm: Alarm, actor: User, action: AlarmAction) -> Alarm:
    require(actor, Cap.HANDLE_ALARMS)
    require_region(actor, alarm.region_id)
    alarm = Alarm.objects.select_for_update(of=("self",)).select_related("elder").get(pk=alarm.pk)
    allowed, verb, participle = STEPS[action]
    if alarm.status not in allowed:
        status = AlarmStatus(alarm.status)
        raise ValidationError(ERR_ILLEGAL.format(status=status.label, action=verb, status_en=status.value, action_en=participle))
    return alarm


@transaction.atomic(durable=True)
def alarm_acknowledge(*, actor: User, alarm: Alarm) -> Alarm:
    """An operator has seen it: escalation stops."""
    alarm = _lock(alarm, actor, AlarmAction.ACKNOWLEDGE)
    alarm.status, alarm.acknowledged_at, alarm.acknowledged_by, alarm.next_escalation_at = (
        AlarmStatus.ACKNOWLEDGED,
        timezone.now(),
        actor,
        None,
    )
    alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "next_escalation_at"])
    AlarmEvent.objects.create(alarm=alarm, what=AlarmStep.ACKNOWLEDGED, actor=actor)
    return alarm


@transaction.atomic(durable=True)
def alarm_dispatch(*, actor: User, alarm: Alarm, responder: str, name: str = "") -> Alarm:
    alarm = _lock(alarm, actor, AlarmAction.DISPATCH)
    if responder not in Responder.values:
        raise ValidationError({"responder": ERR_RESPONDER})
    alarm.status, alarm.dispatched_at, alarm.responder, alarm.responder_name = AlarmStatus.DISPATCHED, timezone.now(), responder, name[:100]
    alarm.save(update_fields=["status", "dispatched_at", "responder", "responder_name"])
    AlarmEvent.objects.create(alarm=alarm, what=AlarmStep.DISPATCHED, actor=actor, note=f"{Responder(responder).label} {name}"[:300])
    return alarm


@transaction.atomic(durable=True)
def alarm_resolve(*, actor: User, alarm: Alarm, outcome: str) -> Alarm:
    alarm = _lock(alarm, actor, AlarmAction.RESOLVE)
    if not outcome.strip():
        raise ValidationError({"outcome": ERR_OUTCOME})
    alarm.status, alarm.resolved_at, alarm.outcome = AlarmStatus.RESOLVED, timezone.now(), outcome.strip()[:300]
    alarm.save(update_fields=["status", "resolved_at", "outcome"])
    AlarmEvent.objects.create(alarm=alarm, what=AlarmStep.RESOLVED, actor=actor, note=alarm.outcome)
    return alarm


def _street_of(code: str) -> str:
    return code_prefix(code, Level.STREET).ljust(CODE_LENGTH, "0")


def contact_chains(alarms: Iterable[Alarm]) -> dict[int, list[str]]:
    """Who is called, in order, for each alarm while nobody acknowledges: the elder's emergency
    contacts by their priority, then the community workers of the elder's community, then of the
    street. Two queries however many alarms."""
    alarms = list(alarms)
    contacts: dict[int, list[str]] = defaultdict(list)
    for c in Contact.objects.filter(elder_id__in={a.elder_id for a in alarms}, is_emergency=True).order_by("elder_id", "priority", "pk"):
        contacts[c.elder_id].append(f"{c.name}（{c.get_relation_display()}，{c.phone_masked}）")
    codes = {a.region_id for a in alarms} | {_street_of(a.region_id) for a in alarms}
    workers: dict[str, list[str]] = defaultdict(list)
    for w in User.objects.filter(role=Role.COMMUNITY_WORKER, is_active=True, region_id__in=codes).order_by("pk"):
        workers[cast(str, w.region_id)].append(f"{w.display_name or w.username}（社区工作者）")  # not None: region_id__in above
    return {a.pk: contacts[a.elder_id] + workers[a.region_id] + workers[_street_of(a.region_id)] for a in alarms}


def alarms_escalate(*, now: dt.datetime | None = None) -> int:
    """Call the next one on the chain for every raised alarm whose deadline passed; a system job run
    every few seconds. Claims alarms with SKIP LOCKED, so several workers share it. After the chain
    runs out it goes on calling its last link, and the alarm stays on the board. Returns the count."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic(durable=True):
            due = list(
                Alarm.objects.select_for_update(skip_locked=True)
                .filter(status=AlarmStatus.RAISED, next_escalation_at__lte=now)
                .order_by("next_escalation_at")[:ESCALATION_BATCH]
            )
            if not due:
                return done
            chains = contact_chains(due)
            events = []
            for alarm in due:
                chain = chains[alarm.pk]
                who = chain[min(alarm.escalation_level, len(chain) - 1)] if chain else NO_CONTACT
                alarm.escalation_level += 1
                alarm.next_escalation_at = _ack_deadline(now)
                events.append(
                    AlarmEvent(alarm=alarm, what=AlarmStep.ESCALATED, at=now, note=f"第{alarm.escalation_level}次升级，呼叫 {who}"[:300])
                )
            Alarm.objects.bulk_update(due, ["escalation_level", "next_escalation_at"])
            AlarmEvent.objects.bulk_create(events)
            done += len(due)


FINDINGS_MAX = 2_000


@transaction.atomic(durable=True)
def warning_close(*, actor: User, warning: EarlyWarning, note: str, seen: bool | None = None) -> EarlyWarning:
    """The visit was paid (or the warning explained): closed with what was found (`note`, kept whole
    beside the rule's own detail) and whether the elder was seen in person (None: not said)."""
    require(actor, Cap.HANDLE_ALARMS)
    require_region(actor, warning.region_id)
    findings = note.strip()
    if not findings:
        raise ValidationError({"note": ERR_FINDINGS})
    if len(findings) > FINDINGS_MAX:
        raise ValidationError({"note": ERR_FINDINGS_LONG.format(limit=FINDINGS_MAX)})
    now = timezone.now()
    updated = EarlyWarning.objects.filter(pk=warning.pk, status=WarningStatus.OPEN).update(
        status=WarningStatus.CLOSED, closed_at=now, closed_by=actor, findings=findings, seen_in_person=seen
    )
    if not updated:
        raise ValidationError({"warning": ERR_WARNING_CLOSED})
    warning.status, warning.closed_at, warning.closed_by, warning.findings, warning.seen_in_person = (
        WarningStatus.CLOSED, now, actor, findings, seen,
    )  # fmt: skip
    return warning
