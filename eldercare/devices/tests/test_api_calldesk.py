"""The call desk's API (issue 14): numbers stay masked on an alarm's detail, 拨打 is its own audited
endpoint; early warnings listed open or closed, the closed ones with what the visit found."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.devices import alarms
from eldercare.devices.models import AlarmSource, EarlyWarning, WarningAction
from eldercare.elders.models import Contact, Relation
from eldercare.tests import builders as testing

JSON = "application/json"


@pytest.fixture
def home(city):
    elder = testing.elder(residence=city.community, name="王秀英", phone="13700007049", address="清波街11号")
    son = Contact.objects.create(
        elder=elder, name="王小明", relation=Relation.CHILD, phone="13800001111", phone_masked="138****1111", priority=1
    )
    return elder, son


@pytest.fixture
def alarm(home):
    elder = home[0]
    now = timezone.now()
    return alarms.alarm_raise(elder_id=elder.pk, region_code=elder.residence_id, source=AlarmSource.BUTTON, at=now, received_at=now)


def accesses():
    return [
        (e.object_id, e.additional_data, e.actor.username) for e in LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk")
    ]


def test_the_alarm_detail_stays_masked_and_the_call_reveals_audited(client, personas, home, alarm):
    elder, son = home
    client.force_login(personas[Role.CENTER_OPERATOR])
    detail = client.get(f"/api/devices/alarms/{alarm.pk}").json()
    assert [c["phone"] for c in detail["contacts"]] == ["138****1111"] and "13700007049" not in str(detail)
    assert accesses() == []
    answer = client.post(f"/api/devices/alarms/{alarm.pk}/call", {"contact": None}, content_type=JSON)
    assert (answer.status_code, answer.json()) == (200, {"phone": "13700007049", "tel": "tel:13700007049"})
    answer = client.post(f"/api/devices/alarms/{alarm.pk}/call", {"contact": son.pk}, content_type=JSON)
    assert answer.json() == {"phone": "13800001111", "tel": "tel:13800001111"}
    assert client.post(f"/api/devices/alarms/{alarm.pk}/call", {}, content_type=JSON).json()["phone"] == "13700007049"
    assert accesses() == [
        (elder.pk, {"revealed": "phone", "alarm": alarm.pk}, "centre"),
        (son.pk, {"revealed": "phone", "alarm": alarm.pk}, "centre"),
        (elder.pk, {"revealed": "phone", "alarm": alarm.pk}, "centre"),
    ]


def test_the_call_refused(client, personas, city, home, alarm):
    stranger = Contact.objects.create(
        elder=testing.elder(residence=city.community, name="李阿婆"), name="李某", relation=Relation.CHILD, phone="13900009999"
    )
    call = f"/api/devices/alarms/{alarm.pk}/call"
    client.force_login(personas[Role.CIVIL_STREET])  # sees the alarm, does not handle it
    refused = client.post(call, {"contact": None}, content_type=JSON)
    assert refused.status_code == 403 and refused.json()["code"] == "accounts.no_capability"
    client.force_login(personas[Role.CAREGIVER])  # sees no alarms
    assert client.post(call, {"contact": None}, content_type=JSON).status_code == 403
    client.force_login(testing.user("centre-far", Role.CENTER_OPERATOR, city.street_b))
    assert client.post(call, {"contact": None}, content_type=JSON).status_code == 404
    client.force_login(personas[Role.CENTER_OPERATOR])
    assert client.post(call, {"contact": stranger.pk}, content_type=JSON).status_code == 404  # not this alarm's contact
    assert client.post(f"/api/devices/alarms/{alarm.pk + 999}/call", {"contact": None}, content_type=JSON).status_code == 404
    assert client.post(call, {"contact": "everyone"}, content_type=JSON).status_code == 422
    assert accesses() == []


def test_warnings_open_and_closed_with_findings(client, personas, city, home):
    elder = home[0]
    first = EarlyWarning.objects.create(
        elder=elder, rule="water_idle", detail="8 小时无用水", action=WarningAction.VISIT, region=city.community
    )
    second = EarlyWarning.objects.create(
        elder=elder, rule="door_idle", detail="24 小时未开门", action=WarningAction.VISIT, region=city.community
    )
    client.force_login(personas[Role.COMMUNITY_WORKER])
    listed = client.get("/api/devices/warnings").json()["items"]
    assert {w["id"] for w in listed} == {first.pk, second.pk}
    assert all(w["status"] == "open" and w["findings"] == "" and w["closed_by"] is None for w in listed)
    closed = client.post(f"/api/devices/warnings/{first.pk}/close", {"note": "已上门，老人安好", "seen": True}, content_type=JSON)
    assert closed.status_code == 204
    client.post(f"/api/devices/warnings/{second.pk}/close", {"note": "电话联系，外出探亲"}, content_type=JSON)
    assert client.get("/api/devices/warnings").json()["items"] == []
    done = client.get("/api/devices/warnings", {"status": "closed"}).json()["items"]
    assert [(w["id"], w["findings"], w["seen_in_person"], w["closed_by"], w["status"]) for w in done] == [
        (second.pk, "电话联系，外出探亲", None, personas[Role.COMMUNITY_WORKER].display_name, "closed"),
        (first.pk, "已上门，老人安好", True, personas[Role.COMMUNITY_WORKER].display_name, "closed"),
    ]
    assert all(w["closed_at"] for w in done)
    assert client.get("/api/devices/warnings", {"status": "shut"}).status_code == 422
    client.force_login(testing.user("worker-far", Role.COMMUNITY_WORKER, city.community_far))
    assert client.get("/api/devices/warnings", {"status": "closed"}).json()["items"] == []
    client.force_login(personas[Role.CAREGIVER])
    assert client.get("/api/devices/warnings", {"status": "closed"}).status_code == 403
