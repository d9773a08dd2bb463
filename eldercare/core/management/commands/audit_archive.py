"""python manage.py audit_archive [--before YYYY-MM-DD] [--dir PATH]

Moves sealed audit rows older than the retention period (ELDERCARE_AUDIT_RETENTION_DAYS, at least
180 days) to a gzip JSON-lines file in ELDERCARE_AUDIT_ARCHIVE_DIR and deletes them from the
database; the chain goes on from the archive. Keep the files on write-once storage.
"""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from eldercare.core.chain import ArchiveRefused, archive, retention_days


class Command(BaseCommand):
    help = "归档过期审计记录 / archive audit rows past the retention period"

    def add_arguments(self, parser):
        parser.add_argument("--before", type=dt.date.fromisoformat, help="archive rows written before this day")
        parser.add_argument("--dir", type=Path, default=None)

    def handle(self, *args, before, dir, **options):
        if before is None:
            cutoff = timezone.now() - dt.timedelta(days=retention_days())
        else:
            cutoff = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
        directory = dir or Path(settings.ELDERCARE_AUDIT_ARCHIVE_DIR)
        try:
            record = archive(before=cutoff, directory=directory)
        except ArchiveRefused as exc:
            raise CommandError(str(exc)) from exc
        if record is None:
            self.stdout.write("没有可归档的记录 / nothing to archive")
        else:
            self.stdout.write(f"已归档 archived: {record.rows} → {record.file_name} (sha256 {record.file_sha256})")
