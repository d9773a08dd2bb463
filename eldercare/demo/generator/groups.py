"""An elder's priority-group memberships (disability, dementia, means tests, family
planning, severe handicap), at the rates in `data`, with the documents they rest on."""

from __future__ import annotations

import datetime as dt
import random

from eldercare.elders.models import PriorityGroup

from .. import data
from .draws import past_date

# (group, level, valid from, valid to, source)
Membership = tuple[str, str, dt.date, dt.date | None, str]


def _level_of(rng: random.Random, mix) -> str:
    u, acc = rng.random(), 0.0
    for lv, p in mix:
        acc += p
        if u < acc:
            return lv
    return mix[-1][0]


def priority_groups(rng: random.Random, today: dt.date, age: int) -> tuple[list[Membership], str | None]:
    """Memberships, and "disabled"/"dementia" when the elder needs a guardian."""
    old = age >= 80
    rows: list[Membership] = []
    health = None

    def add(group, level, valid_from, valid_to=None, source=""):
        rows.append((group, level, valid_from, valid_to, source))

    if rng.random() < (data.DISABLED_80_PLUS if old else data.DISABLED_UNDER_80):
        level = _level_of(rng, data.DISABILITY_LEVELS)
        start = past_date(rng, today, 3650, 30)
        add(PriorityGroup.DISABLED, level, start, None, f"能力评估 PG{start.year}{rng.randrange(1_000_000):06d}")
        if level != "mild" and rng.random() < 0.15:  # reassessed: an earlier, milder finding ended
            earlier = start - dt.timedelta(days=rng.randint(200, 1500))
            lower = "mild" if level == "moderate" else "moderate"
            add(
                PriorityGroup.DISABLED,
                lower,
                earlier,
                start - dt.timedelta(days=1),
                f"能力评估 PG{earlier.year}{rng.randrange(1_000_000):06d}",
            )
        health = "disabled"
    if rng.random() < (data.DEMENTIA_80_PLUS if old else data.DEMENTIA_UNDER_80):
        start = past_date(rng, today, 3650, 30)
        add(
            PriorityGroup.DEMENTIA,
            _level_of(rng, (("mild", 0.4), ("moderate", 0.35), ("severe", 0.25))),
            start,
            None,
            f"能力评估 PG{start.year}{rng.randrange(1_000_000):06d}",
        )
        health = "dementia"
    u, acc, poor = rng.random(), 0.0, None
    for group, p in data.POVERTY_GROUPS:
        acc += p
        if u < acc:
            poor = group
            break
    if poor:
        start = past_date(rng, today, 3650, 30)
        add(poor, "", start, None, f"杭民救〔{start.year}〕{rng.randint(1, 300)}号")
    elif rng.random() < 0.01:  # left 低保边缘 some years ago
        start = past_date(rng, today, 3650, 1500)
        add(
            PriorityGroup.DIBAO_EDGE,
            "",
            start,
            start + dt.timedelta(days=rng.randint(180, 1200)),
            f"杭民救〔{start.year}〕{rng.randint(1, 300)}号",
        )
    if rng.random() < data.FP_SPECIAL:
        start = past_date(rng, today, 3650, 30)
        add(PriorityGroup.FAMILY_PLANNING_SPECIAL, "", start, None, f"杭卫计特〔{start.year}〕{rng.randint(1, 99)}号")
    if rng.random() < data.SEVERE_HANDICAP:
        start = past_date(rng, today, 3650, 30)
        add(PriorityGroup.SEVERE_HANDICAP, "", start, None, f"残联认定 {start.year}-{rng.randrange(100_000):05d}")
    return rows, health
