"""MQTT: the platform's consumer and a device client (the simulator's, and the tests').

Topics (docs/devices.md):
    eldercare/devices/<serial>/up    device → platform, QoS 1, the JSON message of `ingest`
    eldercare/devices/<serial>/ack   platform → device, QoS 1, {"msg_id", "status", "reason"}
    eldercare/gateways/<id>/up       gateway → platform, QoS 1, a JSON list of messages, each with "device"
    eldercare/gateways/<id>/ack      platform → gateway, QoS 1, [{"device", "msg_id", "status"}, …]

A broker's PUBACK does not mean a message is safe (Mosquitto persists by periodic snapshot and
drops QoS 1 messages past a queue limit), so safety is end to end: the consumer commits a message
(and its alarm) to the database, then publishes the platform's acknowledgement, then acknowledges
the broker (manual acks; a persistent session, so what was not acknowledged is delivered again).
A device repeats a message until the platform's acknowledgement arrives; repeats are duplicates
the consumer recognises. Nothing here is lost by a broker restart or a consumer restart.

The consumer takes what the broker has delivered together (up to BATCH_MAX messages): one look-up
answers the repeats, one transaction stores the rest. After a restart its backlog is mostly the
repeats devices sent meanwhile, so it drains at the speed of reading, not of committing. Devices
repeat with exponential backoff and full jitter (`DeviceClient`), so a crowd whose acknowledgements
were lost together does not repeat together, and at once after reconnecting to a broker.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
import uuid
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from django.db import InterfaceError, OperationalError, connection, connections

from .ingest import Delivery, Message, Outcome, Refused, Rejected, dead_letter, dead_letters, derived_id, device_payload_max, read, store

log = logging.getLogger("eldercare.devices")
UP = "eldercare/devices/+/up"
GATEWAY_UP = "eldercare/gateways/+/up"  # a gateway's batch: a JSON list, each message naming its device
# Seconds between tries to store while the database is away: a try is one connection attempt, and the
# pause after the database is back is time every device waits for its acknowledgement.
RETRY_FIRST_PAUSE, RETRY_MAX_PAUSE = 0.2, 1.0
RETRY_BEFORE_BLAME = 5  # failed tries, with the database answering, before a message is taken for the cause
BATCH_MAX = 100  # delivered messages handled together: one look-up for repeats, one transaction
# Delivered, not yet handled, in payload bytes: past this the network thread waits. Only past it: while it
# waits it neither reads nor writes, so the acknowledgements the worker publishes would wait with it.
INBOX_MAX_BYTES = 64 * 1024 * 1024
RESEND_FIRST, RESEND_MAX = 1.0, 30.0  # a device's wait for an acknowledgement: 1, 2, 4 … 30 s at most, fully jittered


def up_topic(serial: str) -> str:
    return f"eldercare/devices/{serial}/up"


def ack_topic(serial: str) -> str:
    return f"eldercare/devices/{serial}/ack"


def gateway_up_topic(gateway: str) -> str:
    return f"eldercare/gateways/{gateway}/up"


def gateway_ack_topic(gateway: str) -> str:
    return f"eldercare/gateways/{gateway}/ack"


def _serial(topic: str) -> str | None:
    parts = topic.split("/")
    return parts[2] if len(parts) == 4 and parts[:2] == ["eldercare", "devices"] and parts[3] == "up" else None


def _gateway(topic: str) -> str | None:
    parts = topic.split("/")
    return parts[2] if len(parts) == 4 and parts[:2] == ["eldercare", "gateways"] and parts[3] == "up" else None


class Consumer:
    """Subscribes to device (and gateway) uplinks; committed before acknowledged. The network thread only
    queues what arrives; a worker thread of its own (with its own database connection) handles it in batches."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        client_id: str = "eldercare-ingest",
        share: str | None = None,
        topics: tuple[str, ...] = (UP, GATEWAY_UP),
    ):
        """`share`: an MQTT 5 shared-subscription group, so several consumers split the traffic.
        `topics`: which uplinks; `lanes` gives a device lane and a gateway lane their own clients."""
        self.host, self.port, self.share, self.topics = host, port, share, topics
        if share:
            self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True)
        else:
            self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.max_inflight_messages_set(1000)  # acknowledgements on their way to devices, awaiting the broker's PUBACK
        self.handled = 0
        self._stopping = threading.Event()
        self._inbox: collections.deque[tuple[int, mqtt.MQTTMessage]] = collections.deque()
        self._inbox_bytes = 0
        self._inbox_changed = threading.Condition()
        # Which connection a message came on: a broker acknowledgement is sent on that connection only. After
        # a reconnection the broker delivers again what was not acknowledged, and a packet id of the old
        # connection may name another message on the new one.
        self._connection = 0
        self._worker = threading.Thread(target=self._work, name=f"{client_id}-store", daemon=True)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self._connection += 1
        prefix = f"$share/{self.share}/" if self.share else ""
        client.subscribe([(prefix + topic, 1) for topic in self.topics])

    def _on_message(self, client, userdata, msg):
        with self._inbox_changed:
            while self._inbox_bytes > INBOX_MAX_BYTES and not self._stopping.is_set():  # the worker is far behind
                self._inbox_changed.wait(0.5)
            self._inbox.append((self._connection, msg))
            self._inbox_bytes += len(msg.payload)
            self._inbox_changed.notify_all()

    def _take(self) -> list[tuple[int, mqtt.MQTTMessage]]:
        """What has been delivered, up to BATCH_MAX messages; waits a moment for the first."""
        with self._inbox_changed:
            if not self._inbox:
                self._inbox_changed.wait(0.2)
            batch: list[tuple[int, mqtt.MQTTMessage]] = []
            while self._inbox and len(batch) < BATCH_MAX:
                batch.append(self._inbox.popleft())
                self._inbox_bytes -= len(batch[-1][1].payload)
            self._inbox_changed.notify_all()
            return batch

    def _work(self) -> None:
        try:
            while not self._stopping.is_set():
                if batch := self._take():
                    try:
                        self._handle(batch)
                    except Exception:  # a fault of ours outside a message's handling: the lane goes on
                        log.exception("%d device messages not handled; left unacknowledged", len(batch))
        finally:
            connections.close_all()  # the worker's own database connection

    def _handle(self, batch: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        # A long-lived worker keeps its database connection (a new one per message cost more than
        # storing the message). While the database cannot be reached the batch is tried again on a new
        # connection, with growing pauses, and acknowledged only once stored.
        pause, blamed = RETRY_FIRST_PAUSE, 0
        while True:
            try:
                replies = self._process([msg for _, msg in batch])
                break
            except (OperationalError, InterfaceError) as exc:
                connection.close()
                if _database_answers():
                    blamed += 1
                    if blamed >= RETRY_BEFORE_BLAME:  # the database is there, yet this keeps failing: it is the messages
                        self._fault(batch, exc)
                        return
                log.warning("database unavailable; %d messages kept unacknowledged, retrying in %.1f s", len(batch), pause, exc_info=True)
                if self._stopping.wait(pause):
                    return  # stopping: unacknowledged, so the broker delivers them again
                pause = min(pause * 2, RETRY_MAX_PAUSE)
            except Exception as exc:  # a fault of ours with one of these messages
                self._fault(batch, exc)
                return
        for topic, body in replies:
            self.client.publish(topic, body, qos=1)
        self._ack(batch)

    def _fault(self, batch: list[tuple[int, mqtt.MQTTMessage]], fault: Exception) -> None:
        """A batch failed for a reason of its own: one at a time, to find the message at fault (the others go
        through); that one is kept as a dead letter and the sender told, rather than blocking those behind it."""
        if len(batch) > 1:
            for one in batch:
                self._handle([one])
            return
        msg = batch[0][1]
        payload = bytes(msg.payload)
        log.error("device message could not be handled; kept as a dead letter (topic %s)", msg.topic, exc_info=fault)
        reason = f"处理出错，已留存待查 / internal error, kept for review: {type(fault).__name__}: {fault}"[:300]
        try:
            connection.close()
            dead_letter(msg.topic, payload, reason)
        except Exception:
            log.exception("dead letter not written either; message left unacknowledged")
            connection.close()
            return
        self.client.publish(*_refusal(msg, _msg_id(payload) or derived_id(payload), reason))
        self._ack(batch)

    def _ack(self, batch: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        for came_on, msg in batch:
            if came_on == self._connection:
                self.client.ack(msg.mid, msg.qos)
            self.handled += 1

    def _process(self, batch: list[mqtt.MQTTMessage]) -> list[tuple[str, bytes]]:
        """Read each payload (what cannot be read kept as dead letters), store every message of the batch in
        one call, and the acknowledgements to publish once that has committed."""
        read_back: list[list[Message | Refused] | Rejected] = []
        for msg in batch:
            gateway, payload = _gateway(msg.topic), bytes(msg.payload)
            try:
                items = read(payload, serial=None if gateway is not None else _serial(msg.topic))
            except Rejected as exc:
                dead_letter(msg.topic, payload, exc.reason)
                read_back.append(exc)
                continue
            dead_letters(msg.topic, [(item.payload, item.reason) for item in items if isinstance(item, Refused)])
            read_back.append(items)
        stored = iter(store([item for got in read_back if isinstance(got, list) for item in got if isinstance(item, Message)]))
        # One acknowledgement for each message of the batch, however many copies of it the batch held (a
        # backlog after a restart is mostly repeats): the first, which says "stored" where one of them was.
        replies: dict[tuple[str, str], bytes] = {}
        for msg, got in zip(batch, read_back, strict=True):
            gateway = _gateway(msg.topic)
            if isinstance(got, Rejected):
                topic, body = _refusal(msg, name := derived_id(bytes(msg.payload)), got.reason)
                replies.setdefault((topic, name), body)
                continue
            outcomes = [
                Outcome(item.serial, item.message_id, Delivery.REJECTED, item.reason) if isinstance(item, Refused) else next(stored)
                for item in got
            ]
            if gateway is not None:  # a gateway's batch is acknowledged in one reply
                body = orjson.dumps([dict(_ack_body(o), device=o.serial) for o in outcomes])
                replies.setdefault((gateway_ack_topic(gateway), derived_id(bytes(msg.payload))), body)
            else:
                for o in outcomes:
                    replies.setdefault((ack_topic(o.serial), o.message_id), orjson.dumps(_ack_body(o)))
        return [(topic, body) for (topic, _), body in replies.items()]

    def _connect(self) -> None:
        if self.share:
            # A persistent MQTT 5 session: what was not acknowledged is delivered again after a restart.
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 24 * 3600
            self.client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=properties)
        else:
            self.client.connect_async(self.host, self.port, keepalive=30)

    def start(self) -> Consumer:
        """Connect (and keep reconnecting, a broker that is not up yet included) on a thread of its own."""
        self._worker.start()
        self._connect()
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.client.disconnect()
        self.client.loop_stop()
        self._worker.join(timeout=30)


def _ack_body(outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {"msg_id": outcome.message_id, "status": outcome.status}
    if outcome.reason:
        body["reason"] = outcome.reason
    return body


def _refusal(msg: mqtt.MQTTMessage, msg_id: str, reason: str) -> tuple[str, bytes]:
    """The acknowledgement of a payload refused as a whole, on the sender's acknowledgement topic."""
    body = orjson.dumps({"msg_id": msg_id, "status": Delivery.REJECTED, "reason": reason})
    gateway = _gateway(msg.topic)
    return (gateway_ack_topic(gateway) if gateway is not None else ack_topic(_serial(msg.topic) or ""), body)


def lanes(host: str, port: int, client_id: str, share: str | None = None) -> list[Consumer]:
    """Two consumers, each with its own MQTT session, thread and database connection: devices' own
    uplinks (a button press, a fall) and gateways' telemetry batches. A broker delivers a session's
    messages in order, so with one session an alarm would wait behind every batch queued before it."""
    return [
        Consumer(host, port, f"{client_id}-devices", share=share, topics=(UP,)),
        Consumer(host, port, f"{client_id}-gateways", share=share, topics=(GATEWAY_UP,)),
    ]


def _database_answers() -> bool:
    try:
        connection.ensure_connection()
        return connection.is_usable()
    except (OperationalError, InterfaceError):
        return False


def _msg_id(payload: bytes) -> str | None:
    if len(payload) > device_payload_max():
        return None
    try:
        value = orjson.loads(payload).get("msg_id")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, str) else None


class Backoff:
    """How long a device waits for an acknowledgement before repeating: after the n-th try a time drawn
    at random between 0 and `first` × 2ⁿ⁻¹, that bound at most `cap` (exponential backoff, full jitter)."""

    def __init__(self, first: float = RESEND_FIRST, cap: float = RESEND_MAX, seed: int | None = None):
        self.first, self.cap, self._rng = first, cap, random.Random(seed)

    def wait(self, tries: int) -> float:
        return self._rng.uniform(0, min(self.cap, self.first * 2 ** min(tries - 1, 32)))


class DeviceClient:
    """A device (or the simulator's stand-in): publishes and repeats until the platform acknowledges.

    It waits for the acknowledgement longer after each try: `retry_seconds`, doubling up to
    `retry_max_seconds`, each wait drawn at random below that bound (full jitter), so devices whose
    acknowledgements were held up together (a consumer restarting, a broker restarting) spread their
    repeats instead of storming the platform in step. After reconnecting to the broker it repeats at
    once and starts the waits afresh: what was in flight may have gone with the broker."""

    def __init__(
        self,
        serial: str,
        host: str = "127.0.0.1",
        port: int = 1883,
        retry_seconds: float = RESEND_FIRST,
        retry_max_seconds: float = RESEND_MAX,
        seed: int | None = None,
    ):
        self.serial, self.host, self.port = serial, host, port
        self.retry_seconds, self.retry_max_seconds = retry_seconds, retry_max_seconds
        self.acks: dict[str | None, dict[str, Any]] = {}  # the first for each msg_id; an ack without one (None) is kept too
        self.published = 0  # publishes, repeats included
        self._connections = 0
        self._backoff = Backoff(retry_seconds, retry_max_seconds, seed)
        self._arrived = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{serial}-{uuid.uuid4().hex[:6]}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_ack
        self.client.reconnect_delay_set(min_delay=1, max_delay=3)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        client.subscribe(ack_topic(self.serial), qos=1)  # before any repeat below: the broker takes them in order
        with self._arrived:
            self._connections += 1
            self._arrived.notify_all()

    def _on_ack(self, client, userdata, msg):
        try:
            body = orjson.loads(msg.payload)
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        with self._arrived:
            self.acks.setdefault(body.get("msg_id"), body)  # the first: later ones answer repeats ("duplicate")
            self._arrived.notify_all()

    def wait_after(self, tries: int) -> float:
        """How long to wait for the acknowledgement after the `tries`-th publish (1 the first)."""
        return self._backoff.wait(tries)

    def start(self) -> DeviceClient:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, message: dict | bytes, *, msg_id: str | None = None, timeout: float = 30.0) -> dict[str, Any] | None:
        """Publish, and repeat with backoff until acknowledged; the acknowledgement, or None. A message refused
        unread is acknowledged under the id derived from its bytes (`ingest.derived_id`): that matches too."""
        payload = message if isinstance(message, bytes) else orjson.dumps(message)
        msg_id = msg_id or (message.get("msg_id") if isinstance(message, dict) else None)
        names = [name for name in (msg_id, derived_id(payload)) if name]
        deadline = time.monotonic() + timeout
        tries, connection_seen, due = 0, -1, 0.0
        with self._arrived:
            while (ack := next((self.acks[n] for n in names if n in self.acks), None)) is None:
                now = time.monotonic()
                if now >= deadline:
                    return None
                if connection_seen != self._connections:  # (re)connected since the last publish
                    tries, due = 0, now
                if now >= due:
                    connection_seen = self._connections
                    self.client.publish(up_topic(self.serial), payload, qos=1)
                    self.published += 1
                    tries += 1
                    due = now + self.wait_after(tries)
                self._arrived.wait(timeout=max(0.0, min(due, deadline) - now))
            return ack
