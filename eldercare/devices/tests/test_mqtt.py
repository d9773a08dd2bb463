"""Ingestion through a real Mosquitto broker (a private one per test, so it can be restarted):
duplicates, out-of-order messages, bad payloads, a broker restart and a consumer restart in the
middle of an alarm. The device repeats until the platform acknowledges; nothing is lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from eldercare.devices.models import Alarm, DeadLetter, Device, Reading
from eldercare.devices.mqtt import Consumer, DeviceClient

from .conftest import msg

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
pytestmark = [
    pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed"),
    # The consumer writes from its own thread while the test reads: SQLite's shared in-memory test
    # database locks whole tables for that (no busy wait), so these run where production runs.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


class Broker:
    """A Mosquitto of our own on a free port, persisting to a temporary directory (saved every second)."""

    def __init__(self, directory: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.conf = directory / "mosquitto.conf"
        # Started as root, Mosquitto runs as its own user, which cannot reach pytest's private directories: its
        # store is a directory of its own under the system's temporary directory (else it saves nothing, and
        # says so only in its log).
        self.store = store = Path(tempfile.mkdtemp(prefix="eldercare-mqtt-"))
        if os.geteuid() == 0:
            shutil.chown(store, "mosquitto")
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {store}/\n"
            "autosave_interval 1\nmax_queued_messages 10000\n"
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()  # SIGTERM: mosquitto writes its persistence file on the way out
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()
    shutil.rmtree(b.store, ignore_errors=True)


@pytest.fixture
def consumer(broker):
    c = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()
    _wait(lambda: c.client.is_connected())
    time.sleep(0.2)  # subscribed
    yield c
    c.stop()


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _store_fails_on(message_id: str, error: Exception, monkeypatch) -> list[str]:
    """Make the consumer's store raise `error` for one message (every time); the tries, counted."""
    from eldercare.devices import mqtt as consumer_module

    real_store, tries = consumer_module.store, []

    def store(messages, **kwargs):
        if any(m.message_id == message_id for m in messages):
            tries.append(message_id)
            raise error
        return real_store(messages, **kwargs)

    monkeypatch.setattr(consumer_module, "store", store)
    return tries


def _ack(device: DeviceClient, message: dict[str, Any] | bytes, **kwargs: Any) -> dict[str, Any]:
    """The platform's acknowledgement of a message the device sends; none in time fails the test."""
    ack = device.send(message, **kwargs)
    assert ack is not None, "no acknowledgement in time"
    return ack


def _device(broker, serial: str) -> DeviceClient:
    device = DeviceClient(serial, "127.0.0.1", broker.port, retry_seconds=0.5).start()
    _wait(lambda: device.client.is_connected())
    time.sleep(0.2)
    return device


def test_duplicates_late_messages_and_bad_payloads(home, broker, consumer):
    button, water = _device(broker, "BTN-0001"), _device(broker, "WTR-0001")
    try:
        press = msg("m1")
        assert _ack(button, press)["status"] == "stored"
        button.acks.clear()
        assert _ack(button, press)["status"] == "duplicate"  # a retry the device made after a lost ack
        assert _ack(water, msg("w2", "water", minutes_ago=1, value=5.0))["status"] == "stored"
        assert _ack(water, msg("w1", "water", minutes_ago=90, value=1.0))["status"] == "stored"  # late
        bad = _ack(water, b'{"msg_id": "w3", "kind": "teleport", "ts": 0}', msg_id="w3")
        assert bad["status"] == "rejected" and "kind" in bad["reason"]
        water.client.publish("eldercare/devices/WTR-0001/up", b"\x00garbage", qos=1)  # no msg_id: acknowledged under its bytes' id
        _wait(lambda: DeadLetter.objects.count() == 2)
    finally:
        button.stop()
        water.stop()
    assert Alarm.objects.count() == 1
    assert Reading.objects.count() == 3
    device = Device.objects.get(serial="WTR-0001")
    assert device.last_seen == Reading.objects.get(message_id="w2").at  # not moved back by the late one
    connections.close_all()


