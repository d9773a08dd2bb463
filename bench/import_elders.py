#!/usr/bin/env python
"""Excel import benchmark: an officer uploads a workbook of new elders.

    python bench/import_elders.py --rows 20000 --database-url postgres://postgres@127.0.0.1:5432/eldercare_bench_import
    python bench/import_elders.py --rows 20000 --sqlite

The PostgreSQL database named in the URL is DROPPED and recreated. The workbook
(name, ID number, community code, priority groups for one row in ten) is built in
memory, then imported `--repeat` times with `excel.import_elders_xlsx` as the city
officer, the tables emptied between runs. The floor, timed in the same run, is
the bare work any import must do: read the same workbook with openpyxl
(read-only) and COPY the same number of rows (already encrypted, hashed, masked)
into a temporary table with the same columns (a plain executemany on SQLite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import p95, recreate_postgres, use_bench_settings


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=3)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/eldercare_bench_import")
    where.add_argument("--sqlite", action="store_true")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="eldercare-bench-import-")
    try:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}" if args.sqlite else args.database_url
        use_bench_settings(url, tmp)
        if not args.sqlite:
            recreate_postgres(url)
        run(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from openpyxl import Workbook, load_workbook

    from eldercare.accounts.models import User
    from eldercare.accounts.roles import Role
    from eldercare.core.crypto import encrypt, keyed_hash
    from eldercare.elders import excel, idnumber
    from eldercare.elders.models import Elder, ElderGroup
    from eldercare.regions.models import Level, Region

    call_command("migrate", verbosity=0)
    city = Region.objects.create(code="330100000000", name="杭州市", level=Level.CITY)
    county = Region.objects.create(code="330102000000", name="上城区", level=Level.COUNTY, parent=city)
    street = Region.objects.create(code="330102001000", name="清波街道", level=Level.STREET, parent=county)
    communities = [
        Region.objects.create(code=f"330102001{n:03d}", name=f"社区{n}", level=Level.COMMUNITY, parent=street) for n in range(1, 21)
    ]
    officer = User.objects.create(username="officer", role=Role.CIVIL_CITY, region=city)

    rows = []
    for i in range(args.rows):
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=i % 12_000)  # all 60 or older
        number = idnumber.build("330102", birth, i // 12_000)
        rows.append((f"老人{i}", number, communities[i % len(communities)].code, "低保" if i % 10 == 0 else ""))
    if len({r[1] for r in rows}) != len(rows):
        raise SystemExit("--rows too large for unique synthetic ID numbers")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["姓名", "身份证号码", "居住社区代码", "重点人群"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()

    def empty_tables() -> None:
        # The audit tables are append-only (core.appendonly): the bench's owner empties them whole.
        with connection.cursor() as cursor:
            for table in ("auditlog_logentry", "core_auditpending"):
                cursor.execute(f"TRUNCATE {table}" if connection.vendor == "postgresql" else f"DELETE FROM {table}")
        ElderGroup.objects.all().delete()
        Elder.objects.all().delete()

    samples = []
    for _ in range(args.repeat):
        empty_tables()
        started = time.perf_counter()
        report = excel.import_elders_xlsx(actor=officer, file=io.BytesIO(data))
        samples.append(time.perf_counter() - started)
        assert report.ok and report.created == args.rows, report.errors[:3]

    def floor() -> None:
        for _ in load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True):
            pass
        prepared = [(name, encrypt(number), keyed_hash(number), idnumber.mask(number), code) for name, number, code, _ in rows]
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS floor_elder (name text, id_number text, id_hash text, id_masked text, residence text)"
            )
            cursor.execute("DELETE FROM floor_elder")
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY floor_elder FROM STDIN") as copy:
                    for row in prepared:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO floor_elder VALUES (%s, %s, %s, %s, %s)", prepared)

    floors = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        floor()
        floors.append(time.perf_counter() - started)

    median, base = statistics.median(samples), statistics.median(floors)
    print(f"Import bench — {connection.vendor}, {args.rows:,} rows (1 in 10 with a priority group), {args.repeat} runs")
    print(f"import: median {median:.2f} s, p95 {p95(samples):.2f} s = {args.rows / median:,.0f} rows/s")
    print(f"floor (openpyxl read + encrypt/hash + bare bulk write): median {base:.2f} s = {args.rows / base:,.0f} rows/s")
    print(f"ratio to floor: {median / base:.1f}×")


if __name__ == "__main__":
    main()
