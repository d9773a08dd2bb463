#!/usr/bin/env python
"""Entitlements benchmark: issue a month of allowances for the whole demo city.

    python bench/issue_month.py --elders 1000000
    python bench/issue_month.py --elders 1000000 --skip-build      # reuse the built database
    python bench/issue_month.py --elders 50000 --sqlite

The PostgreSQL database named in --database-url is DROPPED and recreated (unless --skip-build).
Figures, each over --repeat runs (accounts and ledger emptied before each):

- issue: `issuance_execute` for 杭州市 (every county, every policy in force; the month has
  ended, so stay-based subsidies are due too): seconds, elders per second, accounts opened;
- re-run: the same month again, which must open nothing (idempotent);
- floor: the same work without the platform: read the same facts by bare SQL (COPY … TO STDOUT
  of the elders, their groups and assessments), then write the same accounts and issue entries by
  two bare `INSERT … SELECT` statements from the outcome the issuance found (so no deciding).
  The issue figure is printed as a ratio to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import BENCH_ENV, recreate_postgres  # noqa: E402  (bench/ is on sys.path when run)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--elders", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=2026)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/eldercare_bench_entitlements")
    where.add_argument("--sqlite", action="store_true", help="bench on a temporary SQLite file instead")
    p.add_argument("--skip-build", action="store_true", help="reuse the database as it is (no drop, migrate or build)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--month", default="2026-10-01")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    os.environ.update(BENCH_ENV)
    tmp = tempfile.mkdtemp(prefix="eldercare-bench-")
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: str) -> None:
    os.environ["ELDERCARE_VAR_DIR"] = tmp
    os.environ["ELDERCARE_TASKS"] = "immediate"
    if args.sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = args.database_url
        if not args.skip_build:
            recreate_postgres(args.database_url)

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from eldercare.assessments.models import Assessment
    from eldercare.demo.generator import build_demo_city
    from eldercare.elders.models import Elder, ElderGroup
    from eldercare.entitlements.models import Account, Entry, IssuanceRun
    from eldercare.entitlements.services.issuance import issuance_execute
    from eldercare.regions.models import Level, Region

    vendor = connection.vendor
    print(f"backend: {vendor}  ({connection.settings_dict['NAME']})")
    if args.sqlite or not args.skip_build:
        call_command("migrate", verbosity=0)
        build = build_demo_city(elders=args.elders, seed=args.seed, log=lambda s: print("  " + s, flush=True))
        print(f"build: {build.elders:,} elders in {build.seconds:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")

    month = dt.date.fromisoformat(args.month)
    after = (month.replace(day=28) + dt.timedelta(days=10)).replace(day=5)
    city = Region.objects.get(level=Level.CITY)
    elders = Elder.objects.count()
    qn = connection.ops.quote_name
    account_t, entry_t, run_t = (qn(m._meta.db_table) for m in (Account, Entry, IssuanceRun))
    print(f"elders: {elders:,}; month {month:%Y-%m}, issued on {after}")

    def empty() -> None:
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute(f"TRUNCATE {entry_t}, {account_t}, {run_t}")
            else:
                for table in (entry_t, account_t, run_t):
                    cursor.execute(f"DELETE FROM {table}")
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {account_t}")
                cursor.execute(f"VACUUM ANALYZE {entry_t}")

    def issue() -> IssuanceRun:
        return issuance_execute(run_id=IssuanceRun.objects.create(region=city, month=month).pk, today=after)

    reads = [
        f"SELECT id, birth_date, hukou_region_id, residence_id, living_status, status, status_date FROM {qn(Elder._meta.db_table)}",
        f"SELECT elder_id, {qn('group')} FROM {qn(ElderGroup._meta.db_table)} WHERE valid_from <= %(day)s AND (valid_to IS NULL OR valid_to >= %(day)s)",
        f"SELECT elder_id, disability_degree, care_category FROM {qn(Assessment._meta.db_table)} "
        "WHERE status = 'effective' AND effective_from <= %(day)s ORDER BY elder_id, effective_from DESC",
    ]

    def read_facts(cursor) -> None:
        """The floor of reading the facts: the same rows, fetched by bare SQL (COPY on PostgreSQL)."""
        for query in reads:
            if vendor == "postgresql":
                text = cursor.mogrify(query, {"day": month}) if hasattr(cursor, "mogrify") else cursor.cursor.mogrify(query, {"day": month})
                with cursor.cursor.copy(f"COPY ({text}) TO STDOUT") as copy:
                    for _ in copy:
                        pass
            else:
                cursor.execute(query.replace("%(day)s", "%s"), [month] * query.count("%(day)s"))
                cursor.fetchall()

    issue_s, rerun_s, floor_s, opened = [], [], [], 0
    for _ in range(args.repeat):
        empty()
        started = time.perf_counter()
        done = issue()
        issue_s.append(time.perf_counter() - started)
        assert done.status == "done", done.error
        opened = done.accounts_opened
        started = time.perf_counter()
        again = issue()
        rerun_s.append(time.perf_counter() - started)
        assert again.accounts_opened == 0

        # The floor: keep the outcome, empty the tables, write the same rows back by bare SQL.
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_outcome")
            cursor.execute(
                f"CREATE {'UNLOGGED ' if vendor == 'postgresql' else ''}TABLE bench_outcome AS "
                f"SELECT elder_id, policy, benefit, month, unit, tier, region_id, issued, expires_on FROM {account_t}"
            )
        empty()
        with connection.cursor() as cursor:
            floor_run = IssuanceRun.objects.create(region=city, month=month).pk
            started = time.perf_counter()
            read_facts(cursor)
            cursor.execute(
                f"INSERT INTO {account_t} (elder_id, policy, benefit, month, unit, tier, region_id, issued, balance, expires_on, run_id, created_at) "
                f"SELECT o.elder_id, o.policy, o.benefit, o.month, o.unit, o.tier, o.region_id, o.issued, o.issued, o.expires_on, %s, CURRENT_TIMESTAMP "
                f"FROM bench_outcome o JOIN {qn(Elder._meta.db_table)} e ON e.id = o.elder_id",
                [floor_run],
            )
            cursor.execute(
                f"INSERT INTO {entry_t} (account_id, kind, amount, balance_after, {qn('key')}, reference, note, at) "
                f"SELECT a.id, 'issue', a.issued, a.issued, 'issue:' || CAST(a.id AS TEXT), '', '', CURRENT_TIMESTAMP FROM {account_t} a WHERE a.run_id = %s",
                [floor_run],
            )
            floor_s.append(time.perf_counter() - started)
            cursor.execute("DROP TABLE bench_outcome")

    by_benefit = {}
    empty()
    last = issue()
    by_benefit = last.summary["benefits"]
    med_issue, med_floor = statistics.median(issue_s), statistics.median(floor_s)
    print()
    print(
        f"issue a month (city, {elders:,} elders): median {med_issue:.1f} s (runs: {', '.join(f'{s:.1f}' for s in issue_s)}), "
        f"{elders / med_issue:,.0f} elders/s, {opened:,} accounts opened"
    )
    for code, figures in by_benefit.items():
        print(f"    {code}: {figures['accounts']:,} accounts, {figures['amount']:,}")
    print(f"re-run (opens nothing): median {statistics.median(rerun_s):.1f} s")
    print(f"floor (bare COPY of the same facts out + bare INSERT … SELECT of the same accounts and entries): median {med_floor:.1f} s")
    print(f"ratio issue / floor: {med_issue / med_floor:.1f}×   goal: issue under 60 s for 1,000,000 elders")


if __name__ == "__main__":
    main()
