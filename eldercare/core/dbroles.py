"""The database roles of a production deployment (PostgreSQL).

The platform connects as a restricted *application role*; migrations and the audit archive run
as the *owner*, who created the tables. The application role may read and write the platform's
tables, but on the append-only ones (those with an `…_append_only` trigger: the audit log,
security events, the chain, the ledger) it may only SELECT and INSERT: no UPDATE, DELETE or
TRUNCATE, whatever a bug or an injected statement asks.

`manage.py db_roles` sets this up; with ELDERCARE_DB_APP_ROLE set, every `migrate` re-applies it,
so tables added later are covered too.
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql


def append_only_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers "
            "WHERE trigger_schema = current_schema() AND trigger_name LIKE %s ORDER BY 1",
            ["%\\_append\\_only"],
        )
        return [table for (table,) in cursor.fetchall()]


def grant_app_role(role: str, *, password: str | None = None) -> list[str]:
    """Create `role` if missing (with LOGIN, and `password` if given) and give it what the platform
    needs; returns the append-only tables it may not change."""
    if connection.vendor != "postgresql":
        raise RuntimeError("database roles are a PostgreSQL feature")
    ident = sql.Identifier(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident).as_string(cursor.connection))
        if password:
            cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)).as_string(cursor.connection))
        database = sql.Identifier(connection.settings_dict["NAME"])
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, ident),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(ident),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident),
            sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {}").format(ident),
        ]
        for statement in statements:
            cursor.execute(statement.as_string(cursor.connection))
        tables = append_only_tables()
        for table in tables:
            cursor.execute(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), ident).as_string(cursor.connection))
    return tables
