"""An alarm's life and its escalation along the contact chain."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.devices.alarms import alarm_acknowledge, alarm_dispatch, alarm_resolve, alarms_escalate
from eldercare.devices.ingest import ACK_SECONDS, parse, store
from eldercare.devices.models import Alarm

from .conftest import msg

R = Role


@pytest.fixture
def alarm(home):
    store(parse(json.dumps(msg("b1")).encode(), serial="BTN-0001"))
    return Alarm.objects.get()


def test_raised_acknowledged_dispatched_resolved(alarm, personas):
    operator = personas[R.CENTER_OPERATOR]
    alarm_acknowledge(actor=operator, alarm=alarm)
    alarm_dispatch(actor=operator, alarm=alarm, responder="family", name="王小明")
    done = alarm_resolve(actor=operator, alarm=alarm, outcome="家属已到，老人无碍")
    assert done.status == "resolved"
    assert done.received_at <= done.acknowledged_at <= done.dispatched_at <= done.resolved_at
    assert [e.what for e in done.events.order_by("pk")] == ["raised", "acknowledged", "dispatched", "resolved"]
    with pytest.raises(ValidationError):
        alarm_acknowledge(actor=operator, alarm=done)


def test_who_may_handle(alarm, personas, city):
    from eldercare.core import testing

    with pytest.raises(PermissionDenied):
        alarm_acknowledge(actor=personas[R.CAREGIVER], alarm=alarm)
    with pytest.raises(PermissionDenied):
        alarm_acknowledge(actor=testing.user("centre-far", R.CENTER_OPERATOR, city.street_b), alarm=alarm)
    with pytest.raises(ValidationError):
        alarm_dispatch(actor=personas[R.CENTER_OPERATOR], alarm=alarm, responder="family")  # not acknowledged yet


def test_escalation_follows_the_chain_until_someone_acknowledges(alarm, personas):
    start = alarm.received_at
    assert alarms_escalate(now=start + dt.timedelta(seconds=ACK_SECONDS - 1)) == 0  # not yet due
    assert alarms_escalate(now=start + dt.timedelta(seconds=ACK_SECONDS)) == 1
    assert alarms_escalate(now=start + dt.timedelta(seconds=ACK_SECONDS + 1)) == 0  # next call not due yet
    assert alarms_escalate(now=start + dt.timedelta(seconds=2 * ACK_SECONDS)) == 1
    assert alarms_escalate(now=start + dt.timedelta(seconds=3 * ACK_SECONDS)) == 1
    calls = [e.note for e in alarm.events.filter(what="escalated").order_by("pk")]
    assert "王小明" in calls[0] and "李阿姨" in calls[1]
    assert "社区工作者" in calls[2]  # then the community's worker
    alarm_acknowledge(actor=personas[R.CENTER_OPERATOR], alarm=alarm)
    assert alarms_escalate(now=start + dt.timedelta(hours=1)) == 0  # acknowledged: it stops
    alarm.refresh_from_db()
    assert alarm.escalation_level == 3


def test_an_unacknowledged_alarm_keeps_escalating(alarm):
    later = timezone.now() + dt.timedelta(hours=2)
    for step in range(1, 6):
        assert alarms_escalate(now=later + dt.timedelta(seconds=step * ACK_SECONDS)) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == 5 and alarm.status == "raised"
