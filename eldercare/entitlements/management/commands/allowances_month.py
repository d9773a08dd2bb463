"""python manage.py allowances_month [--month YYYY-MM] [--region CODE] [--now]

The month-start job (run it from cron or a systemd timer on the 1st, e.g. `5 0 1 * *`): queues the
issuance of this month for every city (monthly benefits) and of last month (stay-based benefits,
due once the month has ended), and the expiry sweep. A re-run issues only what is missing.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from eldercare.entitlements.models import IssuanceRun
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.entitlements.services.ledger import accounts_expire
from eldercare.entitlements.tasks import expire_allowances, issue_month
from eldercare.regions.models import Level, Region


class Command(BaseCommand):
    help = "发放本月及上月津贴并清理过期额度 / queue this month's and last month's issuance and the expiry sweep"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: this month)")
        parser.add_argument("--region", help="a region code (default: every city)")
        parser.add_argument("--now", action="store_true", help="run here and now instead of queueing tasks")

    def handle(self, *args, month, region, now, **options):
        try:
            current = dt.datetime.strptime(month, "%Y-%m").date() if month else timezone.localdate().replace(day=1)
        except ValueError:
            raise CommandError("--month is written YYYY-MM") from None
        previous = (current - dt.timedelta(days=1)).replace(day=1)
        regions = Region.objects.filter(code=region) if region else Region.objects.filter(level=Level.CITY)
        if not regions.exists():
            raise CommandError(f"no region {region}" if region else "no city in the region table")
        for place in regions.order_by("code"):
            for day in (previous, current):
                with transaction.atomic():
                    run = IssuanceRun.objects.create(region=place, month=day)
                    if not now:
                        transaction.on_commit(partial(issue_month.enqueue, run.pk))
                if now:
                    run = issuance_execute(run_id=run.pk)
                    self.stdout.write(
                        f"{place} {day:%Y-%m}: {run.get_status_display()}，新开 {run.accounts_opened:,} 个账户 / accounts opened"
                    )
                else:
                    self.stdout.write(f"{place} {day:%Y-%m}: 已排队 / queued (run {run.pk})")
        if now:
            self.stdout.write(f"过期清理 / expired: {accounts_expire():,}")
        else:
            expire_allowances.enqueue()
            self.stdout.write("过期清理已排队 / expiry sweep queued")
