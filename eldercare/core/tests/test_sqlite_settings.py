"""The embedded default (SQLite) survives its own concurrency: WAL, a busy timeout and writers that
queue for the lock (BEGIN IMMEDIATE) instead of failing with "database is locked"."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# A separate process opens the settings' own SQLite file (not the test database, which is in memory)
# exactly as the platform would, and reports what SQLite says.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as c:
    c.execute("PRAGMA journal_mode"); mode = c.fetchone()[0]
    c.execute("PRAGMA busy_timeout"); busy = c.fetchone()[0]
print(json.dumps({"engine": settings.DATABASES["default"]["ENGINE"], "options": settings.DATABASES["default"].get("OPTIONS", {}),
                  "journal_mode": mode, "busy_timeout": busy, "transaction_mode": getattr(connection, "transaction_mode", None)}))
"""


def probe(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELDERCARE_") and k != "DATABASE_URL"}
    clean |= {"DJANGO_SETTINGS_MODULE": "eldercare.settings", "ELDERCARE_VAR_DIR": str(tmp_path), "ELDERCARE_DEBUG": "1"} | env
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_default_sqlite_file_is_in_wal_mode_with_a_busy_timeout(tmp_path):
    found = probe(tmp_path)
    assert found["engine"] == "eldercare.core.sqlite"
    assert found["journal_mode"] == "wal"
    assert found["busy_timeout"] == 20_000  # milliseconds: a writer waits 20 s for the lock
    assert found["transaction_mode"] == "IMMEDIATE"
    assert (tmp_path / "eldercare.sqlite3").exists()


def test_a_sqlite_database_url_gets_the_same_options(tmp_path):
    found = probe(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert found["journal_mode"] == "wal"
    assert found["options"]["transaction_mode"] == "IMMEDIATE"


def test_postgresql_gets_none_of_the_sqlite_options(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELDERCARE_") and k != "DATABASE_URL"}
    clean |= {
        "DJANGO_SETTINGS_MODULE": "eldercare.settings",
        "ELDERCARE_VAR_DIR": str(tmp_path),
        "ELDERCARE_DEBUG": "1",
        "DATABASE_URL": "postgres://u@db.invalid:5432/eldercare",
    }
    code = "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert "init_command" not in options and "transaction_mode" not in options and "timeout" not in options


def test_a_writer_waits_for_a_long_write_instead_of_failing(tmp_path):
    """A long transaction (an export, an issuance) holds the write lock; a second writer queues for it
    (busy timeout) rather than dying with "database is locked", and a reader is never blocked (WAL)."""
    import sqlite3

    from django.conf import settings

    path = tmp_path / "busy.sqlite3"
    options = settings.DATABASES["default"].get("OPTIONS") or {}
    if settings.DATABASES["default"]["ENGINE"] != "eldercare.core.sqlite":
        # On PostgreSQL the settings carry no SQLite options; read them the way SQLite would get them.
        options = probe(tmp_path)["options"]

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=options["timeout"], isolation_level=None, check_same_thread=False)
        for command in options["init_command"].split(";"):
            if command.strip():
                conn.execute(command)
        return conn

    first, second, reader = connect(), connect(), connect()
    first.execute("CREATE TABLE t (n INTEGER)")
    first.execute(f"BEGIN {options['transaction_mode']}")
    first.execute("INSERT INTO t VALUES (1)")
    done: list[float] = []

    def write() -> None:
        started = time.monotonic()
        second.execute(f"BEGIN {options['transaction_mode']}")
        second.execute("INSERT INTO t VALUES (2)")
        second.execute("COMMIT")
        done.append(time.monotonic() - started)

    waiting = threading.Thread(target=write)
    waiting.start()
    time.sleep(0.5)
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 0  # the reader is not blocked
    assert not done  # the second writer is waiting for the lock, not failed
    first.execute("COMMIT")
    waiting.join(timeout=10)
    assert done and done[0] >= 0.4
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 2


# A process starting while another holds the write lock: Django's JSON probe must not wait for it
# (in IMMEDIATE mode it would, past the busy timeout, and then refuse every JSONField: no server).
STARTS_WHILE_LOCKED = """
import django, time
django.setup()
from django.core.management import call_command
from django.db import connection
started = time.monotonic()
call_command("check")
print(connection.features.supports_json_field, round(time.monotonic() - started, 1))
"""


def test_the_platform_starts_while_another_process_holds_the_write_lock(tmp_path):
    import sqlite3

    path = tmp_path / "eldercare.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (n INTEGER)")
    holder.execute("BEGIN IMMEDIATE")  # held, as a long write of the worker's would
    holder.execute("INSERT INTO t VALUES (1)")
    try:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ELDERCARE_") and k != "DATABASE_URL"}
        clean |= {"DJANGO_SETTINGS_MODULE": "eldercare.settings", "ELDERCARE_VAR_DIR": str(tmp_path), "ELDERCARE_DEBUG": "1"}
        result = subprocess.run([sys.executable, "-c", STARTS_WHILE_LOCKED], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 0, result.stderr
    supported, seconds = result.stdout.split()[-2:]
    assert supported == "True" and float(seconds) < 10  # not the 20 s busy timeout


# ---------------------------------------------------------------- the worker


def _worker(retries: int):
    from eldercare.core.management.commands.worker import RetryingWorker

    return RetryingWorker(
        retries=retries,
        retry_wait=0.0,
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )


def test_the_worker_retries_a_locked_database(db, monkeypatch, caplog):
    from django.db.utils import OperationalError
    from django_tasks_db.management.commands import db_worker

    calls = []

    def flaky(self):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")

    monkeypatch.setattr(db_worker.Worker, "run", flaky)
    _worker(retries=5).run()
    assert len(calls) == 3
    assert "retrying" in caplog.text and "database is locked" in caplog.text


def test_the_worker_exits_loudly_when_the_database_stays_away(db, monkeypatch, caplog):
    import pytest
    from django.core.management.base import CommandError
    from django.db.utils import OperationalError
    from django_tasks_db.management.commands import db_worker

    def locked(self):
        raise OperationalError("database is locked")

    monkeypatch.setattr(db_worker.Worker, "run", locked)
    with pytest.raises(CommandError) as raised:
        _worker(retries=2).run()
    assert raised.value.returncode == 1
    assert "3 times in a row" in caplog.text


def test_the_worker_does_not_swallow_other_errors(db, monkeypatch):
    import pytest
    from django.core.management.base import CommandError
    from django.db.utils import IntegrityError
    from django_tasks_db.management.commands import db_worker

    def broken(self):
        raise IntegrityError("no such table: django_tasks_database_dbtaskresult")

    monkeypatch.setattr(db_worker.Worker, "run", broken)
    with pytest.raises(CommandError) as raised:
        _worker(retries=5).run()
    assert raised.value.returncode == 1
