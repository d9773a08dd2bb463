"""Bulk inserts that skip rows a unique constraint already holds: COPY on PostgreSQL, executemany
elsewhere. Values must already be what the database stores (ints, strings, dates, datetimes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, models


def insert_new(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence]) -> None:
    """INSERT … ON CONFLICT DO NOTHING for many rows: the run that gets there first keeps its row."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(_column(model, name)) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY cannot skip conflicts: copy into a scratch table, then insert from it. The scratch
            # table (one per target table and column list) lives as long as the connection.
            scratch = qn(f"scratch_{model._meta.db_table}_{abs(hash(tuple(fields))) % 10**8}")
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} AS SELECT {columns} FROM {table} WITH NO DATA")
            cursor.execute(f"TRUNCATE {scratch}")
            with cursor.cursor.copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {scratch} ON CONFLICT DO NOTHING")
        else:
            marks = ", ".join(["%s"] * len(fields))
            prepared = [[_adapt(v) for v in row] for row in rows]
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", prepared)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:  # a reverse relation, or a field with no column
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field.column


def _adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value
