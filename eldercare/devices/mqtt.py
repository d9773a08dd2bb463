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
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from django.db import InterfaceError, OperationalError, connection, connections

from .ingest import Delivery, Rejected, dead_letter, parse, store

log = logging.getLogger("eldercare.devices")
UP = "eldercare/devices/+/up"
GATEWAY_UP = "eldercare/gateways/+/up"  # a gateway's batch: a JSON list, each message naming its device
RETRY_FIRST_PAUSE, RETRY_MAX_PAUSE = 0.2, 5.0  # seconds between tries to store a message while the database is away
RETRY_BEFORE_BLAME = 5  # failed tries, with the database answering, before a message is taken for the cause


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
    """Subscribes to device (and gateway) uplinks; one message at a time, committed before acknowledged."""

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
        # The network thread holds its own database connection: close it when the client goes.
        self.client.on_disconnect = lambda *args: connections.close_all()
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.handled = 0
        self._stopping = threading.Event()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        prefix = f"$share/{self.share}/" if self.share else ""
        client.subscribe([(prefix + topic, 1) for topic in self.topics])

    def _on_message(self, client, userdata, msg):
        # A long-lived worker keeps its database connection (a new one per message cost more than
        # storing the message). While the database cannot be reached the message is tried again on a
        # new connection, with growing pauses, in order, and acknowledged only once stored; if this
        # takes longer than the keep-alive, the broker drops the session and delivers it again.
        pause = RETRY_FIRST_PAUSE
        for attempt in itertools.count(1):
            try:
                self._handle(client, msg)
                break
            except (OperationalError, InterfaceError) as exc:
                connection.close()
                if attempt >= RETRY_BEFORE_BLAME and _database_answers():
                    fault: Exception = exc  # the database is there, yet this message keeps failing: it is the message
                else:
                    log.warning(
                        "database unavailable; message on %s kept unacknowledged, retrying in %.1f s", msg.topic, pause, exc_info=True
                    )
                    if self._stopping.wait(pause):
                        return  # stopping: unacknowledged, so the broker delivers it again
                    pause = min(pause * 2, RETRY_MAX_PAUSE)
                    continue
            except Exception as exc:  # a fault of ours with this message
                fault = exc
            log.error("device message could not be handled; kept as a dead letter (topic %s)", msg.topic, exc_info=fault)
            reason = f"处理出错，已留存待查 / internal error, kept for review: {type(fault).__name__}: {fault}"[:300]
            try:
                connection.close()
                self._reject(client, msg, reason)
            except Exception:
                log.exception("dead letter not written either; message left unacknowledged")
                connection.close()
                return
            break
        client.ack(msg.mid, msg.qos)
        self.handled += 1

    def _reject(self, client, msg, reason: str) -> None:
        """Keep a message that was not stored as a dead letter, and tell the sender (so it stops repeating it)."""
        dead_letter(msg.topic, msg.payload, reason)
        gateway, serial, msg_id = _gateway(msg.topic), _serial(msg.topic), _msg_id(msg.payload)
        if gateway is not None:
            client.publish(gateway_ack_topic(gateway), orjson.dumps({"status": Delivery.REJECTED, "reason": reason}), qos=1)
        elif serial and msg_id:
            client.publish(ack_topic(serial), orjson.dumps({"msg_id": msg_id, "status": Delivery.REJECTED, "reason": reason}), qos=1)

    def _handle(self, client, msg) -> None:
        gateway = _gateway(msg.topic)
        try:
            messages = parse(msg.payload, serial=None if gateway is not None else _serial(msg.topic))
        except Rejected as exc:
            self._reject(client, msg, str(exc))
            return
        outcomes = store(messages)
        if gateway is not None:  # a gateway's batch, stored in one transaction, is acknowledged in one reply
            body = [{"device": o.serial, "msg_id": o.message_id, "status": o.status} for o in outcomes]
            client.publish(gateway_ack_topic(gateway), orjson.dumps(body), qos=1)
            return
        for outcome in outcomes:
            ack = {"msg_id": outcome.message_id, "status": outcome.status}
            if outcome.reason:
                ack["reason"] = outcome.reason
            client.publish(ack_topic(outcome.serial), orjson.dumps(ack), qos=1)

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
        self._connect()
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.client.disconnect()
        self.client.loop_stop()


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
    try:
        value = orjson.loads(payload).get("msg_id")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, str) else None


class DeviceClient:
    """A device (or the simulator's stand-in): publishes and repeats until the platform acknowledges."""

    def __init__(self, serial: str, host: str = "127.0.0.1", port: int = 1883, retry_seconds: float = 1.0):
        self.serial, self.host, self.port, self.retry_seconds = serial, host, port, retry_seconds
        self.acks: dict[str | None, dict[str, Any]] = {}  # by msg_id; an ack without one (None) is kept too
        self._arrived = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{serial}-{uuid.uuid4().hex[:6]}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(ack_topic(serial), qos=1)
        self.client.on_message = self._on_ack
        self.client.reconnect_delay_set(min_delay=1, max_delay=3)

    def _on_ack(self, client, userdata, msg):
        try:
            body = orjson.loads(msg.payload)
        except ValueError:
            return
        with self._arrived:
            self.acks[body.get("msg_id")] = body
            self._arrived.notify_all()

    def start(self) -> DeviceClient:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, message: dict | bytes, *, msg_id: str | None = None, timeout: float = 30.0) -> dict[str, Any] | None:
        """Publish and repeat every `retry_seconds` until acknowledged; the acknowledgement, or None."""
        payload = message if isinstance(message, bytes) else orjson.dumps(message)
        msg_id = msg_id or (message.get("msg_id") if isinstance(message, dict) else None)
        deadline = time.monotonic() + timeout
        with self._arrived:
            while msg_id not in self.acks and time.monotonic() < deadline:
                self.client.publish(up_topic(self.serial), payload, qos=1)
                self._arrived.wait(timeout=min(self.retry_seconds, max(0.0, deadline - time.monotonic())))
            return self.acks.get(msg_id)
