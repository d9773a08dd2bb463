"""The build: its phases in order, inside one transaction, and what it reports."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from eldercare.assessments.models import Assessment
from eldercare.elders.models import Consent, Contact, Elder, ElderGroup, Household
from eldercare.facilities.models import Institution
from eldercare.regions.models import Region
from eldercare.regions.services import validate_region

from .. import data
from .assessments import Assessments
from .households import plan_households
from .people import People
from .regions import Institutions, plan_regions
from .reset import Log, demo_data_present, reset_demo_data
from .users import DEMO_PASSWORD, DemoUsers
from .writers import WRITERS, Writer, default_writer

MAX_COMMUNITIES_DEFAULT = 5_000
ELDERS_PER_COMMUNITY = 35
MIN_COMMUNITIES = 200


class DemoDataExists(RuntimeError):
    """The database already holds registry data; reset first or skip."""


@dataclass
class DemoSummary:
    seed: int
    elders: int = 0
    households: int = 0
    contacts: int = 0
    groups: int = 0
    consents: int = 0
    institutions: int = 0
    assessments: int = 0
    qualifications: int = 0
    regions: int = 0
    communities: int = 0
    users: int = 0
    seconds: float = 0.0
    password: str = DEMO_PASSWORD
    # (username, role label, region name)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return (
            self.elders
            + self.households
            + self.contacts
            + self.groups
            + self.consents
            + self.assessments
            + self.qualifications
            + self.institutions
            + self.regions
            + self.users
        )


def default_communities(elders: int) -> int:
    """About one community per 35 elders, at least 200, at most 5,000."""
    return min(MAX_COMMUNITIES_DEFAULT, max(MIN_COMMUNITIES, round(elders / ELDERS_PER_COMMUNITY)))


def build_demo_city(
    *,
    elders: int = 50_000,
    communities: int | None = None,
    seed: int = 2026,
    log: Log = print,
    reset: bool = False,
    writer: str | None = None,
) -> DemoSummary:
    """Build the demo city in one transaction and return what was made.

    Raises DemoDataExists when elders or regions are already there and `reset` is false.
    `writer`: "copy" (PostgreSQL COPY, the default there), "sql" (INSERT executemany, the
    default elsewhere) or "orm" (bulk_create, slowest, the reference the others must match).
    """
    if elders < 2:
        raise ValueError("elders must be at least 2")
    communities = communities or default_communities(elders)
    if communities < 2 * len(data.COUNTIES):
        raise ValueError(f"communities must be at least {2 * len(data.COUNTIES)}")
    writer = writer or default_writer()
    if writer not in WRITERS or (writer == "copy" and connection.vendor != "postgresql"):
        raise ValueError(f"unknown writer {writer!r} for {connection.vendor}")
    with transaction.atomic():
        if reset:
            reset_demo_data(log)
        present = demo_data_present()
        if present:
            found = ", ".join(f"{v:,} {k}" for k, v in present.items())
            raise DemoDataExists(f"数据库中已有数据（{found}）/ the database already holds {found}: reset it first")
        log(f"生成演示城市 / building demo city: {elders:,} elders, {communities:,} communities, seed {seed}")
        summary = _build(elders=elders, communities=communities, seed=seed, log=log, writer=writer)
    log(f"完成 done: {summary.rows:,} rows in {summary.seconds:.1f} s ({summary.rows / max(summary.seconds, 1e-9):,.0f} rows/s)")
    return summary


def _build(*, elders: int, communities: int, seed: int, log: Log, writer: str) -> DemoSummary:
    """Every part draws from its own generator seeded from `seed`, so the parts do not shift each other."""
    started = time.perf_counter()
    today, now = timezone.localdate(), timezone.now()
    summary = DemoSummary(seed=seed)

    plan = plan_regions(random.Random(f"{seed}:regions"), communities)
    for region in plan.regions:
        validate_region(code=region.code, level=region.level, parent=region.parent)
    Region.objects.bulk_create(plan.regions, batch_size=1_000)
    summary.regions = len(plan.regions)
    summary.communities = len(plan.communities)
    log(f"区划 regions: {len(plan.regions)} ({len(plan.streets)} streets, {len(plan.communities)} communities)")

    users = DemoUsers(plan, make_password(DEMO_PASSWORD))
    summary.users += users.create_staff(log)

    out = WRITERS[writer]()
    households = plan_households(random.Random(f"{seed}:households"), elders, plan.communities)
    institutions = Institutions(random.Random(f"{seed}:institutions"), plan, households, first_id=out.next_id[Institution])
    for row in institutions.rows:
        out.add(Institution, row)
    out.flush()
    summary.institutions = len(institutions.rows)
    log(f"机构 institutions: {len(institutions.rows)}; writer: {out.name}")

    assessments = Assessments(rng=random.Random(f"{seed}:assessments"), today=today, now=now, writer=out)
    summary.qualifications = assessments.qualify_staff()
    people = People(
        rng=random.Random(f"{seed}:elders"),
        today=today,
        now=now,
        writer=out,
        plan=plan,
        households=households,
        institutions=institutions,
        system_user_id=users.system_user_id,
        assessments=assessments,
    )
    people.generate(started, log)
    summary.elders = out.written[Elder]
    summary.households = out.written[Household]
    summary.contacts = out.written[Contact]
    summary.groups = out.written[ElderGroup]
    summary.consents = out.written[Consent]
    summary.assessments = out.written[Assessment]
    log(f"能力评估 assessments: {summary.assessments:,} ({summary.qualifications} assessor qualifications)")

    summary.users += users.link_elder_and_family(today)
    summary.logins = users.logins()
    _finish()
    summary.seconds = time.perf_counter() - started
    return summary


def _finish() -> None:
    """Sequences past the keys the writer handed out; fresh statistics for the first queries."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(Writer.ORDER)):
            cursor.execute(sql)
        for model in [Region, *Writer.ORDER]:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
