"""python manage.py readings_maintain [--day YYYY-MM-DD]

The daily telemetry job (cron, e.g. `30 0 * * *`): roll yesterday's readings up per device and day,
then purge raw readings past ELDERCARE_READING_RETENTION_DAYS.
"""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from eldercare.devices.retention import readings_purge, readings_rollup


class Command(BaseCommand):
    help = "设备读数汇总与清理 / roll readings up and purge old ones"

    def add_arguments(self, parser):
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, day, **options):
        day = day or timezone.localdate() - dt.timedelta(days=1)
        rows = readings_rollup(day)
        purged = readings_purge()
        self.stdout.write(f"{day}: 汇总 {rows:,} 行 rolled up; 清理 {purged:,} 条 purged")
