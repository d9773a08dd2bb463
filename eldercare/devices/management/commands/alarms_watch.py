"""python manage.py alarms_watch [--every 5] [--warnings-every 300] [--once]

Escalates unacknowledged alarms along their contact chains every few seconds, and checks the early
warning rules every few minutes. Several may run: each sweep claims its alarms with SKIP LOCKED, and
a warning is opened once (a database constraint).
"""

import time

from django.core.management.base import BaseCommand

from eldercare.devices.alarms import alarms_escalate
from eldercare.devices.warnings import warnings_sweep


class Command(BaseCommand):
    help = "告警升级与异常预警巡检 / escalate alarms and check the early-warning rules"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=5.0)
        parser.add_argument("--warnings-every", type=float, default=300.0)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, every, warnings_every, once, **options):
        last_warnings = 0.0
        while True:
            escalated = alarms_escalate()
            opened = []
            if once or time.monotonic() - last_warnings >= warnings_every:
                opened = warnings_sweep()
                last_warnings = time.monotonic()
            if escalated or opened or once:
                self.stdout.write(f"升级 escalated: {escalated}; 新预警 warnings: {len(opened)}")
            if once:
                return
            time.sleep(every)
