"""Ingestion without a broker: duplicates, late and out-of-order messages, bad payloads, alarms."""

from __future__ import annotations

import json

import pytest

from eldercare.devices.ingest import Rejected, parse, store
from eldercare.devices.models import Alarm, Device, Reading

from .conftest import msg


def ingest(serial: str, *messages: dict):
    return store([m for raw in messages for m in parse(json.dumps(raw).encode(), serial=serial)])


def test_a_button_press_raises_one_alarm_however_often_it_arrives(home):
    elder, button, _ = home
    first = ingest("BTN-0001", msg("m1"))
    assert [(o.status, bool(o.alarm_id)) for o in first] == [("stored", True)]
    again = ingest("BTN-0001", msg("m1"), msg("m1"))
    assert [o.status for o in again] == ["duplicate", "duplicate"]
    alarm = Alarm.objects.get()
    assert (alarm.elder, alarm.source, alarm.status, alarm.region_id) == (elder, "button", "raised", elder.residence_id)
    assert alarm.events.get().what == "raised"


def test_event_time_is_kept_apart_and_last_seen_only_moves_forward(home):
    _, _, water = home
    ingest("WTR-0001", msg("w2", "water", minutes_ago=5, value=12.5, battery=80))
    ingest("WTR-0001", msg("w1", "water", minutes_ago=60, value=3.0, battery=90))  # arrives late
    water.refresh_from_db()
    newest = Reading.objects.get(message_id="w2")
    assert water.last_seen == newest.at
    assert water.battery == 80
    late = Reading.objects.get(message_id="w1")
    assert late.at < late.received_at
    assert Reading.objects.count() == 2


def test_a_gateway_batch(home):
    batch = [dict(msg("g1", "water", value=1.0), device="WTR-0001"), dict(msg("g2"), device="BTN-0001"), dict(msg("g3"), device="NOPE")]
    outcomes = {o.message_id: o.status for o in store(parse(json.dumps(batch).encode()))}
    assert outcomes == {"g1": "stored", "g2": "stored", "g3": "rejected"}
    assert Alarm.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b"{not json", "JSON"),
        (b"[1, 2]", "JSON"),
        (json.dumps({"msg_id": "x", "kind": "teleport", "ts": "2026-01-01T00:00:00+08:00"}).encode(), "kind"),
        (json.dumps({"msg_id": "x", "kind": "button", "ts": "2026-01-01T00:00:00"}).encode(), "时区"),
        (json.dumps({"msg_id": "x", "kind": "button", "ts": "yesterday"}).encode(), "ts"),
        (json.dumps({"msg_id": "x", "kind": "button", "ts": "2099-01-01T00:00:00+08:00"}).encode(), "未来"),
        (json.dumps({"kind": "button", "ts": "2026-01-01T00:00:00+08:00"}).encode(), "msg_id"),
        (json.dumps({"msg_id": "x", "kind": "water", "ts": 1764000000000, "value": "lots"}).encode(), "value"),
        (json.dumps({"msg_id": "x", "kind": "water", "ts": 1764000000000, "battery": 140}).encode(), "battery"),
        (json.dumps({"msg_id": "x", "kind": "water", "ts": 1764000000000, "device": "OTHER"}).encode(), "不符"),
    ],
)
def test_bad_payloads_say_why(payload, reason):
    with pytest.raises(Rejected) as refused:
        parse(payload, serial="WTR-0001")
    assert reason in str(refused.value)


def test_epoch_milliseconds_are_accepted(home):
    outcome = ingest("WTR-0001", {"msg_id": "e1", "kind": "water", "ts": 1764000000000, "value": 2})
    assert outcome[0].status == "stored"
    assert Reading.objects.get().at.year == 2025


def test_a_removed_device_is_refused(home):
    Device.objects.filter(serial="BTN-0001").update(status="removed")
    assert ingest("BTN-0001", msg("r1"))[0].status == "rejected"
    assert not Alarm.objects.exists()


def test_any_bytes_can_be_kept_as_a_dead_letter(db):
    from eldercare.devices.ingest import dead_letter
    from eldercare.devices.models import DeadLetter

    kept = dead_letter("eldercare/devices/X/up", b"\x00\xff{ok", "unreadable")
    assert DeadLetter.objects.get(pk=kept.pk).payload == "\\x00\\xff{ok"
