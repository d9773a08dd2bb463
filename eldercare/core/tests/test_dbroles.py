"""The restricted application role: it runs the platform but cannot change what is append-only."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from eldercare.core import chain
from eldercare.tests import builders as testing

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def app_role():
    role = f"eldercare_test_app_{uuid.uuid4().hex[:8]}"
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


def connect_as(role: str) -> psycopg.Connection:
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"], user=role, host=params["HOST"] or "127.0.0.1", port=params["PORT"] or 5432, autocommit=True
    )


def attempt(conn: psycopg.Connection, statement: str) -> str:
    try:
        conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return "denied"
    return "done"


def test_the_app_role_reads_and_writes_but_cannot_rewrite_history(city, app_role):
    testing.elder(residence=city.community, name="老人甲")  # an elder and its audit row
    call_command("db_roles", "--app-role", app_role, stdout=open("/dev/null", "w"))
    with connect_as(app_role) as conn:
        assert conn.execute("SELECT count(*) FROM elders_elder").fetchone() == (1,)
        assert attempt(conn, "UPDATE elders_elder SET name = name") == "done"
        for table, column in (
            ("auditlog_logentry", "id"),
            ("entitlements_entry", "id"),
            ("core_auditseal", "seq"),
            ("accounts_securityevent", "id"),
        ):
            assert attempt(conn, f"UPDATE {table} SET {column} = {column}") == "denied", table
            assert attempt(conn, f"DELETE FROM {table}") == "denied", table
            assert attempt(conn, f"TRUNCATE {table}") == "denied", table
        assert attempt(conn, "DROP TRIGGER auditlog_logentry_append_only ON auditlog_logentry") == "denied"
        assert attempt(conn, "ALTER TABLE auditlog_logentry DISABLE TRIGGER ALL") == "denied"
    # The sealer runs as the application role: it needs the queue and the head, and only those.
    with connect_as(app_role) as conn:
        assert attempt(conn, "DELETE FROM core_auditpending WHERE false") == "done"
        assert attempt(conn, "UPDATE core_audithead SET seq = seq WHERE false") == "done"
    assert chain.seal_pending() >= 1 and chain.verify().ok