def test_broker_restart_mid_alarm(home, broker):
    # The consumer has a persistent session, then goes away; the device presses the button; the broker
    # restarts; the consumer comes back. The alarm is stored once and the device gets its ack.
    consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()
    _wait(lambda: consumer.client.is_connected())
    time.sleep(0.3)
    consumer.stop()
    button = _device(broker, "BTN-0001")
    press = msg("alarm-1")  # one press: its repeats carry the same time (another time would be another press)
    button.client.publish("eldercare/devices/BTN-0001/up", json.dumps(press), qos=1).wait_for_publish(5)
    time.sleep(1.5)  # past the broker's autosave
    broker.stop()
    broker.start()
    consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()
    try:
        ack = button.send(press, timeout=20)  # the device keeps repeating until acknowledged
        assert ack is not None and ack["status"] in ("stored", "duplicate")
        _wait(lambda: Alarm.objects.count() == 1)
        time.sleep(1.0)  # let any queued repeat arrive: still one alarm
    finally:
        button.stop()
        consumer.stop()
    assert Alarm.objects.count() == 1
    assert Reading.objects.filter(message_id="alarm-1").count() == 1
    connections.close_all()


def test_consumer_restart_loses_nothing(home, broker):
    consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()
    _wait(lambda: consumer.client.is_connected())
    time.sleep(0.3)
    consumer.stop()  # the application restarts…
    water = _device(broker, "WTR-0001")
    for i in range(20):
        water.client.publish("eldercare/devices/WTR-0001/up", json.dumps(msg(f"q{i}", "water", value=i)), qos=1)
    consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()  # …and comes back to its queue
    try:
        _wait(lambda: Reading.objects.count() == 20, timeout=15)
    finally:
        water.stop()
        consumer.stop()
    assert list(Reading.objects.order_by("value").values_list("value", flat=True)) == [float(i) for i in range(20)]
    last_seen = Device.objects.get(serial="WTR-0001").last_seen
    assert last_seen is not None and timezone.now() - last_seen < dt.timedelta(minutes=5)
    connections.close_all()


def test_a_gateway_batch_over_mqtt(home, broker, consumer):
    import paho.mqtt.client as mqtt

    acks = []
    gateway = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="gw-test")
    gateway.on_connect = lambda c, u, f, rc, p: c.subscribe("eldercare/gateways/gw1/ack", qos=1)
    gateway.on_message = lambda c, u, m: acks.append(json.loads(m.payload))
    gateway.connect("127.0.0.1", broker.port)
    gateway.loop_start()
    try:
        _wait(lambda: gateway.is_connected())
        time.sleep(0.2)
        batch = [dict(msg(f"b{i}", "water", value=i), device="WTR-0001") for i in range(200)] + [dict(msg("alarm"), device="BTN-0001")]
        gateway.publish("eldercare/gateways/gw1/up", json.dumps(batch), qos=1)
        _wait(lambda: acks)
    finally:
        gateway.disconnect()
        gateway.loop_stop()
    assert len(acks[0]) == 201 and {a["status"] for a in acks[0]} == {"stored"}
    assert Reading.objects.count() == 201 and Alarm.objects.count() == 1
    connections.close_all()


def test_a_lost_database_connection_is_retried_not_dropped(home, broker, consumer):
    # The consumer keeps one database connection. PostgreSQL ends it (a restart, a failover): the next
    # alarm fails on the dead connection, is tried again on a new one, and is stored and acknowledged.
    button = _device(broker, "BTN-0001")
    try:
        assert _ack(button, msg("before"))["status"] == "stored"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchall(), "the consumer's connection was open"
        ack = button.send(msg("after"), timeout=20)
    finally:
        button.stop()
    assert ack is not None and ack["status"] == "stored"
    assert Alarm.objects.count() == 2
    connections.close_all()


