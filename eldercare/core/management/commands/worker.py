"""The background worker, made to survive its database or to die loudly.

`manage.py db_worker` (django-tasks-db) runs the worker loop in a thread under Django's autoreloader
when DEBUG is on: an exception out of the loop (SQLite's "database is locked" during a long export,
a PostgreSQL restart) ends the thread while the reloader keeps the process alive, so the worker looks
alive and runs nothing. This command runs the same loop in the main thread, without the reloader;
when the database is locked or unavailable it logs the error, waits and tries again (a growing wait,
up to `--retries` times in a row), and otherwise exits with status 1 after logging why, so whatever
started it (bin/demo, systemd) notices and restarts it.

    manage.py worker                   the default queue, as `db_worker` takes
    manage.py worker --retries 0       exit at the first database error
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import CommandError
from django.db import close_old_connections, connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("eldercare.worker")

# A database error retried: locked (SQLite), gone away or refusing connections (PostgreSQL).
RETRIED = (OperationalError, InterfaceError)
# A run of the loop this long without a database error resets the count of errors in a row.
HEALTHY_SECONDS = 60.0


class RetryingWorker(db_worker.Worker):
    def __init__(self, *, retries: int, retry_wait: float, **kwargs):
        super().__init__(**kwargs)
        self.retries = retries
        self.retry_wait = retry_wait

    def run(self) -> None:
        in_a_row = 0
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return
            except RETRIED as exc:
                if time.monotonic() - started > HEALTHY_SECONDS:
                    in_a_row = 0
                in_a_row += 1
                for conn in connections.all():
                    conn.close_if_unusable_or_obsolete()
                close_old_connections()
                if in_a_row > self.retries:
                    logger.critical("Background worker stopping: database error %d times in a row: %s", in_a_row, exc)
                    raise CommandError(f"database error {in_a_row} times in a row: {exc}", returncode=1) from exc
                wait = min(self.retry_wait * 2 ** (in_a_row - 1), 60.0)
                logger.error("Database unavailable (%s); retrying in %.0f s (%d of %d)", exc, wait, in_a_row, self.retries)
                time.sleep(wait)
            except DatabaseError as exc:
                logger.critical("Background worker stopping on a database error: %s", exc, exc_info=True)
                raise CommandError(f"database error: {exc}", returncode=1) from exc


class Command(db_worker.Command):
    help = "Run the background worker: retries a locked or unavailable database, exits 1 (logged) on anything else."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--retries", type=int, default=10, help="database errors in a row before giving up (default: 10)")
        parser.add_argument("--retry-wait", type=float, default=2.0, help="first wait in seconds, doubling (default: 2)")

    def handle(
        self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, max_tasks, worker_id, exclude_queues, **options
    ):
        self.configure_logging(verbosity)  # the platform's own messages go to the root handler (stderr)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = RetryingWorker(
            retries=max(options["retries"], 0),
            retry_wait=max(options["retry_wait"], 0.0),
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()
