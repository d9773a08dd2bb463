"""The documented backup and restore (bin/backup) brings back every row, the append-only triggers
and an intact audit chain, and refuses a damaged file."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from eldercare.core import chain
from eldercare.tests import builders as testing

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump backs up PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def url(name: str) -> str:
    params = connection.settings_dict
    return f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"


@pytest.fixture
def empty_database():
    name = f"eldercare_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            table: (conn.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,))[0]
            for table in ("elders_elder", "auditlog_logentry", "core_auditseal", "regions_region")
        }


def test_backup_and_restore(city, tmp_path, empty_database):
    for name in ("甲", "乙"):
        testing.elder(residence=city.community, name=f"老人{name}")
    chain.seal_pending()
    source = url(connection.settings_dict["NAME"])
    dumped = subprocess.run(
        [ROOT / "bin/backup", "dump", tmp_path], env={"DATABASE_URL": source, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True
    )
    assert dumped.returncode == 0, dumped.stderr
    file = Path(dumped.stdout.strip())
    assert file.exists() and Path(f"{file}.sha256").exists()

    restored = subprocess.run([ROOT / "bin/backup", "restore", file, url(empty_database)], capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr
    assert counts(url(empty_database)) == counts(source)
    with psycopg.connect(url(empty_database)) as conn:
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            conn.execute("UPDATE auditlog_logentry SET object_repr = 'x'")  # the triggers came back too

    verified = subprocess.run(
        [sys.executable, ROOT / "manage.py", "audit_verify"],
        env={**os.environ, "DATABASE_URL": url(empty_database)},
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0 and "审计链完整" in verified.stdout, verified.stderr

    file.write_bytes(file.read_bytes()[:-10] + b"0123456789")
    damaged = subprocess.run([ROOT / "bin/backup", "restore", file, url(empty_database)], capture_output=True, text=True)
    assert damaged.returncode == 1 and "checksum mismatch" in damaged.stderr
