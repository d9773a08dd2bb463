"""Reading device messages, whatever way they come (MQTT, an HTTP gateway), into the database.

The wire format (docs/devices.md): a JSON object
    {"msg_id": "<the device's id for it>", "ts": "<ISO 8601 with offset> | <epoch milliseconds>",
     "kind": "button|fall|smoke|water|gas|door|motion|bed_exit|heartbeat",
     "value": <number, optional>, "battery": <0-100, optional>, "device": "<serial, optional on MQTT>"}
on the topic `eldercare/devices/<serial>/up`, or a list of them (each with "device") from a gateway.

`store` is idempotent by (device, ts, msg_id), the readings' primary key: a message seen before
(a device repeats a message unchanged) is reported a duplicate and changes nothing. Event time
(`ts`) is kept apart from arrival time; a device's "last seen" only moves forward, so a late
message cannot make a live device look silent. What cannot be read is kept as a dead letter with
the reason.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import NamedTuple

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DateTimeField, Expression, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .alarms import alarm_raise
from .models import AlarmSource, DeadLetter, Device, DeviceStatus, Event, Reading

KINDS = set(Event.values)
ALARM_KINDS = {"button": AlarmSource.BUTTON, "fall": AlarmSource.FALL, "smoke": AlarmSource.SMOKE}
MAX_FUTURE = dt.timedelta(minutes=5)  # device clocks drift; further ahead is a broken clock


class Rejected(ValueError):
    """A message that cannot be read; the reason is kept with it."""


class Message(NamedTuple):
    serial: str
    message_id: str
    kind: str
    at: dt.datetime
    value: float | None = None
    battery: int | None = None


class Delivery(enum.StrEnum):
    """What became of a message: the device is told this in its acknowledgement."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # seen before: nothing changed
    REJECTED = "rejected"  # unreadable or from an unknown device; kept as a dead letter where unreadable


# A reading's identity: the device's serial, the event time and the device's message id.
Key = tuple[str, dt.datetime, str]


class Outcome(NamedTuple):
    serial: str
    message_id: str
    status: Delivery
    reason: str = ""
    alarm_id: int | None = None


def _time(raw: object) -> dt.datetime:
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


def parse_one(data: object, *, serial: str | None = None, latest: dt.datetime | None = None) -> Message:
    """One message of the wire format, checked field by field; Rejected names the field.
    `latest`: the latest time accepted (now plus the clock drift allowed), worked out once per payload."""
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
    if at > (latest or timezone.now() + MAX_FUTURE):
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
        data = orjson.loads(payload)  # strict JSON: no NaN or Infinity readings, UTF-8 only
    except orjson.JSONDecodeError as exc:
        raise Rejected(f"不是UTF-8 JSON / not UTF-8 JSON: {exc}"[:300]) from None
    latest = timezone.now() + MAX_FUTURE
    if isinstance(data, list):
        return [parse_one(item, serial=serial, latest=latest) for item in data]
    return [parse_one(data, serial=serial, latest=latest)]


def dead_letter(source: str, payload: bytes, reason: str) -> DeadLetter:
    """Keep an unreadable message with the reason. Bytes that are not text are written as
    backslash escapes, NUL included, so any payload can be kept (PostgreSQL text cannot hold NUL)."""
    text = payload.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    return DeadLetter.objects.create(source=source[:200], payload=text[:10_000], reason=reason[:300])


# Durable: when it returns, what it stored is committed, so the caller may acknowledge to the device.
@transaction.atomic(durable=True)
def store(messages: list[Message], *, received_at: dt.datetime | None = None) -> list[Outcome]:
    """Persist a batch in one transaction (readings, alarms, devices' last seen); committed when this
    returns, so the caller may then acknowledge every message to its device. One outcome per message,
    in order."""
    received_at = received_at or timezone.now()
    plain = [m for m in messages if m.kind not in ALARM_KINDS]
    unknown, added = (_store_plain_postgres if connection.vendor == "postgresql" else _store_plain)(plain, received_at)
    outcomes = []
    for m in messages:
        if m.kind in ALARM_KINDS:
            outcomes.append(_store_alarm(m, received_at))
        elif m.serial in unknown:
            outcomes.append(Outcome(m.serial, m.message_id, Delivery.REJECTED, UNKNOWN_DEVICE))
        elif (key := (m.serial, m.at, m.message_id)) in added:
            added.discard(key)  # a second copy in the same batch is a duplicate
            outcomes.append(Outcome(m.serial, m.message_id, Delivery.STORED))
        else:
            outcomes.append(Outcome(m.serial, m.message_id, Delivery.DUPLICATE))
    return outcomes


