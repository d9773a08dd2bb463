"""Monthly issuance: open each elder's allowance accounts for a month, for a whole region.

An officer requests a run (`issuance_request`); a background task executes it
(`issuance_execute`), county by county, each county in its own transaction. Re-running a month is
safe: an account exists at most once per elder, benefit and month (a unique constraint, and the
insert skips rows already there), so a re-run opens only what is missing — the elders who became
eligible since, or the counties an interrupted run did not reach.

Benefits paid per day of a stay are issued once the month has ended (their days are known then);
a run during the month skips them and says so in its summary.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.bulk import insert_new
from eldercare.core.months import add_months, month_last_day
from eldercare.regions.models import Level, Region, code_bounds

from .. import errors
from ..engine import facts_day, grant, load_facts_for, resolve_exclusions
from ..models import Account, EntryKind, IssuanceRun, RunStatus, Unit
from ..policy import Basis, Benefit, Policy, policies_for
from ..policy import Unit as PolicyUnit

STORED_UNIT = {PolicyUnit.HOUR: Unit.MINUTES, PolicyUnit.YUAN: Unit.FEN}


def _check_month(month: dt.date, today: dt.date) -> None:
    if month.day != 1 or month > add_months(today.replace(day=1), 1):
        raise ValidationError({"month": errors.ERR_MONTH})


@transaction.atomic
def issuance_request(*, actor: User, region: Region, month: dt.date) -> IssuanceRun:
    """Queue the issuance of `month` for `region`'s subtree; the task starts once this commits."""
    require(actor, Cap.MANAGE_ENTITLEMENTS)
    require_region(actor, region.code)
    _check_month(month, timezone.localdate())
    run = IssuanceRun.objects.create(region=region, month=month, requested_by=actor)
    from ..tasks import issue_month

    transaction.on_commit(lambda: issue_month.enqueue(run.pk))
    return run


def _units(region: Region) -> list[str]:
    """The counties (or the region itself, below county level) a run works through one at a time."""
    if region.level >= Level.COUNTY:
        return [region.code]
    return list(Region.objects.subtree(region).filter(level=Level.COUNTY).order_by("code").values_list("code", flat=True))


def _due_benefits(policies: list[Policy], month: dt.date, today: dt.date) -> tuple[list[tuple[Policy, Benefit]], list[str]]:
    """The benefits to issue for `month` and those that wait for it to end. A benefit not in force
    in `month` (its own dates, or the file's) is neither: it is not the month's at all."""
    due, skipped = [], []
    for policy in policies:
        for benefit in policy.benefits_in_force(month):
            if benefit.basis != Basis.MONTHLY and today <= month_last_day(month):
                skipped.append(benefit.code)
            else:
                due.append((policy, benefit))
    return due, skipped