def test_a_message_that_makes_the_platform_fail_is_kept(home, broker, consumer, monkeypatch):
    # Not the database being away but a fault of ours with this message: it is kept as a dead letter
    # with the error, the device is told so (and stops repeating), and the consumer goes on.
    _store_fails_on("poison", ValueError("a bug"), monkeypatch)
    button = _device(broker, "BTN-0001")
    try:
        reply = _ack(button, msg("poison"), timeout=10)
        assert _ack(button, msg("next"), timeout=10)["status"] == "stored"
    finally:
        button.stop()
    assert reply["status"] == "rejected" and "internal error" in reply["reason"]
    letter = DeadLetter.objects.get()
    assert "a bug" in letter.reason and '"poison"' in letter.payload
    assert Alarm.objects.count() == 1
    connections.close_all()


def test_lanes_keep_device_uplinks_apart_from_gateway_batches(home, broker):
    # The command's two lanes: each subscribes to its own uplinks with its own session, so a button
    # press never waits in the queue of a session busy with gateways' telemetry batches.
    from eldercare.devices.mqtt import GATEWAY_UP, UP, lanes

    devices_lane, gateways_lane = consumers = [c.start() for c in lanes("127.0.0.1", broker.port, "lane-test")]
    assert (devices_lane.topics, gateways_lane.topics) == ((UP,), (GATEWAY_UP,))
    assert devices_lane.client._client_id != gateways_lane.client._client_id
    _wait(lambda: all(c.client.is_connected() for c in consumers))
    time.sleep(0.2)
    button = _device(broker, "BTN-0001")
    try:
        batch = [dict(msg(f"g{i}", "water", value=i), device="WTR-0001") for i in range(50)]
        button.client.publish("eldercare/gateways/gw1/up", json.dumps(batch), qos=1)
        assert _ack(button, msg("press"))["status"] == "stored"
        _wait(lambda: Reading.objects.count() == 51)
    finally:
        button.stop()
        for c in consumers:
            c.stop()
    # The gateways' lane had the batch; the devices' lane the press (and any repeat the device sent before its
    # acknowledgement came: its first wait is drawn between 0 and retry_seconds).
    assert gateways_lane.handled == 1 and devices_lane.handled >= 1
    connections.close_all()


def test_a_message_that_keeps_failing_while_the_database_answers_is_kept(home, broker, consumer, monkeypatch):
    # An error that looks like the database being away (OperationalError), but the database answers
    # and the same message fails again and again: after a few tries it is taken for the cause and kept
    # as a dead letter, so the lane is not blocked for good.
    from django.db import OperationalError

    from eldercare.devices import mqtt as consumer_module

    tries = _store_fails_on("stuck", OperationalError("canceling statement due to statement timeout"), monkeypatch)
    monkeypatch.setattr(consumer_module, "RETRY_FIRST_PAUSE", 0.01)
    button = _device(broker, "BTN-0001")
    try:
        reply = _ack(button, msg("stuck"), timeout=20)
        assert _ack(button, msg("next"), timeout=10)["status"] == "stored"
    finally:
        button.stop()
    assert reply["status"] == "rejected" and "OperationalError" in reply["reason"]
    assert len(tries) >= consumer_module.RETRY_BEFORE_BLAME
    letters = list(DeadLetter.objects.all())  # one, or two if the device repeated before the reply reached it
    assert letters and all("statement timeout" in d.reason and '"stuck"' in d.payload for d in letters)
    connections.close_all()


# ---------------------------------------------------------------- issue 13: hostile and broken senders


def test_a_time_far_from_now_is_refused_with_its_reason(home, broker, consumer):
    button = _device(broker, "BTN-0001")
    try:
        replies = [
            _ack(button, {"msg_id": f"far-{i}", "kind": "button", "ts": ts}) for i, ts in enumerate(["0001-01-01T00:00:00+08:00", 1e20, -1])
        ]
    finally:
        button.stop()
    assert [r["status"] for r in replies] == ["rejected"] * 3
    assert all(r["reason"].startswith("ts:") for r in replies), replies
    assert not any("internal error" in d.reason for d in DeadLetter.objects.all())
    assert DeadLetter.objects.count() == 3 and not Alarm.objects.exists()
    connections.close_all()


