#!/usr/bin/env python
"""Registry benchmark: build the demo city, then time what officers do most.

    python bench/registry.py --elders 1000000 --database-url postgres://postgres@127.0.0.1:5432/eldercare_bench
    python bench/registry.py --elders 100000 --sqlite

The PostgreSQL database named in the URL is DROPPED and recreated. Figures:

- build: rows written per second by `build_demo_city`;
- query: what the elder list API does for the county officer (上城区) and the street
  officer (a street of 上城区): `selectors.elder_list` → count → first page of 50
  with active groups → presenter rows; the floor is the same result by bare SQL
  on the same connection (count, page of 50 with the residence join, the page's groups);
- export: `excel.export_elders_xlsx` of the street and of the county; the floor is a
  bare `COPY (SELECT <the same columns> …) TO STDOUT` (a plain SELECT on SQLite), and,
  to show where the rest goes, the same rows written to a workbook with openpyxl.

Each figure is printed as median and p95 over the repeats and as a ratio to its floor.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import BENCH_ENV, p95, recreate_postgres, timed  # noqa: E402  (bench/ is on sys.path when run)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--elders", type=int, default=100_000)
    p.add_argument("--communities", type=int, default=None, help="default: the generator's (elders/35, 200-5,000)")
    p.add_argument("--seed", type=int, default=2026)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/eldercare_bench")
    where.add_argument("--sqlite", action="store_true", help="bench on a temporary SQLite file instead")
    p.add_argument("--skip-build", action="store_true", help="reuse the database as it is (no drop, migrate or build)")
    p.add_argument(
        "--writer", choices=["copy", "sql", "orm"], default=None, help="demo writer (default: copy on PostgreSQL, sql on SQLite)"
    )
    p.add_argument("--build-only", action="store_true", help="build (and report the build) without the timings")
    p.add_argument("--query-repeat", type=int, default=30)
    p.add_argument("--export-repeat", type=int, default=5)
    p.add_argument("--county-export-repeat", type=int, default=3)
    return p.parse_args()


def main() -> None:
    args = parse_args()
    os.environ.update(BENCH_ENV)
    tmp = tempfile.mkdtemp(prefix="eldercare-bench-")
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the SQLite file, if any


def run(args: argparse.Namespace, tmp: str) -> None:
    os.environ["ELDERCARE_VAR_DIR"] = tmp
    if args.sqlite:
        db_file = Path(tmp) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    else:
        os.environ["DATABASE_URL"] = args.database_url
        if not args.skip_build:
            recreate_postgres(args.database_url)

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from openpyxl import Workbook

    from eldercare.accounts.models import User
    from eldercare.demo.generator import build_demo_city
    from eldercare.elders import presenters, selectors
    from eldercare.elders.excel import export_elders_xlsx
    from eldercare.elders.models import Elder
    from eldercare.regions.models import Region, subtree_bounds

    vendor = connection.vendor
    print(f"backend: {vendor}  ({connection.settings_dict['NAME']})")

    # ------------------------------------------------------------------ build
    build = None
    if not args.skip_build:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrate: {time.perf_counter() - started:.1f} s")
        build = build_demo_city(
            elders=args.elders, communities=args.communities, seed=args.seed, writer=args.writer, log=lambda s: print("  " + s, flush=True)
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # A fresh bulk load has no visibility map; autovacuum would build it soon, and would
            # otherwise do it in the middle of the timings.
            cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
        vacuum_seconds = time.perf_counter() - started
        print(f"vacuum/analyze: {vacuum_seconds:.1f} s")
        if args.build_only:
            print(
                f"build: {build.rows:,} rows in {build.seconds:.1f} s = {build.rows / build.seconds:,.0f} rows/s, {build.elders / build.seconds:,.0f} elders/s"
            )
            return

    county_user = User.objects.select_related("region").get(username="county_officer")
    street_user = User.objects.select_related("region").get(username="street_officer")
    total_elders = Elder.objects.count()

    raw = connection.connection  # the driver's own connection, under Django's wrappers
    today = timezone.localdate()

    # The floor reads the columns the list queryset loads: it defers the encrypted ID number
    # and phone (rows show the masked forms), and selects the residence with every column.
    deferred, defer = selectors.elder_list(actor=street_user).query.deferred_loading
    if not defer:
        raise SystemExit("elder_list uses only(): derive the floor's columns from it")
    elder_cols = [f.column for f in Elder._meta.concrete_fields if f.name not in deferred]
    skipped_cols = [f.column for f in Elder._meta.concrete_fields if f.name in deferred]
    region_cols = [f.column for f in Region._meta.concrete_fields]
    page_sql = (
        "SELECT "
        + ", ".join([*(f"e.{c}" for c in elder_cols), *(f"r.{c}" for c in region_cols)])
        + " FROM elders_elder e JOIN regions_region r ON r.code = e.residence_id "
        "WHERE e.residence_id BETWEEN %s AND %s AND e.status = 'active' ORDER BY e.residence_id, e.id LIMIT 50"
    )
    count_sql = "SELECT count(*) FROM elders_elder WHERE residence_id BETWEEN %s AND %s AND status = 'active'"
    groups_sql = (
        "SELECT * FROM elders_eldergroup WHERE elder_id IN ({ids}) AND valid_from <= %s "
        'AND (valid_to IS NULL OR valid_to >= %s) ORDER BY "group"'
    )
    export_cols = "id, name, sex, birth_date, id_masked, residence_id, address, phone_masked, living_status, status"
    export_sql = (
        f"SELECT {export_cols} FROM elders_elder WHERE residence_id BETWEEN %s AND %s AND status = 'active' ORDER BY residence_id, id"
    )

    def ph(sql: str) -> str:
        return sql.replace("%s", "?") if vendor == "sqlite" else sql

    def floor_query(lo: str, hi: str) -> int:
        cur = raw.cursor()
        cur.execute(ph(count_sql), (lo, hi))
        total = cur.fetchone()[0]
        cur.execute(ph(page_sql), (lo, hi))
        rows = cur.fetchall()
        if rows:
            ids = ", ".join(str(int(r[0])) for r in rows)
            cur.execute(ph(groups_sql.format(ids=ids)), (today.isoformat(), today.isoformat()))
            cur.fetchall()
        cur.close()
        return total

    def selector_query(user, code: str) -> int:
        """What the list API (`elders.api.list_elders`) does for page 1 of 50."""
        qs = selectors.elder_list(actor=user, filters=selectors.ElderFilters(region=code))
        total = qs.count()
        page = selectors.with_groups(qs[:50])
        rows = [presenters.elder_row(user, e, today) for e in page]
        assert len(rows) == min(50, total)
        return total

    def floor_export(lo: str, hi: str) -> int:
        if vendor == "postgresql":
            n = 0
            cur = raw.cursor()
            copy_sql = f"COPY ({export_sql.replace('%s', '{}')}) TO STDOUT".format(f"'{lo}'", f"'{hi}'")
            with cur.copy(copy_sql) as copy:
                for block in copy:
                    n += bytes(block).count(b"\n")
            cur.close()
            return n
        cur = raw.cursor()
        cur.execute(ph(export_sql), (lo, hi))
        n = len(cur.fetchall())
        cur.close()
        return n

    def floor_export_xlsx(lo: str, hi: str) -> int:
        """The bare rows written to a write-only workbook: the share openpyxl itself takes."""
        cur = raw.cursor()
        cur.execute(ph(export_sql), (lo, hi))
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("x")
        n = 0
        for row in cur:
            ws.append([row[1], row[2], row[3], 70, row[4], row[5], row[5], row[6], row[7], row[8], "", row[9]])
            n += 1
        cur.close()
        wb.save(io.BytesIO())
        return n

    def selector_export(user, code: str) -> int:
        qs = selectors.elder_list(actor=user, filters=selectors.ElderFilters(region=code))
        return export_elders_xlsx(actor=user, queryset=qs, out=io.BytesIO())

    results = []

    def bench(label, rows, work, floor, repeat, extra=None):
        got = work()
        want = floor()
        assert got == want, f"{label}: selector gave {got}, floor {want}"
        w = timed(work, repeat)
        f = timed(floor, repeat)
        e = timed(extra, repeat) if extra else None
        results.append((label, rows if rows is not None else got, w, f, e))
        print(f"  {label}: {statistics.median(w) * 1000:.1f} ms (floor {statistics.median(f) * 1000:.1f} ms)", flush=True)

    # The list must load each page in a fixed number of queries (no per-row load of a deferred
    # field, no per-row groups) and never read the deferred columns.
    list_queries = {}
    for user in (street_user, county_user):
        with CaptureQueriesContext(connection) as captured:
            selector_query(user, user.region.code)
        read = [c for c in skipped_cols for q in captured.captured_queries if f'"elders_elder"."{c}"' in q["sql"]]
        assert not read, f"the list reads deferred columns {read}"
        list_queries[user.username] = len(captured.captured_queries)
    assert len(set(list_queries.values())) == 1, f"list queries differ by scope: {list_queries}"
    print(
        f"list: {list_queries[street_user.username]} queries per page; floor page reads {len(elder_cols)} elder columns "
        f"(deferred: {', '.join(skipped_cols)}) + {len(region_cols)} residence columns"
    )

    print("timing…")
    for user, label in ((street_user, "street"), (county_user, "county")):
        region = user.region
        lo, hi = subtree_bounds(region.code, region.level)
        bench(
            f"query {label} {region.name} (count + page 50)",
            None,
            lambda u=user, c=region.code: selector_query(u, c),
            lambda lo=lo, hi=hi: floor_query(lo, hi),
            args.query_repeat,
        )
    for user, label, repeat in ((street_user, "street", args.export_repeat), (county_user, "county", args.county_export_repeat)):
        region = user.region
        lo, hi = subtree_bounds(region.code, region.level)
        bench(
            f"export {label} {region.name} (xlsx)",
            None,
            lambda u=user, c=region.code: selector_export(u, c),
            lambda lo=lo, hi=hi: floor_export(lo, hi),
            repeat,
            extra=lambda lo=lo, hi=hi: floor_export_xlsx(lo, hi),
        )

    # ------------------------------------------------------------------ report
    print()
    print(f"Registry bench — {vendor}, {total_elders:,} elders, seed {args.seed}")
    if build:
        print(
            f"build: {build.rows:,} rows ({build.elders:,} elders, {build.households:,} households, {build.contacts:,} contacts, "
            f"{build.groups:,} groups, {build.consents:,} consents) in {build.seconds:.1f} s = {build.rows / build.seconds:,.0f} rows/s, "
            f"{build.elders / build.seconds:,.0f} elders/s"
        )
    header = f"{'work':<44} {'rows':>9} {'median ms':>10} {'p95 ms':>9} {'floor ms':>9} {'ratio':>7} {'xlsx floor ms':>14} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for label, rows, w, f, e in results:
        wm, fm = statistics.median(w) * 1000, statistics.median(f) * 1000
        line = f"{label:<44} {rows:>9,} {wm:>10.1f} {p95(w) * 1000:>9.1f} {fm:>9.1f} {wm / fm:>6.1f}×"
        if e:
            em = statistics.median(e) * 1000
            line += f" {em:>14.1f} {wm / em:>6.1f}×"
        print(line)
    print(
        "floors: query = bare count(*) + page of 50 (same columns and residence join) + that page's groups, on the same "
        "connection; export = bare "
        + ("COPY … TO STDOUT" if vendor == "postgresql" else "SELECT")
        + " of the exported columns; xlsx floor = the same rows written by openpyxl (write-only) without the ORM."
    )
    print(
        f"repeats: query {args.query_repeat}, street export {args.export_repeat}, county export {args.county_export_repeat} (after one warm-up each)"
    )


if __name__ == "__main__":
    main()
