"""`selectors.alarm_actions` offers exactly the steps the alarm services let each user take: for
every status, every persona and every step, checked against the service itself on a fresh alarm."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.devices import alarms, selectors
from eldercare.devices.models import Alarm, AlarmSource, AlarmStatus, Responder
from eldercare.tests import builders as testing

R = Role
STEPS = {  # each with input the service accepts, so that only who and when decide
    "acknowledge": {},
    "dispatch": {"responder": Responder.values[0], "name": "李社工"},
    "resolve": {"outcome": "已上门，老人无恙"},
}
PATHS = {
    AlarmStatus.RAISED: [],
    AlarmStatus.ACKNOWLEDGED: ["acknowledge"],
    AlarmStatus.DISPATCHED: ["acknowledge", "dispatch"],
    AlarmStatus.RESOLVED: ["acknowledge", "resolve"],
}


def alarm_in(status, elder, operator) -> Alarm:
    now = timezone.now()
    alarm = alarms.alarm_raise(elder_id=elder.pk, region_code=elder.residence_id, source=AlarmSource.BUTTON, at=now, received_at=now)
    for step in PATHS[status]:
        alarm = getattr(alarms, f"alarm_{step}")(actor=operator, alarm=alarm, **STEPS[step])
    assert alarm.status == status
    return alarm


def service_lets(actor, step, status, elder, operator) -> bool:
    alarm = alarm_in(status, elder, operator)  # a fresh one: the services' transactions are durable
    try:
        getattr(alarms, f"alarm_{step}")(actor=actor, alarm=alarm, **STEPS[step])
    except (PermissionDenied, ValidationError):  # the input is valid: refused for who or when
        return False
    return True


@pytest.fixture
def elder(city):
    return testing.elder(residence=city.community, name="王秀英")


@pytest.mark.parametrize("status", list(PATHS))
def test_the_selector_offers_what_the_services_allow(status, elder, personas):
    operator = personas[R.CENTER_OPERATOR]
    alarm = alarm_in(status, elder, operator)
    for role, actor in personas.items():
        offered = selectors.alarm_actions(actor, alarm)
        allowed = {step for step in STEPS if service_lets(actor, step, status, elder, operator)}
        assert offered == allowed, (status, role)


def test_who_handles_alarms(elder, personas, city):
    alarm = alarm_in(AlarmStatus.RAISED, elder, personas[R.CENTER_OPERATOR])
    handlers = {role for role, actor in personas.items() if selectors.alarm_actions(actor, alarm)}
    assert handlers == {R.SYSTEM_ADMIN, R.CENTER_OPERATOR, R.COMMUNITY_WORKER}
    elsewhere = testing.user("far-centre", R.CENTER_OPERATOR, city.street2)
    assert selectors.alarm_actions(elsewhere, alarm) == frozenset()
