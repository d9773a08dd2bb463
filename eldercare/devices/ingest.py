"""Reading device messages, whatever way they come (MQTT, an HTTP gateway), into the database.

The wire format (docs/devices.md): a JSON object
    {"msg_id": "<the device's id for it>", "ts": "<ISO 8601 with offset> | <epoch milliseconds>",
     "kind": "button|fall|smoke|water|gas|door|motion|bed_exit|heartbeat",
     "value": <number, optional>, "battery": <0-100, optional>, "device": "<serial, optional on MQTT>"}
on the topic `eldercare/devices/<serial>/up`, or a list of them (each with "device") from a gateway.

`store` is idempotent by (device, ts, msg_id), the readings' primary key: a message seen before
(a device repeats a message unchanged) is reported a duplicate and changes nothing. Event time
(`ts`) is kept apart from arrival time; a device's "last seen" only moves forward, so a late
message cannot make a live device look silent.

`read` takes a payload message by message: one that cannot be stored (a field missing, a time far
from now) is `Refused` with the reason and kept as a dead letter, and the others of its batch go on.
A payload that cannot be read at all (too large, not JSON) raises `Rejected`. Whatever is refused is
acknowledged as such, under the message's own id or, where it has none that can be read, an id
derived from its bytes (`derived_id`), so the sender can stop repeating it.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DateTimeField, Expression, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from eldercare.core.errors import Err

from .alarms import AlarmRaise, alarm_raise, alarms_raise
from .models import AlarmSource, DeadLetter, Device, DeviceKind, DeviceStatus, Event, Reading

KINDS = set(Event.values)
ALARM_KINDS = {"button": AlarmSource.BUTTON, "fall": AlarmSource.FALL, "smoke": AlarmSource.SMOKE}
MAX_FUTURE = dt.timedelta(minutes=5)  # device clocks drift; further ahead is a broken clock
# The oldest event time taken (ELDERCARE_DEVICE_MAX_AGE_DAYS): a reading older than raw readings are kept
# would be purged before it was ever rolled up; older still is a clock that was never set. The largest
# payload read: a message is a few hundred bytes (ELDERCARE_DEVICE_MAX_PAYLOAD_BYTES); a gateway's batch
# some thousands of them (ELDERCARE_GATEWAY_MAX_PAYLOAD_BYTES).
KEEP_BYTES = 10_000  # of a dead letter's payload: enough to see what it was, however much was sent
# A batch this small is looked up for what is stored already before anything is written: a device's
# repeats, a backlog after a restart, answered with no write transaction. Larger batches (gateways'
# telemetry, mostly new) look up only their alarms: their readings' insert turns repeats away anyway.
LOOKUP_MAX = 100

ERR_TOO_LARGE = Err("devices.too_large", "消息过大：{size}字节，上限{limit}字节 / too large: {size} bytes, at most {limit}")
ERR_NOT_JSON = Err("devices.unreadable", "不是UTF-8 JSON / not UTF-8 JSON: {error}")
ERR_NOT_MESSAGES = Err("devices.unreadable", "须为JSON对象或对象的列表 / a JSON object, or a list of them")
ERR_NOT_OBJECT = Err("devices.message", "消息须为JSON对象 / a message is a JSON object")
ERR_DEVICE_MISMATCH = Err("devices.device", "device: 与主题中的设备{serial}不符 / does not match the topic's device {serial}")
ERR_DEVICE = Err("devices.device", "device: 缺少设备编号，或不是1至64个字符 / missing, or not 1 to 64 characters")
ERR_MSG_ID = Err("devices.msg_id", "msg_id: 须为1至64个字符（不含NUL） / 1 to 64 characters (no NUL)")
ERR_KIND = Err("devices.kind", "kind: 未知事件 {kind} / unknown kind")
ERR_TS_MISSING = Err("devices.ts", "ts: 缺少时间 / missing time")
ERR_TS_NOT_TIME = Err("devices.ts", "ts: 不是时间 / not a time")
ERR_TS_UNREADABLE = Err("devices.ts", "ts: 无法解析的时间 / unreadable time {value}")
ERR_TS_NO_OFFSET = Err("devices.ts", "ts: 缺少时区 / the time has no UTC offset")
ERR_TS_RANGE = Err("devices.ts", "ts: 超出可表示的时间范围 / past any time that can be kept")
ERR_TS_FUTURE = Err("devices.ts", "ts: 时间在未来 / the time is in the future")
ERR_TS_OLD = Err("devices.ts", "ts: 早于{days}天前，设备时钟有误？ / more than {days} days ago: is the device's clock set?")
ERR_VALUE = Err("devices.value", "value: 须为数字 / must be a number")
ERR_BATTERY = Err("devices.battery", "battery: 须为0至100 / must be 0 to 100")
UNKNOWN_DEVICE = Err("devices.unknown_device", "未登记的设备 / unknown device")


def max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.ELDERCARE_DEVICE_MAX_AGE_DAYS)


def device_payload_max() -> int:
    return int(settings.ELDERCARE_DEVICE_MAX_PAYLOAD_BYTES)


def gateway_payload_max() -> int:
    return int(settings.ELDERCARE_GATEWAY_MAX_PAYLOAD_BYTES)


class Rejected(ValueError):
    """A message (or a whole payload) that cannot be read; the reason (an `Err`, with its code) is kept with it."""

    @property
    def reason(self) -> str:
        reason = self.args[0] if self.args else ""
        return reason if isinstance(reason, str) else str(reason)


class Message(NamedTuple):
    serial: str
    message_id: str
    kind: str
    at: dt.datetime
    value: float | None = None
    battery: int | None = None


class Refused(NamedTuple):
    """A message of a payload that cannot be stored: kept as a dead letter, acknowledged as rejected.
    `serial` and `message_id` as it gave them where they can be read (else "" and `derived_id(payload)`);
    `payload` its bytes (of a batch, the message alone)."""

    serial: str
    message_id: str
    reason: str
    payload: bytes


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


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def derived_id(payload: bytes) -> str:
    """The id a message is acknowledged under when it has no `msg_id` that can be read: "sha256:" and the
    hex SHA-256 of the bytes sent (a device works out the same to match the acknowledgement)."""
    return "sha256:" + digest(payload)


def _fits(text: object) -> bool:
    """A serial or message id that can be stored: 1 to 64 characters, none NUL (PostgreSQL text cannot hold it)."""
    return isinstance(text, str) and 0 < len(text) <= 64 and "\x00" not in text


def _time(raw: object, *, earliest: dt.datetime, latest: dt.datetime) -> dt.datetime:
    if isinstance(raw, bool):
        raise Rejected(ERR_TS_NOT_TIME)
    if isinstance(raw, (int, float)):
        try:
            moment = dt.datetime.fromtimestamp(raw / 1000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):  # NaN, infinite, or past what a datetime (or time_t) holds
            raise Rejected(ERR_TS_RANGE) from None
    elif isinstance(raw, str):
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise Rejected(ERR_TS_UNREADABLE.format(value=repr(raw[:40]))) from None
        if moment.tzinfo is None:
            raise Rejected(ERR_TS_NO_OFFSET)
    else:
        raise Rejected(ERR_TS_MISSING)
    # Bounded both ways, so every time kept is one the database (and Python, in UTC) can hold: year 1
    # at +08:00 is year 0 in UTC, which is neither's.
    if moment > latest:
        raise Rejected(ERR_TS_FUTURE)
    if moment < earliest:
        raise Rejected(ERR_TS_OLD.format(days=max_age().days))
    return moment


def parse_one(data: object, *, serial: str | None = None, now: dt.datetime | None = None) -> Message:
    """One message of the wire format, checked field by field; Rejected names the field.
    `now`: the platform's time the window of event times is counted from, taken once per payload."""
    if not isinstance(data, dict):
        raise Rejected(ERR_NOT_OBJECT)
    device = data.get("device", serial)
    if serial is not None and device != serial:
        raise Rejected(ERR_DEVICE_MISMATCH.format(serial=serial))
    if not _fits(device):
        raise Rejected(ERR_DEVICE)
    message_id = data.get("msg_id")
    if not _fits(message_id):
        raise Rejected(ERR_MSG_ID)
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise Rejected(ERR_KIND.format(kind=repr(kind)[:40]))
    now = now or timezone.now()
    at = _time(data.get("ts"), earliest=now - max_age(), latest=now + MAX_FUTURE)
    value = data.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
        raise Rejected(ERR_VALUE)
    battery = data.get("battery")
    if battery is not None and (isinstance(battery, bool) or not isinstance(battery, int) or not 0 <= battery <= 100):
        raise Rejected(ERR_BATTERY)
    assert isinstance(device, str) and isinstance(message_id, str)  # _fits said so
    return Message(device, message_id, kind, at, None if value is None else float(value), battery)


