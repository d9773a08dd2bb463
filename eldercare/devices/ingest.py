"""Reading device messages, whatever way they come (MQTT, an HTTP gateway), into the database.

The wire format (docs/devices.md): a JSON object
    {"msg_id": "<unique per device>", "ts": "<ISO 8601 with offset> | <epoch milliseconds>",
     "kind": "button|fall|smoke|water|gas|door|motion|bed_exit|heartbeat",
     "value": <number, optional>, "battery": <0-100, optional>, "device": "<serial, optional on MQTT>"}
on the topic `eldercare/devices/<serial>/up`, or a list of them (each with "device") from a gateway.

`store` is idempotent by (device, msg_id): a message seen before is reported a duplicate and
changes nothing. Event time (`ts`) is kept apart from arrival time; a device's "last seen" only
moves forward, so a late message cannot make a live device look silent. What cannot be read is
kept as a dead letter with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from eldercare.core.bulk import insert_new

from .models import Alarm, AlarmEvent, AlarmSource, DeadLetter, Device, DeviceStatus, Reading

KINDS = {"button", "fall", "smoke", "water", "gas", "door", "motion", "bed_exit", "heartbeat"}
ALARM_KINDS = {"button": AlarmSource.BUTTON, "fall": AlarmSource.FALL, "smoke": AlarmSource.SMOKE}
MAX_FUTURE = dt.timedelta(minutes=5)  # device clocks drift; further ahead is a broken clock
ACK_SECONDS = getattr(settings, "ELDERCARE_ALARM_ACK_SECONDS", 120)  # platform default: escalate after 2 minutes


class Rejected(ValueError):
    """A message that cannot be read; the reason is kept with it."""


@dataclass(frozen=True)
class Message:
    serial: str
    message_id: str
    kind: str
    at: dt.datetime
    value: float | None = None
    battery: int | None = None


@dataclass(frozen=True)
class Outcome:
    serial: str
    message_id: str
    status: str  # stored | duplicate | rejected
    reason: str = ""
    alarm_id: int | None = None


def _time(raw) -> dt.datetime:
    if isinstance(raw, bool):
        raise Rejected("ts: 不是时间 / not a time")
    if isinstance(raw, (int, float)):
        return dt.datetime.fromtimestamp(raw / 1000, tz=dt.UTC)
    if isinstance(raw, str):
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise Rejected(f"ts: 无法解析的时间 / unreadable time {raw[:40]!r}") from None
        if moment.tzinfo is None:
            raise Rejected("ts: 缺少时区 / the time has no UTC offset")
        return moment
    raise Rejected("ts: 缺少时间 / missing time")


def parse_one(data, *, serial: str | None = None, now: dt.datetime | None = None) -> Message:
    if not isinstance(data, dict):
        raise Rejected("消息须为JSON对象 / a message is a JSON object")
    device = data.get("device", serial)
    if serial is not None and device != serial:
        raise Rejected(f"device: 与主题中的设备{serial}不符 / does not match the topic's device {serial}")
    if not isinstance(device, str) or not device:
        raise Rejected("device: 缺少设备编号 / missing device serial")
    message_id = data.get("msg_id")
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 64:
        raise Rejected("msg_id: 须为1至64个字符 / 1 to 64 characters")
    kind = data.get("kind")
    if kind not in KINDS:
        raise Rejected(f"kind: 未知事件 {kind!r} / unknown kind")
    at = _time(data.get("ts"))
    if at > (now or timezone.now()) + MAX_FUTURE:
        raise Rejected("ts: 时间在未来 / the time is in the future")
    value = data.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise Rejected("value: 须为数字 / must be a number")
    battery = data.get("battery")
    if battery is not None and (isinstance(battery, bool) or not isinstance(battery, int) or not 0 <= battery <= 100):
        raise Rejected("battery: 须为0至100 / must be 0 to 100")
    return Message(device, message_id, kind, at, None if value is None else float(value), battery)


def parse(payload: bytes, *, serial: str | None = None) -> list[Message]:
    """One message, or a gateway's list of them. Raises Rejected for the whole payload."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(f"不是UTF-8 JSON / not UTF-8 JSON: {exc}"[:300]) from None
    if isinstance(data, list):
        return [parse_one(item, serial=serial) for item in data]
    return [parse_one(data, serial=serial)]


def dead_letter(source: str, payload: bytes, reason: str) -> DeadLetter:
    """Keep an unreadable message with the reason. Bytes that are not text are written as
    backslash escapes, NUL included, so any payload can be kept (PostgreSQL text cannot hold NUL)."""
    text = payload.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    return DeadLetter.objects.create(source=source[:200], payload=text[:10_000], reason=reason[:300])


def alarm_raise(*, device: Device, reading: Reading, source: str, detail: str = "") -> Alarm:
    alarm = Alarm.objects.create(
        elder=device.elder,
        device=device,
        reading=reading,
        source=source,
        detail=detail,
        region_id=device.elder.residence_id,
        raised_at=reading.at,
        received_at=reading.received_at,
        next_escalation_at=reading.received_at + dt.timedelta(seconds=ACK_SECONDS),
    )
    AlarmEvent.objects.create(alarm=alarm, what="raised", at=reading.received_at, note=f"{device.get_kind_display()} {device.serial}")
    return alarm


