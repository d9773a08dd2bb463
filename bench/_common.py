"""Shared by the bench scripts: throwaway settings, database set-up, timing."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Fixed keys: the bench database is thrown away, and fixed keys let --skip-build reuse it.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "eldercare.settings",
    "ELDERCARE_DEBUG": "0",  # no query log: the ORM is timed as in production
    "ELDERCARE_SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdefghij",
    "ELDERCARE_FIELD_KEYS": "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMTI=",
    "ELDERCARE_ID_HASH_KEY": "bench-id-hash-key",
    "ELDERCARE_ALLOWED_HOSTS": "localhost",
    "ELDERCARE_LOG_LEVEL": "WARNING",
}


def use_bench_settings(database_url: str, var_dir: str) -> None:
    """Point Django at the bench database before `django.setup()`."""
    os.environ.update(BENCH_ENV)
    os.environ["ELDERCARE_VAR_DIR"] = var_dir
    os.environ["DATABASE_URL"] = database_url


def recreate_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url)
    name = info.get("dbname")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to drop database {name!r}")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"database {name} recreated")


def timed(fn, repeat: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]