def read(payload: bytes, *, serial: str | None = None) -> list[Message | Refused]:
    """A payload's messages, each read or refused on its own, in order: on a device's topic (`serial`) one
    message, from a gateway a list of them. Raises Rejected when the payload cannot be read at all: larger
    than a device's message or a gateway's batch may be (it is not even parsed), not JSON, not objects."""
    limit = device_payload_max() if serial is not None else gateway_payload_max()
    if len(payload) > limit:
        raise Rejected(ERR_TOO_LARGE.format(size=len(payload), limit=limit))
    try:
        data = orjson.loads(payload)  # strict JSON: no NaN or Infinity readings, UTF-8 only
    except orjson.JSONDecodeError as exc:
        raise Rejected(ERR_NOT_JSON.format(error=exc)[:300]) from None
    if isinstance(data, dict):
        items, single = [data], True
    elif isinstance(data, list):
        items, single = data, False
    else:
        raise Rejected(ERR_NOT_MESSAGES)
    now = timezone.now()
    read_back: list[Message | Refused] = []
    for item in items:
        try:
            read_back.append(parse_one(item, serial=serial, now=now))
        except Rejected as exc:
            raw = payload if single else orjson.dumps(item)
            fields = item if isinstance(item, dict) else {}
            device = serial if serial is not None else fields.get("device")
            message_id = fields.get("msg_id")
            read_back.append(
                Refused(
                    device if isinstance(device, str) and _fits(device) else "",
                    message_id if isinstance(message_id, str) and _fits(message_id) else derived_id(raw),
                    exc.reason,
                    raw,
                )
            )
    return read_back


