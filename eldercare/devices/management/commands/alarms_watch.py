"""python manage.py alarms_watch [--every 5] [--once]

Escalates unacknowledged alarms along their contact chains every few seconds. Several may run:
each sweep claims its alarms with SKIP LOCKED.
"""

import time

from django.core.management.base import BaseCommand

from eldercare.devices.alarms import alarms_escalate


class Command(BaseCommand):
    help = "告警升级巡检 / escalate unacknowledged alarms"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=5.0)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, every, once, **options):
        while True:
            count = alarms_escalate()
            if count or once:
                self.stdout.write(f"升级 escalated: {count}")
            if once:
                return
            time.sleep(every)
