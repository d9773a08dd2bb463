"""Keeping telemetry: raw readings for a while (ELDERCARE_READING_RETENTION_DAYS, 90 by default),
each device's days for good. A daily job rolls yesterday up, then purges what is past retention
(readings that raised an alarm are kept with it). On PostgreSQL both are single set-based statements;
at larger scale the readings table is the one to partition by month, and purging becomes dropping
a partition."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Sum
from django.utils import timezone

from .models import Alarm, DailyUsage, Reading


def _bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


@transaction.atomic
def readings_rollup(day: dt.date) -> int:
    """Each device's readings of `day` (Asia/Shanghai) as one row per kind; run again, it rewrites
    the day (late readings included). Returns the rows written."""
    start, end = _bounds(day)
    DailyUsage.objects.filter(day=day).delete()
    rows = (
        Reading.objects.filter(at__gte=start, at__lt=end)
        .values("device_id", "kind")
        .annotate(n=Count("message_id"), total=Sum("value"), first=Min("at"), last=Max("at"))
    )
    made = [
        DailyUsage(
            device_id=r["device_id"], day=day, kind=r["kind"], readings=r["n"], total=r["total"], first_at=r["first"], last_at=r["last"]
        )
        for r in rows
    ]
    DailyUsage.objects.bulk_create(made, batch_size=5_000)
    return len(made)


def readings_purge(*, today: dt.date | None = None, days: int | None = None) -> int:
    """Delete raw readings older than `days` whose day has been rolled up; those behind an alarm stay."""
    today = today or timezone.localdate()
    days = settings.ELDERCARE_READING_RETENTION_DAYS if days is None else days
    cutoff, _ = _bounds(today - dt.timedelta(days=days))
    rolled = DailyUsage.objects.aggregate(m=Max("day"))["m"]
    if rolled is None:
        return 0
    cutoff = min(cutoff, _bounds(rolled)[1])
    behind_alarm = Alarm.objects.filter(device_id=OuterRef("device_id"), raised_at=OuterRef("at"), message_id=OuterRef("message_id"))
    old = Reading.objects.filter(at__lt=cutoff).exclude(Exists(behind_alarm))
    if connection.vendor == "postgresql":
        deleted = old._raw_delete(old.db)  # no signals, no per-row cascade look-ups: readings have no dependants but alarms
    else:
        deleted, _ = old.delete()
    return deleted