def parse(payload: bytes, *, serial: str | None = None) -> list[Message]:
    """One message, or a gateway's list of them, all readable: Rejected for the first that is not."""
    messages = []
    for item in read(payload, serial=serial):
        if isinstance(item, Refused):
            raise Rejected(item.reason)
        messages.append(item)
    return messages


def _text(payload: bytes) -> str:
    """A payload as text that any database keeps: bytes that are not UTF-8 as backslash escapes, NUL
    included (PostgreSQL text cannot hold NUL); cut to KEEP_BYTES."""
    return payload[:KEEP_BYTES].decode("utf-8", "backslashreplace").replace("\x00", "\\x00")[:KEEP_BYTES]


def dead_letters(source: str, letters: Iterable[tuple[bytes, str]]) -> None:
    """Keep unreadable messages (payload, reason) from one source, each once: the same bytes again (a
    device repeating it, a gateway repeating its batch) add nothing. A payload is kept cut short."""
    rows: dict[str, DeadLetter] = {}
    for payload, reason in letters:
        key = digest(payload)
        rows.setdefault(key, DeadLetter(source=source[:200], payload=_text(payload), reason=reason[:300], digest=key))
    if rows:
        DeadLetter.objects.bulk_create(rows.values(), ignore_conflicts=True)


def dead_letter(source: str, payload: bytes, reason: str) -> None:
    """Keep one unreadable message with the reason (once per source and bytes)."""
    dead_letters(source, [(payload, reason)])


