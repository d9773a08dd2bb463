"""An alarm's life: raised (by `ingest`) → acknowledged → someone dispatched → resolved, every step
timed; and escalation along the elder's contact chain while nobody acknowledges."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap, Role
from eldercare.accounts.scoping import require, require_region
from eldercare.elders.models import Contact

from .ingest import ACK_SECONDS
from .models import Alarm, AlarmEvent, AlarmStatus, Responder

ERR_ILLEGAL = "告警当前为“{status}”，不能{action} / an alarm that is {status_en} cannot be {action_en}"
ERR_RESPONDER = "请选择处置人员类型 / choose who responds"
ERR_OUTCOME = "请填写处置结果 / describe the outcome"
ESCALATION_BATCH = 200


def _lock(alarm: Alarm, actor, allowed: tuple[str, ...], action: tuple[str, str]) -> Alarm:
    require(actor, Cap.HANDLE_ALARMS)
    require_region(actor, alarm.region_id)
    alarm = Alarm.objects.select_for_update(of=("self",)).select_related("elder").get(pk=alarm.pk)
    if alarm.status not in allowed:
        status = AlarmStatus(alarm.status)
        raise ValidationError(ERR_ILLEGAL.format(status=status.label, action=action[0], status_en=status.value, action_en=action[1]))
    return alarm


@transaction.atomic
def alarm_acknowledge(*, actor, alarm: Alarm) -> Alarm:
    """An operator has seen it: escalation stops."""
    alarm = _lock(alarm, actor, (AlarmStatus.RAISED,), ("响应", "acknowledged"))
    alarm.status, alarm.acknowledged_at, alarm.acknowledged_by, alarm.next_escalation_at = (
        AlarmStatus.ACKNOWLEDGED,
        timezone.now(),
        actor,
        None,
    )
    alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "next_escalation_at"])
    AlarmEvent.objects.create(alarm=alarm, what="acknowledged", actor=actor)
    return alarm


@transaction.atomic
def alarm_dispatch(*, actor, alarm: Alarm, responder: str, name: str = "") -> Alarm:
    alarm = _lock(alarm, actor, (AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED), ("派人", "dispatched"))
    if responder not in Responder.values:
        raise ValidationError({"responder": ERR_RESPONDER})
    alarm.status, alarm.dispatched_at, alarm.responder, alarm.responder_name = AlarmStatus.DISPATCHED, timezone.now(), responder, name[:100]
    alarm.save(update_fields=["status", "dispatched_at", "responder", "responder_name"])
    AlarmEvent.objects.create(alarm=alarm, what="dispatched", actor=actor, note=f"{Responder(responder).label} {name}"[:300])
    return alarm


@transaction.atomic
def alarm_resolve(*, actor, alarm: Alarm, outcome: str) -> Alarm:
    alarm = _lock(alarm, actor, (AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED), ("处置完成", "resolved"))
    if not outcome.strip():
        raise ValidationError({"outcome": ERR_OUTCOME})
    alarm.status, alarm.resolved_at, alarm.outcome = AlarmStatus.RESOLVED, timezone.now(), outcome.strip()[:300]
    alarm.save(update_fields=["status", "resolved_at", "outcome"])
    AlarmEvent.objects.create(alarm=alarm, what="resolved", actor=actor, note=alarm.outcome)
    return alarm


def contact_chain(alarm: Alarm) -> list[str]:
    """Who is called, in order, while nobody acknowledges: the elder's emergency contacts by their
    priority, then the community workers of the elder's community or street."""
    chain = [
        f"{c.name}（{c.get_relation_display()}，{c.phone_masked}）"
        for c in Contact.objects.filter(elder_id=alarm.elder_id, is_emergency=True).order_by("priority", "pk")
    ]
    region = alarm.region_id
    workers = User.objects.filter(role=Role.COMMUNITY_WORKER, is_active=True, region_id__in=[region, region[:9].ljust(12, "0")]).order_by(
        "region_id", "pk"
    )
    chain += [f"{w.display_name or w.username}（社区工作者）" for w in workers]
    return chain


def alarms_escalate(*, now: dt.datetime | None = None) -> int:
    """Call the next one on the chain for every raised alarm whose deadline passed; a system job run
    every few seconds. Claims alarms with SKIP LOCKED, so several workers share it. After the chain
    runs out it goes on calling its last link, and the alarm stays on the board. Returns the count."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            due = list(
                Alarm.objects.select_for_update(skip_locked=True)
                .filter(status=AlarmStatus.RAISED, next_escalation_at__lte=now)
                .order_by("next_escalation_at")[:ESCALATION_BATCH]
            )
            if not due:
                return done
            for alarm in due:
                chain = contact_chain(alarm)
                who = (
                    chain[min(alarm.escalation_level, len(chain) - 1)] if chain else "（无联系人，请调度员立即处置）/ no contact on record"
                )
                alarm.escalation_level += 1
                alarm.next_escalation_at = now + dt.timedelta(seconds=ACK_SECONDS)
                alarm.save(update_fields=["escalation_level", "next_escalation_at"])
                AlarmEvent.objects.create(alarm=alarm, what="escalated", at=now, note=f"第{alarm.escalation_level}次升级，呼叫 {who}"[:300])
                done += 1


ERR_WARNING_CLOSED = "该预警已处理 / this warning is already closed"


@transaction.atomic
def warning_close(*, actor, warning, note: str) -> None:
    """The visit was paid (or the warning explained): closed with what was found."""
    from .models import EarlyWarning, WarningStatus

    require(actor, Cap.HANDLE_ALARMS)
    require_region(actor, warning.region_id)
    if not note.strip():
        raise ValidationError({"note": ERR_OUTCOME})
    updated = EarlyWarning.objects.filter(pk=warning.pk, status=WarningStatus.OPEN).update(
        status=WarningStatus.CLOSED, closed_at=timezone.now(), detail=f"{warning.detail}｜处理：{note.strip()}"[:300]
    )
    if not updated:
        raise ValidationError({"warning": ERR_WARNING_CLOSED})