@transaction.atomic
def store(messages: list[Message], *, received_at: dt.datetime | None = None) -> list[Outcome]:
    """Persist a batch in one transaction (readings, alarms, devices' last seen); committed when this
    returns, so the caller may then acknowledge every message to its device."""
    received_at = received_at or timezone.now()
    # Only what the batch needs of each device (no elder rows: their encrypted fields cost a decryption each).
    devices = _devices({m.serial for m in messages})
    outcomes: list[Outcome] = []
    fresh: list[tuple[Message, int]] = []
    seen_in_batch: set[tuple[int, str]] = set()
    # On PostgreSQL the insert itself says what was new (RETURNING); elsewhere look first.
    known = (
        set() if connection.vendor == "postgresql" else _known({(devices[m.serial], m.message_id) for m in messages if m.serial in devices})
    )
    for m in messages:
        device = devices.get(m.serial)
        if device is None:
            outcomes.append(Outcome(m.serial, m.message_id, "rejected", "未登记的设备 / unknown device"))
            continue
        key = (device, m.message_id)
        if key in known or key in seen_in_batch:
            outcomes.append(Outcome(m.serial, m.message_id, "duplicate"))
            continue
        seen_in_batch.add(key)
        fresh.append((m, device))
    plain = [(d, m.message_id, m.kind, m.value, m.at, received_at) for m, d in fresh if m.kind not in ALARM_KINDS]
    # COPY on PostgreSQL. The unique constraint keeps one row whoever inserts first (another consumer,
    # an earlier delivery): on PostgreSQL the rows this insert added come back, the rest were there.
    fields = ["device", "message_id", "kind", "value", "at", "received_at"]
    if connection.vendor == "postgresql":
        added = set(insert_new(Reading, fields, plain, returning=("device_id", "message_id")))
    else:
        insert_new(Reading, fields, plain)
        added = {(row[0], row[1]) for row in plain}
    for m, device in fresh:
        if m.kind not in ALARM_KINDS:
            outcomes.append(Outcome(m.serial, m.message_id, "stored" if (device, m.message_id) in added else "duplicate"))
            continue
        try:
            with transaction.atomic():
                full = Device.objects.select_related("elder").only("serial", "kind", "elder__residence_id").get(pk=device)
                reading = Reading.objects.create(
                    device=full, message_id=m.message_id, kind=m.kind, value=m.value, at=m.at, received_at=received_at
                )
                alarm = alarm_raise(device=full, reading=reading, source=ALARM_KINDS[m.kind])
        except IntegrityError:
            outcomes.append(Outcome(m.serial, m.message_id, "duplicate"))
            continue
        outcomes.append(Outcome(m.serial, m.message_id, "stored", alarm_id=alarm.pk))
    latest: dict[int, tuple[dt.datetime, int | None]] = {}
    for m, device in fresh:
        at, battery = latest.get(device, (None, None))
        if at is None or m.at > at:
            latest[device] = (m.at, m.battery if m.battery is not None else battery)
    _advance_last_seen(latest)
    return outcomes


def _devices(serials: set[str]) -> dict[str, int]:
    """Serial → id of the devices in use. On PostgreSQL one array parameter, not a thousand."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT serial, id FROM {connection.ops.quote_name(Device._meta.db_table)} WHERE serial = ANY(%s) AND status <> %s",
                [list(serials), DeviceStatus.REMOVED],
            )
            return dict(cursor.fetchall())
    return dict(Device.objects.filter(serial__in=serials).exclude(status=DeviceStatus.REMOVED).values_list("serial", "pk"))


def _known(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (device, message id) pairs already stored (where the insert cannot say: not PostgreSQL)."""
    if not pairs:
        return set()
    devices = {d for d, _ in pairs}
    found = Reading.objects.filter(device_id__in=devices, message_id__in={m for _, m in pairs}).values_list("device_id", "message_id")
    return set(found) & pairs


# "Last seen" is for noticing silent devices (hours): it moves in steps of at least this much, which
# spares a row update for most readings of a meter that reports every few minutes (platform default).
LAST_SEEN_STEP = dt.timedelta(seconds=getattr(settings, "ELDERCARE_LAST_SEEN_STEP_SECONDS", 600))


def _advance_last_seen(latest: dict[int, tuple[dt.datetime, int | None]]) -> None:
    """Move each device's last seen (and battery) forward to its newest event, never back, and only
    when it moves by at least LAST_SEEN_STEP."""
    if not latest:
        return
    if connection.vendor == "postgresql":
        ids = list(latest)
        table = connection.ops.quote_name(Device._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS d SET last_seen = v.at, battery = COALESCE(v.battery, d.battery) "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::smallint[]) AS v(id, at, battery) "
                "WHERE d.id = v.id AND (d.last_seen IS NULL OR d.last_seen <= v.at - %s)",
                [ids, [latest[i][0] for i in ids], [latest[i][1] for i in ids], LAST_SEEN_STEP],
            )
        return
    for pk, (at, battery) in latest.items():
        fields = {"last_seen": at} | ({"battery": battery} if battery is not None else {})
        Device.objects.filter(Q(last_seen__isnull=True) | Q(last_seen__lte=at - LAST_SEEN_STEP), pk=pk).update(**fields)
