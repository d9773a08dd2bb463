"""Early warning for elders living alone: the rules of `rules.yaml`, checked by a sweep.

Each rule is one set-based query over the homes it applies to (the newest relevant reading per
elder, or a day's totals against the home's own usual day), so a sweep of a city is a handful of
queries. A rule that fires opens one warning per elder (a database constraint keeps it to one while
open) and, for `alarm` rules, an alarm that escalates like any other.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone

from eldercare.core.datafiles import DataFileError, Node, load_yaml
from eldercare.elders.models import Elder, ElderGroup, ElderStatus, LivingStatus, PriorityGroup
from eldercare.elders.selectors import years_before

from .alarms import alarm_raise
from .models import AlarmSource, DailyUsage, Device, DeviceKind, DeviceStatus, EarlyWarning, Event, Reading, WarningAction, WarningStatus

RULES = Path(__file__).parent / "rules.yaml"
KINDS = {"no_activity", "gas_without_water", "silent", "baseline"}
COUNTED = {DeviceKind.DOOR, DeviceKind.MOTION}  # events that count by happening, not by a value
MEASURES = ("total", "active_hours")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    kind: str
    action: WarningAction
    devices: tuple[str, ...] = ()
    hours: float = 0
    minutes: float = 0
    start: dt.time = dt.time.min
    end: dt.time | None = None  # None: midnight
    days: int = 0
    min_days: int = 0
    share: float = 0.0
    measure: str = "total"  # baseline: a day's total use, or its active hours (clock hours with use)


def _clock(node: Node, key: str, default: str) -> dt.time | None:
    text = str(node.get(key, default))
    if text == "24:00":
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise node.at(key).error(DataFileError.BAD_VALUE, detail=f"expected HH:MM, got {text!r}") from None


def _number(node: Node, key: str) -> float:
    value = node.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise node.at(key).error(DataFileError.BAD_VALUE, detail=f"expected a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class WatchTerm:
    """One part of the watched population: every condition given must hold."""

    living_status: frozenset[str] = frozenset()
    min_age: int | None = None
    groups: frozenset[str] = frozenset()  # any of these priority groups, in force on the day


@dataclass(frozen=True)
class Watch:
    """Whom the rules watch: an elder any term describes."""

    terms: tuple[WatchTerm, ...]
    citation: str

    def q(self, today: dt.date) -> Q:
        found = Q(pk__in=[])
        for term in self.terms:
            q = Q()
            if term.living_status:
                q &= Q(living_status__in=term.living_status)
            if term.min_age is not None:
                q &= Q(birth_date__lte=years_before(today, term.min_age))
            if term.groups:
                q &= Q(pk__in=ElderGroup.objects.active_on(today).filter(group__in=term.groups).values("elder_id"))
            found |= q
        return found


def _watch(node: Node) -> Watch:
    terms = []
    for term in node.list("any_of"):
        statuses = term.strs("living_status") if term.has("living_status") else ()
        groups = term.strs("groups") if term.has("groups") else ()
        if unknown := [s for s in statuses if s not in LivingStatus.values]:
            raise term.at("living_status").error(DataFileError.UNKNOWN_NAME, kind="living status", name=", ".join(unknown))
        if unknown := [g for g in groups if g not in PriorityGroup.values]:
            raise term.at("groups").error(DataFileError.UNKNOWN_NAME, kind="priority group", name=", ".join(unknown))
        min_age = term.int("min_age") if term.has("min_age") else None
        if not (statuses or groups or min_age):
            raise term.error(DataFileError.BAD_VALUE, detail="a term needs living_status, min_age or groups")
        terms.append(WatchTerm(frozenset(statuses), min_age, frozenset(groups)))
    if not terms:
        raise node.at("any_of").error(DataFileError.BAD_VALUE, detail="at least one term")
    return Watch(tuple(terms), node.str("citation"))


@functools.cache
def load_rules(path: Path = RULES) -> tuple[Watch, tuple[Rule, ...]]:
    root = Node(load_yaml(path), path.name, "")
    root.str("source")
    applies = _watch(root.at("watch"))
    rules = []
    for node in root.list("rules"):
        kind = node.one_of("kind", KINDS, "rule kind")
        devices = node.strs("devices")
        if any(d not in DeviceKind.values for d in devices):
            raise node.at("devices").error(DataFileError.UNKNOWN_NAME, kind="device kind", name=", ".join(devices))
        rule = Rule(
            id=node.str("id"),
            name=node.str("name"),
            kind=kind,
            action=WarningAction(node.one_of("action", tuple(WarningAction.values), "action")),
            devices=devices,
            hours=_number(node, "hours"),
            minutes=_number(node, "minutes"),
            start=_clock(node, "from", "00:00") or dt.time.min,
            end=_clock(node, "until", "24:00"),
            days=int(_number(node, "days")),
            min_days=int(_number(node, "min_days")),
            share=_number(node, "share"),
            measure=node.one_of("measure", MEASURES, "baseline measure") if node.has("measure") else "total",
        )
        needed = {"no_activity": ("hours",), "gas_without_water": ("minutes",), "silent": ("hours",), "baseline": ("days", "share")}[kind]
        for key in needed:
            if getattr(rule, key) <= 0:
                raise node.at(key).error(DataFileError.BAD_VALUE, detail="must be positive")
        rules.append(rule)
    return applies, tuple(rules)


def _homes(applies: Watch, now: dt.datetime) -> QuerySet[Elder]:
    return Elder.objects.filter(applies.q(timezone.localdate(now)), status=ElderStatus.ACTIVE)


def _in_hours(rule: Rule, now: dt.datetime) -> bool:
    clock = timezone.localtime(now).time()
    return rule.start <= clock and (rule.end is None or clock < rule.end)


def _use(kinds: tuple[str, ...]) -> Q:
    """Readings that show use: any event of a door or motion sensor but its heartbeats (a sensor alive
    in an empty home), a positive value of a meter."""
    counted = [k for k in kinds if k in COUNTED]
    metered = [k for k in kinds if k not in COUNTED]
    return (Q(device__kind__in=counted) & ~Q(kind=Event.HEARTBEAT)) | Q(device__kind__in=metered, value__gt=0)


def observed_since(since: dt.datetime) -> Q:
    """Devices reporting at or before `since` (a reading then, or a kept day that began then, once raw
    readings are purged): the span from `since` on has been watched whole. One probe of the readings'
    primary key (device, time) per device."""
    earlier = Reading.objects.filter(device_id=OuterRef("pk"), at__lte=since)
    kept = DailyUsage.objects.filter(device_id=OuterRef("pk"), first_at__lte=since)
    return Q(Exists(earlier)) | Q(Exists(kept))


def _no_activity(rule: Rule, applies: Watch, now: dt.datetime) -> dict[int, str]:
    if not _in_hours(rule, now):
        return {}
    since = now - dt.timedelta(hours=rule.hours)
    # Homes whose devices are alive (heard from in the span) but show no use: a device that has gone
    # quiet itself is the `silent` rule's, not a sign of an elder not moving. And only devices that
    # were already reporting when the span opened: a span not watched whole says nothing (a meter
    # first heard from an hour ago has not seen eight hours without water).
    watched = set(
        Device.objects.filter(
            observed_since(since), kind__in=rule.devices, status=DeviceStatus.ACTIVE, last_seen__gte=since, elder__in=_homes(applies, now)
        ).values_list("elder_id", flat=True)
    )
    last = dict(
        Reading.objects.filter(_use(rule.devices), device__elder_id__in=watched)
        .values("device__elder_id")
        .annotate(m=Max("at"))
        .values_list("device__elder_id", "m")
    )
    found = {}
    for elder_id in watched:
        seen = last.get(elder_id)
        if seen is None or seen < since:
            when = timezone.localtime(seen).strftime("%m-%d %H:%M") if seen else "—"
            found[elder_id] = f"{rule.hours:g}小时无{'、'.join(str(DeviceKind(d).label) for d in rule.devices)}使用记录（最近：{when}）"
    return found


def _gas_without_water(rule: Rule, applies: Watch, now: dt.datetime) -> dict[int, str]:
    since = now - dt.timedelta(minutes=rule.minutes)
    homes = _homes(applies, now)
    gas = Reading.objects.filter(device__kind=DeviceKind.GAS, value__gt=0, at__gte=since, device__elder__in=homes)
    # Gas in use over the whole span: use readings at its start and its end (meters report every few minutes).
    counts = gas.values("device__elder_id").annotate(n=Count("message_id")).values_list("device__elder_id", "n")
    early = set(gas.filter(at__lt=since + dt.timedelta(minutes=rule.minutes / 4)).values_list("device__elder_id", flat=True))
    late = set(gas.filter(at__gte=now - dt.timedelta(minutes=rule.minutes / 4)).values_list("device__elder_id", flat=True))
    water = set(
        Reading.objects.filter(device__kind=DeviceKind.WATER, value__gt=0, at__gte=since, device__elder__in=homes).values_list(
            "device__elder_id", flat=True
        )
    )
    return {
        elder_id: f"燃气持续使用{rule.minutes:g}分钟以上，期间无用水（{n}条燃气读数）"
        for elder_id, n in counts
        if elder_id in early & late and elder_id not in water
    }


def _silent(rule: Rule, applies: Watch, now: dt.datetime) -> dict[int, str]:
    since = now - dt.timedelta(hours=rule.hours)
    quiet = Device.objects.filter(
        Q(last_seen__lt=since) | Q(last_seen__isnull=True, installed_at__lt=since), status=DeviceStatus.ACTIVE, elder__in=_homes(applies, now)
    )
    found: dict[int, list[str]] = {}
    for elder_id, serial, kind in quiet.values_list("elder_id", "serial", "kind"):
        found.setdefault(elder_id, []).append(f"{DeviceKind(kind).label}{serial}")
    return {e: f"超过{rule.hours:g}小时无上报：{'、'.join(devices)}" for e, devices in found.items()}


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def _day_measure(rule: Rule) -> Count | Sum:
    """What a day comes to: its active hours (distinct clock hours with use), or the meters' total
    use, or the number of door/motion events."""
    if rule.measure == "active_hours":
        return Count(TruncHour("at", tzinfo=timezone.get_current_timezone()), distinct=True)
    return Sum("value") if all(d not in COUNTED for d in rule.devices) else Count("message_id")


def baseline_usual(rule: Rule, elder_ids: Iterable[int] | QuerySet[Any], day: dt.date) -> dict[int, tuple[float, int]]:
    """Elder id → (the usual day's use over the `days` before `day`, days with data)."""
    start, _ = _day_bounds(day - dt.timedelta(days=rule.days))
    end, _ = _day_bounds(day)
    # One row per elder and (Asia/Shanghai) day, measured by the database.
    per_day = (
        Reading.objects.filter(_use(rule.devices), device__elder_id__in=elder_ids, at__gte=start, at__lt=end)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("device__elder_id", "day")
        .annotate(total=_day_measure(rule))
        .values_list("device__elder_id", "total")
    )
    totals: dict[int, list[float]] = {}
    for elder_id, total in per_day:
        totals.setdefault(elder_id, []).append(float(total or 0))
    return {e: (sum(days) / len(days), len(days)) for e, days in totals.items()}


def _baseline(rule: Rule, applies: Watch, now: dt.datetime) -> dict[int, str]:
    day = timezone.localtime(now).date() - dt.timedelta(days=1)  # judge yesterday, a whole day
    elder_ids = list(
        Device.objects.filter(kind__in=rule.devices, status=DeviceStatus.ACTIVE, elder__in=_homes(applies, now))
        .values_list("elder_id", flat=True)
        .distinct()
    )
    usual = baseline_usual(rule, elder_ids, day)
    start, end = _day_bounds(day)
    that_day = Reading.objects.filter(_use(rule.devices), device__elder_id__in=elder_ids, at__gte=start, at__lt=end).values(
        "device__elder_id"
    )
    totals = dict(that_day.annotate(t=_day_measure(rule)).values_list("device__elder_id", "t"))
    found = {}
    for elder_id, (mean, days) in usual.items():
        if days < rule.min_days or mean <= 0:
            continue
        used = float(totals.get(elder_id) or 0)
        if used < rule.share * mean:
            if rule.measure == "active_hours":
                found[elder_id] = f"{day:%m-%d}有活动的时段{used:g}个小时，平日约{mean:.1f}个（近{days}天均值）"
            else:
                found[elder_id] = f"{day:%m-%d}用量{used:g}，平日约{mean:.1f}（近{days}天均值）"
    return found


def _open_visits(rule: Rule, caught: dict[int, str], residence: dict[int, str], now: dt.datetime) -> list[EarlyWarning]:
    """Visit warnings in one insert (a first sweep over newly installed devices may open thousands).
    A warning another sweep opened meanwhile is skipped by the one-open constraint."""
    before = EarlyWarning.objects.aggregate(m=Max("pk"))["m"] or 0
    EarlyWarning.objects.bulk_create(
        [
            EarlyWarning(elder_id=e, rule=rule.id, detail=d[:300], action=rule.action, region_id=residence[e], created_at=now)
            for e, d in caught.items()
        ],
        batch_size=5_000,
        ignore_conflicts=True,
    )
    return list(EarlyWarning.objects.filter(pk__gt=before, rule=rule.id, created_at=now))  # this sweep's


CHECKS = {"no_activity": _no_activity, "gas_without_water": _gas_without_water, "silent": _silent, "baseline": _baseline}


def warnings_sweep(*, now: dt.datetime | None = None) -> list[EarlyWarning]:
    """Check every rule; open a warning (and an alarm for alarm rules) for each elder newly caught.
    A system job (every few minutes). Returns the warnings opened."""
    now = now or timezone.now()
    applies, rules = load_rules()
    opened = []
    for rule in rules:
        caught = CHECKS[rule.kind](rule, applies, now)
        if not caught:
            continue
        already = set(
            EarlyWarning.objects.filter(rule=rule.id, status=WarningStatus.OPEN, elder_id__in=list(caught)).values_list("elder_id", flat=True)
        )
        residence = dict(Elder.objects.filter(pk__in=list(caught)).values_list("pk", "residence_id"))
        new = {elder_id: detail for elder_id, detail in caught.items() if elder_id not in already}
        if rule.action == WarningAction.VISIT:
            opened += _open_visits(rule, new, residence, now)
            continue
        for elder_id, detail in new.items():
            try:
                with transaction.atomic(durable=True):  # each warning (and its alarm) committed on its own
                    alarm = None
                    if rule.action == WarningAction.ALARM:
                        alarm = alarm_raise(
                            elder_id=elder_id, region_code=residence[elder_id], source=AlarmSource.WARNING,
                            at=now, received_at=now, detail=f"{rule.name}：{detail}", note=rule.name,
                        )  # fmt: skip
                    opened.append(
                        EarlyWarning.objects.create(
                            elder_id=elder_id,
                            rule=rule.id,
                            detail=detail[:300],
                            action=rule.action,
                            region_id=residence[elder_id],
                            alarm=alarm,
                            created_at=now,
                        )
                    )
            except IntegrityError:
                continue  # another sweep opened it first
    return opened