def deliver(source: str, items: Sequence[Message | Refused]) -> list[Outcome]:
    """What `read` made of a payload: the refused kept as dead letters, the rest stored. One outcome per item, in order."""
    dead_letters(source, [(item.payload, item.reason) for item in items if isinstance(item, Refused)])
    stored = iter(store([item for item in items if isinstance(item, Message)]))
    return [
        Outcome(item.serial, item.message_id, Delivery.REJECTED, item.reason) if isinstance(item, Refused) else next(stored)
        for item in items
    ]


def store(messages: Sequence[Message], *, received_at: dt.datetime | None = None) -> list[Outcome]:
    """Persist a batch (readings, alarms, devices' last seen), committed when this returns, so the caller
    may then acknowledge every message to its device. One outcome per message, in order.

    What is stored already is found first, by one read (`LOOKUP_MAX`), and answered as a duplicate with no
    write transaction: after a restart a consumer's backlog is mostly the repeats devices sent meanwhile.
    A copy of a message later in the same batch has the first copy's outcome (a duplicate if it was stored)."""
    if not messages:
        return []
    received_at = received_at or timezone.now()
    known = _known(messages if len(messages) <= LOOKUP_MAX else [m for m in messages if m.kind in ALARM_KINDS])
    fresh: dict[Key, Message] = {}
    for m in messages:
        key = (m.serial, m.at, m.message_id)
        if key not in known:
            fresh.setdefault(key, m)
    first = dict(zip(fresh, _store(list(fresh.values()), received_at), strict=True)) if fresh else {}
    outcomes = []
    for m in messages:
        key = (m.serial, m.at, m.message_id)
        if key in known:
            outcomes.append(Outcome(m.serial, m.message_id, Delivery.DUPLICATE))
            continue
        outcomes.append(outcome := first[key])
        if outcome.status == Delivery.STORED:  # a later copy in this batch is a duplicate of this one
            first[key] = Outcome(m.serial, m.message_id, Delivery.DUPLICATE)
    return outcomes


_KNOWN = """
SELECT k.serial, k.at, k.message_id
FROM unnest(%(serials)s::text[], %(ats)s::timestamptz[], %(ids)s::text[]) AS k(serial, at, message_id)
JOIN {device} d ON d.serial = k.serial AND d.status <> %(removed)s
WHERE EXISTS (SELECT FROM {reading} r WHERE r.device_id = d.id AND r.at = k.at AND r.message_id = k.message_id)
"""