UNKNOWN_DEVICE = "未登记的设备 / unknown device"
# "Last seen" is for noticing silent devices (hours): it moves in steps of at least this much, which
# spares a row update for most readings of a meter that reports every few minutes (platform default).
def _last_seen_step() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ELDERCARE_LAST_SEEN_STEP_SECONDS)


# PostgreSQL: the batch is copied into a temporary table, then one statement finds the devices,
# inserts what is new (the primary key turns repeats away) and moves devices' last seen forward.
# Last seen skips rows another consumer holds (it is moving them anyway): no waits, no deadlocks.
_BATCH_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS ingest_batch (serial text, message_id text, kind text, value double precision, "
    "at timestamptz, battery smallint) ON COMMIT DELETE ROWS"
)
_STORE_BATCH = """
WITH batch AS MATERIALIZED (
    -- One index probe per message (LIMIT 1 keeps it a probe: never a scan of every device).
    SELECT d.id AS device_id, d.last_seen, d.battery AS device_battery, b.serial, b.message_id, b.kind, b.value, b.at, b.battery
    FROM ingest_batch b CROSS JOIN LATERAL (
        SELECT id, last_seen, battery FROM {device} WHERE serial = b.serial AND status <> %(removed)s LIMIT 1
    ) d
), added AS (
    INSERT INTO {reading} (device_id, message_id, kind, value, at, received_at)
    SELECT device_id, message_id, kind, value, at, %(received_at)s FROM batch
    ON CONFLICT DO NOTHING
    RETURNING device_id, at, message_id
), newest AS MATERIALIZED (
    SELECT device_id, max(at) AS at, (array_agg(battery ORDER BY at DESC) FILTER (WHERE battery IS NOT NULL))[1] AS battery,
           min(last_seen) AS last_seen, min(device_battery) AS device_battery
    FROM batch GROUP BY device_id
), moved AS MATERIALIZED (
    SELECT * FROM newest
    WHERE last_seen IS NULL OR last_seen <= at - %(step)s
       OR (battery IS DISTINCT FROM device_battery AND battery IS NOT NULL AND at >= last_seen)
), seen AS (
    UPDATE {device} d SET last_seen = GREATEST(d.last_seen, n.at),
        battery = CASE WHEN d.last_seen IS NULL OR n.at >= d.last_seen THEN COALESCE(n.battery, d.battery) ELSE d.battery END
    FROM moved n
    WHERE d.id = n.device_id
      -- `moved` judged the snapshot (and keeps the locks to the rows that move); judged again here on
      -- the locked row, which another consumer may have moved since.
      AND (d.last_seen IS NULL OR d.last_seen <= n.at - %(step)s
           OR (n.battery IS DISTINCT FROM d.battery AND n.battery IS NOT NULL AND n.at >= d.last_seen))
      AND d.id IN (SELECT id FROM {device} WHERE id = ANY(ARRAY(SELECT device_id FROM moved)) FOR NO KEY UPDATE SKIP LOCKED)
)
SELECT b.serial, a.at, a.message_id FROM added a JOIN (SELECT DISTINCT device_id, serial FROM batch) b USING (device_id)
UNION ALL
SELECT DISTINCT i.serial, NULL::timestamptz, NULL::text FROM ingest_batch i WHERE NOT EXISTS (SELECT FROM batch WHERE batch.serial = i.serial)
"""


