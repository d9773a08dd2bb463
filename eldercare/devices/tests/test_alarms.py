"""An alarm's life and its escalation along the contact chain."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.devices.alarms import alarm_acknowledge, alarm_dispatch, alarm_raise, alarm_resolve, alarms_escalate
from eldercare.devices.ingest import parse, store
from eldercare.devices.models import Alarm, AlarmEvent, AlarmSource, AlarmStatus, AlarmStep, Device
from eldercare.elders.models import Contact, Relation
from eldercare.tests import builders as testing

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
    assert done.acknowledged_at and done.dispatched_at and done.resolved_at
    assert done.received_at <= done.acknowledged_at <= done.dispatched_at <= done.resolved_at
    assert [e.what for e in done.events.order_by("pk")] == ["raised", "acknowledged", "dispatched", "resolved"]
    with pytest.raises(ValidationError):
        alarm_acknowledge(actor=operator, alarm=done)


def test_who_may_handle(alarm, personas, city):
    with pytest.raises(PermissionDenied):
        alarm_acknowledge(actor=personas[R.CAREGIVER], alarm=alarm)
    with pytest.raises(PermissionDenied):
        alarm_acknowledge(actor=testing.user("centre-far", R.CENTER_OPERATOR, city.street_b), alarm=alarm)
    with pytest.raises(ValidationError):
        alarm_dispatch(actor=personas[R.CENTER_OPERATOR], alarm=alarm, responder="family")  # not acknowledged yet


def test_escalation_follows_the_chain_until_someone_acknowledges(alarm, personas, settings):
    ACK_SECONDS = settings.ELDERCARE_ALARM_ACK_SECONDS
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


def test_an_unacknowledged_alarm_keeps_escalating(alarm, settings):
    ACK_SECONDS = settings.ELDERCARE_ALARM_ACK_SECONDS
    later = timezone.now() + dt.timedelta(hours=2)
    for step in range(1, 6):
        assert alarms_escalate(now=later + dt.timedelta(seconds=step * ACK_SECONDS)) == 1
    alarm.refresh_from_db()
    assert alarm.escalation_level == 5 and alarm.status == "raised"


def test_the_escalation_sweep_reads_contact_chains_in_a_fixed_number_of_queries(home, city):
    """However many alarms are due: one claim, one read of contacts, one of workers, one update, one insert."""
    testing.user("worker-qb", R.COMMUNITY_WORKER, city.community)
    store(parse(json.dumps(msg("b1")).encode(), serial="BTN-0001"))
    due = timezone.now() + dt.timedelta(hours=1)
    with CaptureQueriesContext(connection) as one:
        assert alarms_escalate(now=due) == 1
    for n in range(3):
        elder = testing.elder(residence=city.community_b if n % 2 else city.community, name=f"张{n}")
        Contact.objects.create(elder=elder, name=f"张家{n}", relation=Relation.CHILD, phone="13800003333", phone_masked="138****3333")
        Device.objects.create(serial=f"BTN-9{n}", kind="button", elder=elder)
        store(parse(json.dumps(msg(f"x{n}")).encode(), serial=f"BTN-9{n}"))
    with CaptureQueriesContext(connection) as four:
        assert alarms_escalate(now=due + dt.timedelta(hours=1)) == 4
    assert len(four.captured_queries) == len(one.captured_queries)
    notes = {e.alarm.elder.name: e.note for e in AlarmEvent.objects.filter(what=AlarmStep.ESCALATED).select_related("alarm__elder")}
    assert "李阿姨" in notes["王秀英"] and "张家1" in notes["张1"]  # 王秀英's second call: her second contact


def test_a_button_press_and_an_alarm_rule_raise_alarms_the_same_way(home, settings):
    """Both go through alarm_raise: the first event, the escalation deadline from arrival."""
    settings.ELDERCARE_ALARM_ACK_SECONDS = 45  # read when an alarm is raised, not at import
    elder, _, _ = home
    store(parse(json.dumps(msg("b1")).encode(), serial="BTN-0001"))
    now = timezone.now()
    ruled = alarm_raise(elder_id=elder.pk, region_code=elder.residence_id, source=AlarmSource.WARNING, at=now, received_at=now, detail="燃气未关")
    pressed = Alarm.objects.get(source=AlarmSource.BUTTON)
    for alarm in (pressed, ruled):
        first = alarm.events.get()
        assert (first.what, first.at) == (AlarmStep.RAISED, alarm.received_at)
        assert alarm.next_escalation_at == alarm.received_at + dt.timedelta(seconds=45)
        assert (alarm.status, alarm.region_id) == (AlarmStatus.RAISED, elder.residence_id)
