"""python manage.py audit_seal [--every 60]

Seals new audit rows into the hash chain (`core.chain`): once, or every N seconds. Several may run;
they take turns on the chain's head.
"""

import time

from django.core.management.base import BaseCommand

from eldercare.core.chain import seal_pending


class Command(BaseCommand):
    help = "封存审计记录（哈希链） / seal new audit rows into the hash chain"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0.0, help="repeat every N seconds (0: once)")

    def handle(self, *args, every, **options):
        while True:
            sealed = seal_pending()
            if sealed or not every:
                self.stdout.write(f"封存 sealed: {sealed}")
            if not every:
                return
            time.sleep(every)
