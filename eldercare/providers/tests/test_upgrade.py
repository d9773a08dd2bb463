"""A database made before the restructure (providers inside the app then called `services`) upgrades
without losing a row: the dump in data/ was taken from a small demo city built by that code
(commit 13dad93) on PostgreSQL, and is migrated here by today's code."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the dump is a PostgreSQL one")

DUMP = Path(__file__).parent / "data" / "before_restructure.sql.gz"
ROOT = Path(__file__).resolve().parents[3]

# Old table → new table, for every table the restructure renamed.
RENAMED = {
    "services_order": "homecare_order",
    "services_orderevent": "homecare_orderevent",
    "services_caregiver": "homecare_caregiver",
    "services_serviceitem": "homecare_serviceitem",
    "services_guideprice": "homecare_guideprice",
    "services_fraudflag": "homecare_fraudflag",
    "services_preference": "homecare_preference",
    "services_recurrence": "homecare_recurrence",
    "services_provider": "providers_provider",
    "services_provider_admins": "providers_provider_admins",
    "services_servicearea": "providers_servicearea",
}
KEPT = ["entitlements_entry", "devices_homecarebed", "auditlog_logentry", "elders_elder"]


@pytest.fixture
def old_database():
    db = settings.DATABASES["default"]
    params: dict[str, Any] = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"eldercare_upgrade_{os.getpid()}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(dbname=name, autocommit=True, **params) as conn:
            conn.execute(gzip.decompress(DUMP.read_bytes()).decode())
            conn.execute("SET search_path TO public")  # the dump empties it for its own statements
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        yield url, lambda: psycopg.connect(dbname=name, **params)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _counts(conn, tables) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM public.{t}").fetchone()[0] for t in tables}


def _audit_by_type(conn) -> dict[tuple[str, str], int]:
    rows = conn.execute(
        "SELECT ct.app_label, ct.model, count(*) FROM public.auditlog_logentry l "
        "JOIN public.django_content_type ct ON ct.id = l.content_type_id GROUP BY 1, 2"
    ).fetchall()
    return {(app, model): n for app, model, n in rows}


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_database_from_before_the_restructure_migrates_without_losing_a_row(old_database):
    url, connect = old_database
    with connect() as conn:
        before = _counts(conn, [*RENAMED, *KEPT])
        audit_before = _audit_by_type(conn)
        items_before = {r[0] for r in conn.execute("SELECT code FROM public.services_serviceitem")}
        caregivers_before = conn.execute(
            "SELECT c.name, p.credit_code FROM public.services_caregiver c JOIN public.services_provider p ON p.id = c.provider_id ORDER BY 1"
        ).fetchall()
    assert before["services_provider"] > 0 and before["services_order"] > 0 and audit_before.get(("services", "provider"), 0) > 0

    done = _manage(url, "migrate", "--noinput")
    assert done.returncode == 0, done.stderr

    with connect() as conn:
        after = _counts(conn, [*RENAMED.values(), *KEPT])
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        audit_after = _audit_by_type(conn)
        caregivers_after = conn.execute(
            "SELECT c.name, p.credit_code FROM homecare_caregiver c JOIN providers_provider p ON p.id = c.provider_id ORDER BY 1"
        ).fetchall()
        items_after = {r[0] for r in conn.execute("SELECT code FROM homecare_serviceitem")}
        beds_joined = conn.execute(
            "SELECT count(*) FROM devices_homecarebed b JOIN providers_provider p ON p.id = b.provider_id"
        ).fetchone()[0]
    # The catalogue grows on migrate (its sync adds what the file gained); nothing else changes in number.
    grown = {"services_serviceitem"}
    assert {new: after[new] for old, new in RENAMED.items() if old not in grown} == {
        new: before[old] for old, new in RENAMED.items() if old not in grown
    }
    assert {t: after[t] for t in KEPT} == {t: before[t] for t in KEPT}
    assert not any(t.startswith("services_") for t in tables)
    # Audit history follows its records into their new apps.
    moved = {"provider": "providers", "servicearea": "providers"}
    assert audit_after == {
        ((moved.get(model, "homecare") if app == "services" else app), model): n for (app, model), n in audit_before.items()
    }
    assert caregivers_after == caregivers_before
    assert items_after >= items_before
    assert beds_joined == before["devices_homecarebed"]

    # Nothing left to migrate, and today's models read the upgraded rows.
    assert _manage(url, "migrate", "--check").returncode == 0
    shell = _manage(
        url,
        "shell",
        "--no-imports",
        "-c",
        "from eldercare.providers.models import Provider; from eldercare.homecare.models import Order; "
        "print(Provider.objects.filter(areas__isnull=False).distinct().count(), Order.objects.filter(provider__isnull=False).count())",
    )
    assert shell.returncode == 0, shell.stderr
    with connect() as conn:
        expected = conn.execute(
            "SELECT (SELECT count(DISTINCT provider_id) FROM providers_servicearea), "
            "(SELECT count(*) FROM homecare_order WHERE provider_id IS NOT NULL)"
        ).fetchone()
    assert shell.stdout.split() == [str(n) for n in expected]
