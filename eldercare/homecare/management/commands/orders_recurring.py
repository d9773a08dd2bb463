"""python manage.py orders_recurring [--now]

The daily job (cron, e.g. `10 0 * * *`): queues the task that turns standing orders' occurrences
of the next fortnight into orders; `--now` runs it here instead.
"""

from django.core.management.base import BaseCommand

from eldercare.homecare.services.recurrences import recurrences_generate
from eldercare.homecare.tasks import generate_recurring_orders


class Command(BaseCommand):
    help = "生成周期服务工单 / turn standing orders into orders for the next fortnight"

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="run here and now instead of queueing the task")

    def handle(self, *args, now, **options):
        if now:
            self.stdout.write(f"新建工单 / orders created: {recurrences_generate():,}")
        else:
            generate_recurring_orders.enqueue()
            self.stdout.write("已排队 / queued")