def test_a_payload_over_the_limit_is_refused_and_kept_cut_short(home, broker, consumer):
    from eldercare.devices.ingest import KEEP_BYTES, derived_id, device_payload_max

    button = _device(broker, "BTN-0001")
    huge = json.dumps(dict(msg("huge"), padding="x" * (device_payload_max() + 1))).encode()
    try:
        reply = _ack(button, huge, msg_id=derived_id(huge), timeout=10)
        assert _ack(button, msg("next"))["status"] == "stored"  # the lane goes on
    finally:
        button.stop()
    assert reply["status"] == "rejected" and str(device_payload_max()) in reply["reason"]
    letter = DeadLetter.objects.get()
    assert len(letter.payload) <= KEEP_BYTES < len(huge)
    assert Alarm.objects.count() == 1
    connections.close_all()


def test_a_payload_without_a_msg_id_is_acknowledged_and_kept_once(home, broker, consumer):
    from eldercare.devices.ingest import derived_id

    water = _device(broker, "WTR-0001")
    garbage = b"\x00garbage"
    try:
        for _ in range(3):  # the device repeats it: the same bytes each time
            water.client.publish("eldercare/devices/WTR-0001/up", garbage, qos=1)
        reply = _ack(water, garbage, msg_id=derived_id(garbage), timeout=10)
        assert _ack(water, msg("after", "water"))["status"] == "stored"  # everything before it was handled
    finally:
        water.stop()
    assert reply["status"] == "rejected" and reply["msg_id"] == derived_id(garbage)
    assert DeadLetter.objects.count() == 1
    connections.close_all()


def test_a_bad_message_does_not_spoil_its_gateway_batch(home, broker, consumer):
    import paho.mqtt.client as mqtt

    acks: list = []
    gateway = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="gw-test")
    gateway.on_connect = lambda c, u, f, rc, p: c.subscribe("eldercare/gateways/gw1/ack", qos=1)
    gateway.on_message = lambda c, u, m: acks.append(json.loads(m.payload))
    gateway.connect("127.0.0.1", broker.port)
    gateway.loop_start()
    batch = [
        dict(msg("g1", "water", value=1), device="WTR-0001"),
        {"device": "WTR-0001", "msg_id": "g2", "kind": "water", "ts": 10**20},
        {"device": "WTR-0001", "kind": "water"},
        dict(msg("g3"), device="BTN-0001"),
        dict(msg("g4"), device="NOPE"),
    ]
    try:
        _wait(lambda: gateway.is_connected())
        time.sleep(0.2)
        gateway.publish("eldercare/gateways/gw1/up", json.dumps(batch), qos=1)
        _wait(lambda: acks)
        gateway.publish("eldercare/gateways/gw1/up", json.dumps(batch), qos=1)  # repeated: duplicates, no new dead letters
        _wait(lambda: len(acks) == 2)
    finally:
        gateway.disconnect()
        gateway.loop_stop()
    first, again = ([(a["device"], a["msg_id"][:7], a["status"]) for a in ack] for ack in acks)
    assert first == [
        ("WTR-0001", "g1", "stored"),
        ("WTR-0001", "g2", "rejected"),
        ("WTR-0001", "sha256:", "rejected"),
        ("BTN-0001", "g3", "stored"),
        ("NOPE", "g4", "rejected"),
    ]
    assert [s for *_, s in again] == ["duplicate", "rejected", "rejected", "duplicate", "rejected"]
    assert acks[0][1]["reason"].startswith("ts:") and acks[0][2]["reason"].startswith("msg_id:")
    assert Reading.objects.count() == 2 and Alarm.objects.count() == 1
    assert sorted(d.reason[:3] for d in DeadLetter.objects.all()) == ["msg", "ts:"]
    connections.close_all()


