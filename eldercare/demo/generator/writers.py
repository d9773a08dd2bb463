"""Buffered row writers: PostgreSQL COPY, INSERT executemany, and bulk_create as the
reference the fast two must match (a test compares them).

Primary keys are handed out here, above the highest already in each table, so
contacts and groups point at elders without reading anything back; the build
resets the sequences at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Max

from eldercare.assessments.models import Assessment
from eldercare.core.crypto import EncryptedTextField, encrypt
from eldercare.elders.models import Consent, Contact, Elder, ElderGroup, Household
from eldercare.facilities.models import Institution, Stay


class Writer:
    """Buffers rows (dicts of attname → value, same keys for one model) and writes them in FK order."""

    ORDER = (Institution, Household, Elder, Stay, ElderGroup, Contact, Consent, Assessment)
    name = ""

    def __init__(self):
        self.buffers: dict[type[models.Model], list[dict]] = {model: [] for model in self.ORDER}
        self.written: dict[type[models.Model], int] = dict.fromkeys(self.ORDER, 0)
        self.next_id: dict[type[models.Model], int] = {model: (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1 for model in self.ORDER}
        self.seconds = 0.0  # time spent writing (encryption included)
        self.db = connections[DEFAULT_DB_ALIAS]

    def take_id(self, model: type[models.Model]) -> int:
        value = self.next_id[model]
        self.next_id[model] += 1
        return value

    def add(self, model: type[models.Model], row: dict) -> None:
        self.buffers[model].append(row)

    def flush(self) -> None:
        started = time.perf_counter()
        for model in self.ORDER:
            rows = self.buffers[model]
            if rows:
                self.write(model, rows)
                self.written[model] += len(rows)
                self.buffers[model] = []
        self.seconds += time.perf_counter() - started

    def write(self, model: type[models.Model], rows: list[dict]) -> None:
        raise NotImplementedError


class OrmWriter(Writer):
    """The portable reference path: model instances through bulk_create."""

    name = "bulk_create"

    def write(self, model, rows):
        batch = 1_000 if self.db.vendor == "postgresql" else None
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch)


class SqlWriter(Writer):
    """Plain INSERT … executemany with the values prepared as the fields would prepare them
    (encryption, dates, JSON); about five times faster than bulk_create on SQLite."""

    name = "executemany"
    native_types = False

    def __init__(self):
        super().__init__()
        self.plans: dict[type[models.Model], tuple[list[models.Field], list[tuple[int, Callable]]]] = {}

    def plan(self, model, keys) -> tuple[list[models.Field], list[tuple[int, Callable]]]:
        if model not in self.plans:
            fields = [model._meta.get_field(key) for key in keys]
            converters: list[tuple[int, Callable]] = []
            for i, f in enumerate(fields):
                if isinstance(f, EncryptedTextField):
                    converters.append((i, encrypt))
                elif isinstance(f, models.JSONField):
                    # Text on SQLite, a psycopg Jsonb (which COPY knows how to write) on PostgreSQL.
                    converters.append((i, lambda v, f=f, db=self.db: f.get_db_prep_save(v, db)))
                elif isinstance(f, (models.DateField, models.DecimalField)) and not self.native_types:
                    # DateTimeField is a DateField; psycopg adapts these types itself.
                    converters.append((i, lambda v, f=f, db=self.db: f.get_db_prep_save(v, db)))
            self.plans[model] = (fields, converters)
        return self.plans[model]

    def prepared(self, model, rows):
        fields, converters = self.plan(model, rows[0].keys())
        for row in rows:
            values = list(row.values())
            for i, convert in converters:
                if values[i] is not None and values[i] != "":
                    values[i] = convert(values[i])
            yield values

    def columns(self, model, rows) -> str:
        fields, _ = self.plan(model, rows[0].keys())
        return ", ".join(self.db.ops.quote_name(cast(str, f.column)) for f in fields)  # concrete fields: column is set

    def write(self, model, rows):
        table = self.db.ops.quote_name(model._meta.db_table)
        marks = ", ".join(["%s"] * len(rows[0]))
        with self.db.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({self.columns(model, rows)}) VALUES ({marks})", list(self.prepared(model, rows)))


class CopyWriter(SqlWriter):
    """PostgreSQL COPY through psycopg 3."""

    name = "COPY"
    native_types = True

    def write(self, model, rows):
        table = self.db.ops.quote_name(model._meta.db_table)
        with self.db.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({self.columns(model, rows)}) FROM STDIN") as copy:
            for values in self.prepared(model, rows):
                copy.write_row(values)


WRITERS: dict[str, type[Writer]] = {"orm": OrmWriter, "sql": SqlWriter, "copy": CopyWriter}


def default_writer() -> str:
    # psycopg 3 is a pinned dependency, and Django prefers it to psycopg2 when both are installed.
    return "copy" if connection.vendor == "postgresql" else "sql"
