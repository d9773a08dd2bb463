"""Telemetry is kept raw for the retention period and as daily rows for good."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management import call_command
from django.utils import timezone

from eldercare.devices.ingest import parse, store
from eldercare.devices.models import Alarm, DailyUsage, Reading
from eldercare.devices.retention import readings_purge, readings_rollup

DAY = timezone.localdate() - dt.timedelta(days=30)  # recent: older event times are refused (ELDERCARE_DEVICE_MAX_AGE_DAYS)


def at(day: dt.date, hour: int) -> str:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour))).isoformat()


def test_rollup_then_purge(home):
    batch = [{"device": "WTR-0001", "msg_id": f"w{h}", "kind": "water", "ts": at(DAY, h), "value": 2.5} for h in (7, 12, 19)]
    batch.append({"device": "BTN-0001", "msg_id": "press", "kind": "button", "ts": at(DAY, 9)})
    store(parse(json.dumps(batch).encode()))
    assert readings_rollup(DAY) == 2
    water = DailyUsage.objects.get(kind="water")
    assert (water.readings, water.total, timezone.localtime(water.first_at).hour, timezone.localtime(water.last_at).hour) == (3, 7.5, 7, 19)
    assert readings_rollup(DAY) == 2  # again: rewritten, not doubled
    assert DailyUsage.objects.count() == 2
    assert readings_purge(today=DAY + dt.timedelta(days=89)) == 0  # still within 90 days
    assert readings_purge(today=DAY + dt.timedelta(days=91)) == 3
    assert list(Reading.objects.values_list("message_id", flat=True)) == ["press"]  # the alarm keeps its reading
    reading = Alarm.objects.get().reading
    assert reading is not None and reading.message_id == "press"


def test_nothing_is_purged_before_it_is_rolled_up(home, capsys, settings):
    settings.ELDERCARE_READING_RETENTION_DAYS = 10  # DAY, a month ago, is past it
    store(parse(json.dumps([{"device": "WTR-0001", "msg_id": "old", "kind": "water", "ts": at(DAY, 8), "value": 1}]).encode()))
    assert readings_purge(today=DAY + dt.timedelta(days=200)) == 0
    call_command("readings_maintain", "--day", str(DAY))  # rolls the day up, then purges
    assert "清理 1 条" in capsys.readouterr().out
    assert not Reading.objects.exists()
    assert DailyUsage.objects.get().readings == 1