def _known(messages: Sequence[Message]) -> set[Key]:
    """Which of these messages are stored already (from a device still in use): one read, each key an index probe."""
    if not messages:
        return set()
    keys = {(m.serial, m.at, m.message_id) for m in messages}
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        serials, ats, ids = (list(column) for column in zip(*keys, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                _KNOWN.format(device=qn(Device._meta.db_table), reading=qn(Reading._meta.db_table)),
                {"serials": serials, "ats": ats, "ids": ids, "removed": DeviceStatus.REMOVED},
            )
            return {(serial, at, message_id) for serial, at, message_id in cursor.fetchall()}
    found = (
        Reading.objects.filter(device__serial__in={k[0] for k in keys}, message_id__in={k[2] for k in keys})
        .exclude(device__status=DeviceStatus.REMOVED)
        .values_list("device__serial", "at", "message_id")
    )
    return {key for key in found if key in keys}


# Durable: when it returns, what it stored is committed, so the caller may acknowledge to the device.
@transaction.atomic(durable=True)
def _store(messages: list[Message], received_at: dt.datetime) -> list[Outcome]:
    """Store messages not seen before, in one transaction; one outcome per message, in order."""
    plain = [m for m in messages if m.kind not in ALARM_KINDS]
    unknown, added = (_store_plain_postgres if connection.vendor == "postgresql" else _store_plain)(plain, received_at)
    alarming = [m for m in messages if m.kind in ALARM_KINDS]
    raised = _store_alarms(alarming, received_at) if alarming else {}
    outcomes = []
    for m in messages:
        key = (m.serial, m.at, m.message_id)
        if m.kind in ALARM_KINDS:
            outcomes.append(raised[key])
        elif m.serial in unknown:
            outcomes.append(Outcome(m.serial, m.message_id, Delivery.REJECTED, UNKNOWN_DEVICE))
        elif key in added:
            added.discard(key)  # a second copy in the same batch is a duplicate
            outcomes.append(Outcome(m.serial, m.message_id, Delivery.STORED))
        else:
            outcomes.append(Outcome(m.serial, m.message_id, Delivery.DUPLICATE))
    return outcomes


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


def _store_alarms(alarming: list[Message], received_at: dt.datetime) -> dict[Key, Outcome]:
    """Button presses, falls, smoke (each once: `store` has taken repeats out): the readings and their
    alarms in bulk, in one savepoint. Should another consumer have stored one meanwhile (a repeat racing
    its original), each again in a savepoint of its own."""
    devices = {
        d.serial: d
        for d in Device.objects.select_related("elder")
        .only("serial", "kind", "last_seen", "battery", "elder__residence_id")
        .exclude(status=DeviceStatus.REMOVED)
        .filter(serial__in={m.serial for m in alarming})
    }
    outcomes = {(m.serial, m.at, m.message_id): Outcome(m.serial, m.message_id, Delivery.REJECTED, UNKNOWN_DEVICE) for m in alarming}
    known = [m for m in alarming if m.serial in devices]
    try:
        with transaction.atomic():
            Reading.objects.bulk_create(
                Reading(device=devices[m.serial], message_id=m.message_id, kind=m.kind, value=m.value, at=m.at, received_at=received_at)
                for m in known
            )
            labels = {kind: str(DeviceKind(kind).label) for kind in {devices[m.serial].kind for m in known}}
            alarms = alarms_raise([_raising(m, devices[m.serial], received_at, labels) for m in known])
        for m, alarm in zip(known, alarms, strict=True):
            outcomes[(m.serial, m.at, m.message_id)] = Outcome(m.serial, m.message_id, Delivery.STORED, alarm_id=alarm.pk)
    except IntegrityError:
        for m in known:
            outcomes[(m.serial, m.at, m.message_id)] = _store_alarm(m, devices[m.serial], received_at)
    newest: dict[str, Message] = {}
    for m in known:
        if outcomes[(m.serial, m.at, m.message_id)].status == Delivery.STORED and (m.serial not in newest or m.at > newest[m.serial].at):
            newest[m.serial] = m
    for serial, m in newest.items():
        device = devices[serial]
        # Most presses come from a device seen within the step (its heartbeats): no update. `_seen` judges
        # again on the row, which only moves forward, so a snapshot that is out of date is safe to skip by.
        if device.last_seen is None or device.last_seen <= m.at - _last_seen_step() or _new_battery(device, m):
            _seen(device.pk, m.at, m.battery)
    return outcomes


def _new_battery(device: Device, m: Message) -> bool:
    return m.battery is not None and (device.last_seen is None or device.last_seen <= m.at) and device.battery != m.battery


def _raising(m: Message, device: Device, received_at: dt.datetime, labels: dict[str, str]) -> AlarmRaise:
    """`labels`: each device kind's name, translated once for a batch (not once for each press)."""
    return AlarmRaise(
        elder_id=device.elder_id,
        region_code=device.elder.residence_id,
        source=ALARM_KINDS[m.kind],
        at=m.at,
        received_at=received_at,
        device=device,
        message_id=m.message_id,
        note=f"{labels[device.kind]} {device.serial}",
    )


def _store_alarm(m: Message, device: Device, received_at: dt.datetime) -> Outcome:
    """One alarm in a savepoint of its own: a duplicate if its reading is there already."""
    try:
        with transaction.atomic():
            Reading.objects.create(device=device, message_id=m.message_id, kind=m.kind, value=m.value, at=m.at, received_at=received_at)
            alarm = alarm_raise(**_raising(m, device, received_at, {device.kind: device.get_kind_display()})._asdict())
    except IntegrityError:  # stored meanwhile by another consumer
        return Outcome(m.serial, m.message_id, Delivery.DUPLICATE)
    return Outcome(m.serial, m.message_id, Delivery.STORED, alarm_id=alarm.pk)
