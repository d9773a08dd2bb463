"""Append-only tables, enforced by the database itself.

Audit rows, security events and ledger entries are written once and never changed. The models
refuse `save()` of an existing row and `delete()`, but anyone with SQL could still change them, so
migrations also install triggers:

- PostgreSQL: `UPDATE` and `DELETE` are refused for every role, the owner's included, unless the
  table was declared *archivable* and the transaction set `eldercare.archiving` (only the audit
  archive does, after copying the rows out; see `core.chain`). With the restricted application
  role (`manage.py db_roles`) the platform cannot even try: it holds no UPDATE or DELETE grant.
- SQLite (the zero-setup default): `UPDATE` is refused; `DELETE` is left to the models, because
  the test suite empties SQLite tables with `DELETE` between tests.

Audited tables also feed the hash chain: an insert trigger queues each new row's id in
`core_auditpending`, in the inserting transaction, so the sealer sees exactly the committed rows.

Migrations call `install(...)`/`uninstall(...)` through `RunPython` with the table names.
"""

from __future__ import annotations

from typing import Any

from django.db import models

ARCHIVING = "eldercare.archiving"  # the transaction-local switch the audit archive sets

_PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION eldercare_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_NARGS > 0 AND TG_ARGV[0] = 'archivable'
       AND coalesce(current_setting('{ARCHIVING}', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION eldercare_audit_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_auditpending (source, row_id) SELECT TG_ARGV[0], id FROM inserted;
    RETURN NULL;
END $$;
"""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Refuses `update()` and `delete()` on a whole query set."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError(f"{self.model._meta.verbose_name} is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self.model._meta.verbose_name} is append-only")


class AppendOnly(models.Model):
    """A model whose rows are written once: `save()` of an existing row and `delete()` are refused
    (and the migration's `install` makes the database refuse them too)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(f"{self._meta.verbose_name} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self._meta.verbose_name} is append-only")


def _execute(schema_editor: Any, sql: str) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def install(schema_editor: Any, table: str, *, archivable: bool = False, audited_as: str = "") -> None:
    """Make `table` append-only; with `audited_as` (a source name of `core.chain`), queue its new
    rows for sealing."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _execute(schema_editor, _PG_FUNCTIONS)
        argument = "'archivable'" if archivable else ""
        _execute(
            schema_editor,
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION eldercare_append_only({argument});",
        )
        if audited_as:
            _execute(
                schema_editor,
                f"DROP TRIGGER IF EXISTS {table}_audit_pending ON {table};"
                f"CREATE TRIGGER {table}_audit_pending AFTER INSERT ON {table} REFERENCING NEW TABLE AS inserted "
                f"FOR EACH STATEMENT EXECUTE FUNCTION eldercare_audit_pending('{audited_as}');",
            )
    elif vendor == "sqlite":
        _execute(schema_editor, f"DROP TRIGGER IF EXISTS {table}_append_only")
        _execute(
            schema_editor,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: UPDATE refused'); END",
        )
        if audited_as:
            _execute(schema_editor, f"DROP TRIGGER IF EXISTS {table}_audit_pending")
            _execute(
                schema_editor,
                f"CREATE TRIGGER {table}_audit_pending AFTER INSERT ON {table} "
                f"BEGIN INSERT INTO core_auditpending (source, row_id) VALUES ('{audited_as}', NEW.id); END",
            )


def uninstall(schema_editor: Any, table: str) -> None:
    vendor = schema_editor.connection.vendor
    for trigger in (f"{table}_append_only", f"{table}_audit_pending"):
        if vendor == "postgresql":
            _execute(schema_editor, f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        elif vendor == "sqlite":
            _execute(schema_editor, f"DROP TRIGGER IF EXISTS {trigger}")


def install_balance_guard(schema_editor: Any, *, account_table: str, entry_table: str) -> None:
    """An account's balance may only become what its latest ledger entry says it is: the ledger
    writes the entry first, then the balance; `UPDATE … SET balance = …` on its own is refused."""
    vendor = schema_editor.connection.vendor
    message = f"{account_table}.balance changes only through the ledger ({entry_table})"
    latest = f"(SELECT e.balance_after FROM {entry_table} e WHERE e.account_id = NEW.id ORDER BY e.id DESC LIMIT 1)"
    if vendor == "postgresql":
        _execute(
            schema_editor,
            f"""
            CREATE OR REPLACE FUNCTION {account_table}_balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.balance IS DISTINCT FROM {latest} THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS {account_table}_balance_guard ON {account_table};
            CREATE TRIGGER {account_table}_balance_guard BEFORE UPDATE OF balance ON {account_table}
                FOR EACH ROW WHEN (NEW.balance IS DISTINCT FROM OLD.balance) EXECUTE FUNCTION {account_table}_balance_guard();
            """,
        )
    elif vendor == "sqlite":
        _execute(schema_editor, f"DROP TRIGGER IF EXISTS {account_table}_balance_guard")
        _execute(
            schema_editor,
            f"CREATE TRIGGER {account_table}_balance_guard BEFORE UPDATE OF balance ON {account_table} "
            f"WHEN NEW.balance IS NOT OLD.balance AND NEW.balance IS NOT {latest} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        )


def uninstall_balance_guard(schema_editor: Any, *, account_table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _execute(schema_editor, f"DROP TRIGGER IF EXISTS {account_table}_balance_guard ON {account_table}")
    elif vendor == "sqlite":
        _execute(schema_editor, f"DROP TRIGGER IF EXISTS {account_table}_balance_guard")
