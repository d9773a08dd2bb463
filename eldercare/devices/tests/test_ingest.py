"""Ingestion without a broker: duplicates, late and out-of-order messages, bad payloads, alarms."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from eldercare.devices.ingest import KINDS, Rejected, parse, store
from eldercare.devices.models import Alarm, Device, Reading

from .conftest import msg

RECENT_MS = int(timezone.now().timestamp() * 1000) - 60_000


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
        (json.dumps({"msg_id": "x", "kind": "water", "ts": RECENT_MS, "value": "lots"}).encode(), "value"),
        (json.dumps({"msg_id": "x", "kind": "water", "ts": RECENT_MS, "battery": 140}).encode(), "battery"),
        (json.dumps({"msg_id": "x", "kind": "water", "ts": RECENT_MS, "device": "OTHER"}).encode(), "不符"),
    ],
)
def test_bad_payloads_say_why(payload, reason):
    with pytest.raises(Rejected) as refused:
        parse(payload, serial="WTR-0001")
    assert reason in str(refused.value)


def test_epoch_milliseconds_are_accepted(home):
    yesterday = timezone.now() - dt.timedelta(days=1)
    outcome = ingest("WTR-0001", {"msg_id": "e1", "kind": "water", "ts": int(yesterday.timestamp() * 1000), "value": 2})
    assert outcome[0].status == "stored"
    assert abs(Reading.objects.get().at - yesterday) < dt.timedelta(milliseconds=1)


def test_a_removed_device_is_refused(home):
    Device.objects.filter(serial="BTN-0001").update(status="removed")
    assert ingest("BTN-0001", msg("r1"))[0].status == "rejected"
    assert not Alarm.objects.exists()


def test_any_bytes_can_be_kept_as_a_dead_letter(db):
    from eldercare.devices.ingest import dead_letter
    from eldercare.devices.models import DeadLetter

    dead_letter("eldercare/devices/X/up", b"\x00\xff{ok", "unreadable")
    assert DeadLetter.objects.get().payload == "\\x00\\xff{ok"


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


# ---------------------------------------------------------------- issue 13: what devices may send


def _raw(ts: object, **extra: object) -> bytes:
    return json.dumps({"msg_id": "t1", "kind": "button", "ts": ts, **extra}).encode()


@pytest.mark.parametrize(
    "ts",
    [
        "0000-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+08:00",  # year 0 in UTC
        "9999-12-31T23:00:00-08:00",  # year 10000 in UTC
        "1970-01-01T00:00:00+00:00",  # a clock never set
        10**20,
        1e300,
        -1,
        -(10**15),
        18446744073709551616,  # past 64 bits: a float to orjson
        "NaN",
        "inf",
        "-Infinity",
        "1e300",
    ],
)
def test_a_time_far_from_now_is_refused_as_a_time(home, ts):
    with pytest.raises(Rejected) as refused:
        parse(_raw(ts), serial="BTN-0001")
    assert str(refused.value).startswith("ts:")


def test_the_window_of_times_is_a_setting(home, settings):
    assert settings.ELDERCARE_DEVICE_MAX_AGE_DAYS == 90  # as long as raw readings are kept
    assert ingest("WTR-0001", msg("old", "water", minutes_ago=60 * 24 * 89))[0].status == "stored"
    settings.ELDERCARE_DEVICE_MAX_AGE_DAYS = 10
    with pytest.raises(Rejected, match="ts: .*10"):
        parse(json.dumps(msg("older", "water", minutes_ago=60 * 24 * 11)).encode(), serial="WTR-0001")
    assert ingest("WTR-0001", msg("recent", "water", minutes_ago=60 * 24 * 9))[0].status == "stored"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"msg_id": "x", "kind": ["button"]}, "kind"),  # unhashable: not a kind
        ({"msg_id": "x", "kind": {"a": 1}}, "kind"),
        ({"msg_id": "a\u0000b", "kind": "water"}, "msg_id"),  # PostgreSQL text cannot hold NUL
        ({"msg_id": "x", "kind": "water", "device": "WTR\u00000001"}, "device"),
        ({"msg_id": "x", "kind": "water", "device": 17}, "device"),
    ],
)
def test_fields_that_cannot_be_stored_are_refused_by_name(home, message, field):
    with pytest.raises(Rejected) as refused:
        parse(json.dumps({"device": "WTR-0001", **message, "ts": timezone.now().isoformat()}).encode())
    assert str(refused.value).startswith(f"{field}:")


def test_a_batch_is_read_message_by_message(home):
    from eldercare.devices.ingest import Message, Refused, derived_id, read

    bad_ts = {"device": "WTR-0001", "msg_id": "b2", "kind": "water", "ts": 10**20}
    no_id = {"device": "WTR-0001", "kind": "water", "ts": timezone.now().isoformat()}
    batch = [dict(msg("b1", "water", value=1), device="WTR-0001"), bad_ts, no_id, "junk", dict(msg("b3"), device="BTN-0001")]
    read_back = read(json.dumps(batch).encode())
    assert [type(m) for m in read_back] == [Message, Refused, Refused, Refused, Message]
    refused = [m for m in read_back if isinstance(m, Refused)]
    assert [(r.serial, r.message_id) for r in refused[:1]] == [("WTR-0001", "b2")]
    assert refused[1].message_id == derived_id(refused[1].payload) and refused[1].reason.startswith("msg_id:")
    assert refused[2].serial == "" and refused[2].message_id.startswith("sha256:")


def test_a_payload_without_a_msg_id_gets_an_id_from_its_bytes(home):
    from eldercare.devices.ingest import Refused, derived_id, read

    payload = b'{"kind": "button", "ts": "2026-01-01T00:00:00+08:00"}'
    (refused,) = read(payload, serial="BTN-0001")
    assert isinstance(refused, Refused)
    assert refused.message_id == derived_id(payload) == "sha256:" + __import__("hashlib").sha256(payload).hexdigest()
    assert refused.serial == "BTN-0001"


def test_a_payload_over_the_limit_is_refused_unread(home, settings):
    from eldercare.devices.ingest import read

    settings.ELDERCARE_DEVICE_MAX_PAYLOAD_BYTES = 100
    with pytest.raises(Rejected, match="100"):
        read(json.dumps(dict(msg("big"), note="x" * 200)).encode(), serial="BTN-0001")
    assert read(json.dumps(msg("small")).encode(), serial="BTN-0001")


def test_the_same_bytes_are_kept_as_a_dead_letter_once(db):
    from eldercare.devices.ingest import KEEP_BYTES, dead_letter
    from eldercare.devices.models import DeadLetter

    for source in ("eldercare/devices/X/up", "eldercare/devices/X/up", "eldercare/devices/Y/up"):  # a repeat; another sender
        dead_letter(source, b"\x00garbage", "unreadable")
    assert sorted(DeadLetter.objects.values_list("source", flat=True)) == ["eldercare/devices/X/up", "eldercare/devices/Y/up"]
    huge = b"[" + b"1," * 10_000_000 + b"1]"  # 20 MB
    dead_letter("eldercare/gateways/g/up", huge, "too large")
    kept = DeadLetter.objects.get(source="eldercare/gateways/g/up")
    assert len(kept.payload) <= KEEP_BYTES and kept.payload.startswith("[1,1,")
    assert DeadLetter.objects.count() == 3


def _payloads() -> st.SearchStrategy:
    """Payloads shaped like device messages: each field mostly one that can be stored, now and then one that
    cannot (a time far from now, NUL, a list…), so most examples get as far as the database."""
    now = timezone.now().replace(tzinfo=None)
    zones = st.sampled_from([dt.UTC] + [dt.timezone(dt.timedelta(hours=h)) for h in (14, 8, -12)])
    anything = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=80)
        | st.lists(st.integers(), max_size=2)
        | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
    )
    recent = st.datetimes(min_value=now - dt.timedelta(days=100), max_value=now + dt.timedelta(minutes=10), timezones=zones)
    epoch_ms = st.integers(min_value=-(2**66), max_value=2**66) | st.floats(allow_nan=False, allow_infinity=False)
    fields = {  # (what can be stored, what may not)
        "msg_id": (st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=70) | anything),
        "ts": (
            recent.map(dt.datetime.isoformat) | recent.map(lambda t: int(t.timestamp() * 1000)),
            st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=zones).map(dt.datetime.isoformat)
            | epoch_ms
            | st.sampled_from(["NaN", "inf", "-Infinity", "0000-01-01T00:00:00+00:00", "1e300", ""])
            | anything,
        ),
        "kind": (st.sampled_from(sorted(KINDS)), st.just("teleport") | anything),
        "device": (st.sampled_from(["WTR-0001", "BTN-0001", "NOPE"]), st.sampled_from(["WTR\x000001", "x" * 65]) | anything),
        "value": (st.floats(allow_nan=False, allow_infinity=False), anything),
        "battery": (st.integers(min_value=0, max_value=100), st.integers(min_value=-5, max_value=105) | anything),
    }

    def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
        return st.integers(0, 4).flatmap(lambda n: bad if n == 0 else good)  # one_of would flatten `bad`'s branches

    required = ("msg_id", "ts", "kind", "device")
    message = st.fixed_dictionaries(
        {name: mostly(*fields[name]) for name in required},
        optional={name: mostly(*pair) for name, pair in fields.items() if name not in required},
    )
    batch = st.lists(mostly(message, anything), max_size=6)
    return st.integers(0, 9).flatmap(lambda n: anything if n == 0 else batch if n < 5 else message)


@hypothesis_settings(max_examples=300, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=_payloads(), on_device_topic=st.booleans())
def test_no_payload_makes_ingestion_fail(home, data, on_device_topic):
    # Item 6 of issue 13: whatever arrives is stored, refused with a reason, or refused whole (Rejected),
    # on SQLite and on PostgreSQL (which holds no NUL, nor a year outside 4713 BC to 294276 AD).
    from eldercare.devices.ingest import deliver, read

    payload = json.dumps(data).encode()
    try:
        items = read(payload, serial="WTR-0001" if on_device_topic else None)
    except Rejected:
        return
    outcomes = deliver("fuzz", items)
    assert len(outcomes) == len(items) and {o.status for o in outcomes} <= {"stored", "duplicate", "rejected"}


def test_presses_are_stored_together_and_one_raced_by_another_consumer_is_a_duplicate(home):
    # `store` looks up what is stored first; a repeat stored by another consumer after that look-up makes
    # the batch's bulk insert fail, and each press is then stored on its own.
    from eldercare.devices import ingest

    _, button, _ = home
    raced = parse(json.dumps(msg("raced", minutes_ago=3)).encode(), serial="BTN-0001")
    ingest.store(raced)
    batch = raced + parse(json.dumps(msg("new", minutes_ago=2, battery=70)).encode(), serial="BTN-0001")
    outcomes = ingest._store(batch, timezone.now())
    assert [o.status for o in outcomes] == ["duplicate", "stored"] and outcomes[1].alarm_id
    assert Alarm.objects.count() == 2 and Reading.objects.filter(device=button).count() == 2
    button.refresh_from_db()
    assert (button.last_seen, button.battery) == (Reading.objects.get(message_id="new").at, 70)