def issue_unit(run: IssuanceRun, unit_code: str, today: dt.date) -> int:
    """Open the missing accounts of one county for the run's month; returns the elders considered."""
    month = run.month
    policies = policies_for(unit_code, month)
    due, _ = _due_benefits(policies, month, today)
    if not due:
        return 0
    base, by_day = load_facts_for((b for _, b in due), month, region_code=unit_code)
    existing: dict[int, set[str]] = defaultdict(set)
    lo, hi = code_bounds(unit_code)
    for elder_id, policy_id, benefit_key in Account.objects.filter(
        month=month, elder__residence_id__gte=lo, elder__residence_id__lte=hi
    ).values_list("elder_id", "policy", "benefit"):
        existing[elder_id].add(f"{policy_id}/{benefit_key}")

    now = timezone.now()
    rows: list[tuple[object, ...]] = []
    # Per policy, what does not change from elder to elder: each benefit's facts, unit and expiry.
    plans = []
    for policy in policies:
        steps = []
        for p, benefit in due:
            if p is policy:
                expires = month_last_day(add_months(month, benefit.expiry.months_after)) if benefit.expiry is not None else None
                day_facts = by_day[facts_day(benefit, month)]
                steps.append(
                    (benefit, None if day_facts is base else day_facts, benefit.basis != Basis.MONTHLY, STORED_UNIT[benefit.unit], expires)
                )
        if steps:
            plans.append((policy, steps, unit_code.startswith(policy.prefix)))
    for elder_id, facts in base.items():
        had = existing.get(elder_id, ())
        for policy, steps, covers_all in plans:
            if not covers_all and not policy.covers(facts.residence):
                continue
            grants = {}
            for benefit, other_day, per_stay, unit, expires in steps:
                if per_stay and not facts.stays:
                    continue
                elder_facts = facts if other_day is None else other_day.get(elder_id)
                given = grant(benefit, elder_facts, month) if elder_facts is not None else None
                if given is not None:
                    grants[benefit.key] = (given, unit, expires)
            if not grants:
                continue
            excluded = {}
            if policy.exclusions and (len(grants) > 1 or had):
                issued = frozenset(code.split("/", 1)[1] for code in had if code.startswith(policy.id + "/"))
                excluded = resolve_exclusions(policy, grants, issued)
            for key, (given, unit, expires) in grants.items():
                if key in excluded or given.benefit.code in had:
                    continue
                amount = given.amount
                rows.append(
                    (
                        elder_id,
                        policy.id,
                        key,
                        month,
                        unit,
                        given.tier.id,
                        facts.residence,
                        amount,
                        amount,
                        expires,
                        given.facility_id,
                        run.pk,
                        now,
                    )
                )
    with transaction.atomic():
        insert_new(
            Account,
            [
                "elder",
                "policy",
                "benefit",
                "month",
                "unit",
                "tier",
                "region",
                "issued",
                "balance",
                "expires_on",
                "facility",
                "run",
                "created_at",
            ],
            rows,
        )
        # The issue entries of the accounts this run opened here, in one statement; an account another
        # run opened first is not this run's, so it gets no second entry.
        _issue_entries(run, lo, hi, now)
    return len(base)


def _issue_entries(run: IssuanceRun, lo: str, hi: str, now: dt.datetime) -> None:
    from ..models import Entry

    qn = connection.ops.quote_name
    entry, account = qn(Entry._meta.db_table), qn(Account._meta.db_table)
    concat = "'issue:' || CAST(a.id AS TEXT)"
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entry} (account_id, kind, amount, balance_after, {qn('key')}, reference, note, at) "
            f"SELECT a.id, %s, a.issued, a.issued, {concat}, '', '', %s FROM {account} a "
            f"WHERE a.run_id = %s AND a.region_id BETWEEN %s AND %s",
            [EntryKind.ISSUE, at, run.pk, lo, hi],
        )


def issuance_execute(*, run_id: int, today: dt.date | None = None) -> IssuanceRun:
    """Execute a queued run (the background task). Only one run of a region and month works at a
    time: a second finds the first's lock and fails with a clear error."""
    today = today or timezone.localdate()
    run = IssuanceRun.objects.get(pk=run_id)
    try:
        with transaction.atomic():
            IssuanceRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now())
    except IntegrityError:
        IssuanceRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=errors.ERR_RUN_BUSY, finished_at=timezone.now())
        run.refresh_from_db()
        return run
    try:
        considered = sum(issue_unit(run, unit_code, today) for unit_code in _units(run.region))
        _, skipped = _due_benefits(policies_for(run.region.code, run.month), run.month, today)
        # What this run opened, counted from the accounts themselves: a concurrent run that got to an
        # elder first opened that account, not this one.
        opened = Account.objects.filter(run=run).order_by().values("policy", "benefit").annotate(accounts=Count("pk"), amount=Sum("issued"))
        benefits = {f"{row['policy']}/{row['benefit']}": {"accounts": row["accounts"], "amount": row["amount"]} for row in opened}
        IssuanceRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            finished_at=timezone.now(),
            elders_considered=considered,
            accounts_opened=sum(b["accounts"] for b in benefits.values()),
            summary={"benefits": dict(sorted(benefits.items())), "skipped": sorted(skipped)},
        )
    except Exception as exc:
        IssuanceRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000])
        raise
    run.refresh_from_db()
    return run