def _store_plain_postgres(plain: list[Message], received_at: dt.datetime) -> tuple[set[str], set[Key]]:
    """Store readings that raise no alarm; the unknown serials, and (serial, at, msg_id) of what was new."""
    if not plain:
        return set(), set()
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(_BATCH_TABLE)
        cursor.execute("DELETE FROM ingest_batch")  # emptied at each commit; this is for a store inside a longer transaction
        with cursor.cursor.copy("COPY ingest_batch (serial, message_id, kind, value, at, battery) FROM STDIN") as copy:
            for m in plain:
                copy.write_row(m[:2] + (m.kind, m.value, m.at, m.battery))
        sql = _STORE_BATCH.format(device=qn(Device._meta.db_table), reading=qn(Reading._meta.db_table))
        cursor.execute(
            sql,
            {
                "removed": DeviceStatus.REMOVED,
                "received_at": received_at,
                "step": _last_seen_step(),  # type: ignore[dict-item]  # stubs' SQL params omit timedelta; psycopg sends an interval
            },
        )
        rows = cursor.fetchall()
    unknown = {serial for serial, at, _ in rows if at is None}
    return unknown, {row for row in rows if row[1] is not None}


def _store_plain(plain: list[Message], received_at: dt.datetime) -> tuple[set[str], set[Key]]:
    """The same with the ORM (SQLite: a single writer, so looking first is enough)."""
    if not plain:
        return set(), set()
    devices = dict(
        Device.objects.filter(serial__in={m.serial for m in plain}).exclude(status=DeviceStatus.REMOVED).values_list("serial", "pk")
    )
    unknown = {m.serial for m in plain} - set(devices)
    ids = {pk: serial for serial, pk in devices.items()}
    known = {
        (ids[d], at, mid)
        for d, at, mid in Reading.objects.filter(device_id__in=ids, message_id__in={m.message_id for m in plain}).values_list(
            "device_id", "at", "message_id"
        )
    }
    added: dict[Key, Message] = {}
    for m in plain:
        key = (m.serial, m.at, m.message_id)
        if m.serial in devices and key not in known and key not in added:
            added[key] = m
    Reading.objects.bulk_create(
        Reading(device_id=devices[m.serial], message_id=m.message_id, kind=m.kind, value=m.value, at=m.at, received_at=received_at)
        for m in added.values()
    )
    newest: dict[str, Message] = {}
    for m in plain:
        if m.serial in devices and (m.serial not in newest or m.at > newest[m.serial].at):
            newest[m.serial] = m
    for serial, m in newest.items():
        _seen(devices[serial], m.at, m.battery)
    return unknown, set(added)


def _seen(device_id: int, at: dt.datetime, battery: int | None) -> None:
    """Move a device's last seen forward (never back) by at least ELDERCARE_LAST_SEEN_STEP_SECONDS; take the battery
    level of a message no older than last seen."""
    moment = Value(at, DateTimeField())
    stale = Q(last_seen__isnull=True) | Q(last_seen__lte=at - _last_seen_step())
    fields: dict[str, Expression] = {"last_seen": Greatest(Coalesce("last_seen", moment), moment)}
    if battery is not None:
        newer = Q(last_seen__isnull=True) | Q(last_seen__lte=at)
        stale |= newer & (~Q(battery=battery) | Q(battery__isnull=True))
        fields["battery"] = Case(When(newer, then=Value(battery)), default="battery", output_field=Device._meta.get_field("battery"))
    Device.objects.filter(stale, pk=device_id).update(**fields)


def _store_alarm(m: Message, received_at: dt.datetime) -> Outcome:
    """A button press, a fall, smoke: the reading and its alarm, each its own savepoint (few, and never batched away)."""
    device = (
        Device.objects.select_related("elder")
        .only("serial", "kind", "elder__residence_id")
        .exclude(status=DeviceStatus.REMOVED)
        .filter(serial=m.serial)
        .first()
    )
    if device is None:
        return Outcome(m.serial, m.message_id, Delivery.REJECTED, UNKNOWN_DEVICE)
    try:
        with transaction.atomic():
            reading = Reading.objects.create(
                device=device, message_id=m.message_id, kind=m.kind, value=m.value, at=m.at, received_at=received_at
            )
            alarm = alarm_raise(
                elder_id=device.elder_id,
                region_code=device.elder.residence_id,
                source=ALARM_KINDS[m.kind],
                at=reading.at,
                received_at=reading.received_at,
                device=device,
                message_id=reading.message_id,
                note=f"{device.get_kind_display()} {device.serial}",
            )
    except IntegrityError:
        return Outcome(m.serial, m.message_id, Delivery.DUPLICATE)
    _seen(device.pk, m.at, m.battery)
    return Outcome(m.serial, m.message_id, Delivery.STORED, alarm_id=alarm.pk)
