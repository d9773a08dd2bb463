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
    press = msg("m1")
    first = ingest("BTN-0001", press)
    assert [(o.status, bool(o.alarm_id)) for o in first] == [("stored", True)]
    again = ingest("BTN-0001", press, press)  # a device repeats the same message: same msg_id, same time
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
        (b'{"msg_id": "x", "kind": "water", "ts": "2026-01-01T00:00:00+08:00", "value": NaN}', "JSON"),  # not a reading
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


def test_a_message_id_used_again_at_another_time_is_a_new_message(home):
    # A device whose id counter restarted after a power cut: the same msg_id, another time. It is a new
    # press, not a repeat (a repeat carries the same time), so it raises its own alarm.
    first = ingest("BTN-0001", msg("1", minutes_ago=30))
    second = ingest("BTN-0001", msg("1", minutes_ago=2))
    assert [o.status for o in first + second] == ["stored", "stored"]
    assert Alarm.objects.count() == 2 and Reading.objects.filter(message_id="1").count() == 2
    raised_by = [a.reading for a in Alarm.objects.all()]
    assert None not in raised_by and {r.at for r in raised_by if r} == set(Reading.objects.values_list("at", flat=True))


def test_a_new_battery_level_is_taken_between_last_seen_steps(home):
    _, _, water = home
    ingest("WTR-0001", msg("b1", "water", minutes_ago=3, battery=60))
    ingest("WTR-0001", msg("b3", "water", minutes_ago=1))  # within the step, no battery: no update
    water.refresh_from_db()
    assert (water.battery, water.last_seen) == (60, Reading.objects.get(message_id="b1").at)
    ingest("WTR-0001", msg("b2", "water", minutes_ago=2, battery=55))  # within the step, a new level: taken
    water.refresh_from_db()
    assert water.battery == 55
    assert water.last_seen == Reading.objects.get(message_id="b2").at


@pytest.mark.django_db(transaction=True)
def test_consumers_storing_the_same_devices_at_once_do_not_deadlock(home):
    # Two consumers of a shared subscription get consecutive batches of one gateway: the same devices,
    # in another order. Last seen skips rows the other holds, so neither waits for the other.
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    elder, _, _ = home
    Device.objects.bulk_create(Device(serial=f"WTR-{i:04d}", kind="water", elder=elder) for i in range(2, 202))
    serials = [f"WTR-{i:04d}" for i in range(1, 202)]
    errors: list[Exception] = []

    def consumer(name: str, order: list[str]) -> None:
        try:
            for round_ in range(10):
                batch = [dict(msg(f"{name}-{round_}-{s}", "water", minutes_ago=30 - round_, value=1.0), device=s) for s in order]
                assert {o.status for o in store(parse(json.dumps(batch).encode()))} == {"stored"}
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=consumer, args=("a", serials)), threading.Thread(target=consumer, args=("b", serials[::-1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Reading.objects.count() == 2 * 10 * len(serials)
    assert Device.objects.filter(kind="water", last_seen__isnull=True).count() == 0