def test_a_consumer_restart_under_repeating_devices_is_caught_up_in_seconds(home, broker, monkeypatch):
    # Issue 13: with a 1 s resend, restarts left alarms unacknowledged at their devices for up to 113 s
    # (26 publishes each) although all were stored: the consumer's backlog was the devices' repeats, each
    # handled by a write transaction of its own. Now devices back off, and the consumer answers repeats
    # from one look-up per batch: after the restart every device has its acknowledgement within seconds,
    # and every alarm went through a write transaction once.
    import threading

    from eldercare.devices import ingest

    elder, _, _ = home
    serials = [f"BTN-S{i:03d}" for i in range(40)]
    Device.objects.bulk_create(Device(serial=s, kind="button", elder=elder) for s in serials)
    written: list[str] = []
    real_store = ingest._store

    def counting_store(messages, received_at):
        written.extend(m.message_id for m in messages)
        return real_store(messages, received_at)

    monkeypatch.setattr(ingest, "_store", counting_store)
    consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()  # its session, then it goes away
    _wait(lambda: consumer.client.is_connected())
    time.sleep(0.2)
    consumer.stop()
    # Scaled down from the device defaults (1 s doubling to 30 s) to fit a test: 0.2 s doubling to 1 s.
    devices = [
        DeviceClient(s, "127.0.0.1", broker.port, retry_seconds=0.2, retry_max_seconds=1.0, seed=i).start() for i, s in enumerate(serials)
    ]
    acked_at: dict[str, float] = {}
    replies: dict[str, dict[str, Any] | None] = {}

    def press(device: DeviceClient) -> None:
        replies[device.serial] = device.send(msg(f"press-{device.serial}"), timeout=15)
        acked_at[device.serial] = time.monotonic()

    threads = [threading.Thread(target=press, args=(d,)) for d in devices]
    try:
        _wait(lambda: all(d.client.is_connected() for d in devices))
        for t in threads:
            t.start()
        time.sleep(3.0)  # the consumer is away; the devices repeat
        assert not acked_at
        restarted = time.monotonic()
        consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()
        for t in threads:
            t.join(timeout=15)
        backlog = consumer.handled
    finally:
        consumer.stop()
        for d in devices:
            d.stop()
    assert all(r is not None and r["status"] in ("stored", "duplicate") for r in replies.values()) and len(replies) == 40
    caught_up = max(acked_at.values()) - restarted
    assert caught_up < 3.0, f"the last device was acknowledged {caught_up:.1f} s after the restart"
    published = sum(d.published for d in devices)
    assert backlog >= 40 and published < 40 * 15  # repeats, fewer than a fixed 0.2 s resend would have sent
    assert sorted(written) == sorted(f"press-{s}" for s in serials)  # each written once; every repeat answered by look-up
    assert Alarm.objects.count() == 40
    connections.close_all()


def test_a_device_repeats_at_once_when_it_reconnects(home, broker, monkeypatch):
    # A broker restart may take what was in flight with it: a device that has reconnected repeats at once
    # rather than after its (by then long) backoff.
    import threading

    consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()
    _wait(lambda: consumer.client.is_connected())
    consumer.stop()  # away: the press waits in its session…
    button = _device(broker, "BTN-0001")
    monkeypatch.setattr(button, "wait_after", lambda tries: 600.0)  # no timed repeat within the test
    reply: list[dict[str, Any] | None] = []
    sender = threading.Thread(target=lambda: reply.append(button.send(msg("once"), timeout=20)))
    try:
        sender.start()
        _wait(lambda: button.published == 1)
        broker.process.kill()  # …which a broker killed before its autosave (every second) may lose
        broker.process.wait()
        broker.start()
        consumer = Consumer("127.0.0.1", broker.port, client_id="test-ingest").start()
        sender.join(timeout=20)
    finally:
        consumer.stop()
        button.stop()
    # "duplicate" when the broker had saved the press before it was killed and the consumer stored it first
    assert reply and reply[0] is not None and reply[0]["status"] in ("stored", "duplicate")
    assert button.published == 2
    assert Alarm.objects.count() == 1
    connections.close_all()
