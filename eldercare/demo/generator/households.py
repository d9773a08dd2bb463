"""Which households exist, their kind and community, and the age and sex of every
member: cheap arrays drawn before any row, so institutions can be sized first."""

from __future__ import annotations

import random
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

from .. import data
from .draws import pick

if TYPE_CHECKING:
    from .regions import Community


@dataclass
class HouseholdPlan:
    kind: array  # per household: index into data.HOUSEHOLD_KINDS
    community: array  # per household: index into the plan's communities
    age: array  # per elder, households' members in order
    female: array  # per elder: 1 for a woman


def age_structure() -> tuple[list[int], list[float]]:
    """Every age an elder may have, and the running totals of their weights (data.AGE_BANDS)."""
    ages: list[int] = []
    weights: list[float] = []
    for first, last, share, decay in data.AGE_BANDS:
        band = [decay ** (a - first) for a in range(first, last + 1)]
        ages += range(first, last + 1)
        weights += [share * w / sum(band) for w in band]
    return ages, list(accumulate(weights))


def plan_households(rng: random.Random, n_elders: int, communities: Sequence[Community]) -> HouseholdPlan:
    kinds = data.HOUSEHOLD_KINDS
    kind_cum = list(accumulate(share / size for _, size, share in kinds))
    single_of = {
        i: next(j for j, (s, n, _) in enumerate(kinds) if n == 1 and (s == status or (status == "empty_nest" and s == "alone")))
        for i, (status, _, _) in enumerate(kinds)
    }
    community_cum = list(accumulate(c.weight for c in communities))
    hh_kind = array("b")
    hh_community = array("i")
    left = n_elders
    while left > 0:
        k = pick(rng, kind_cum)
        if kinds[k][1] > left:
            k = single_of[k]
        hh_kind.append(k)
        hh_community.append(pick(rng, community_cum))
        left -= kinds[k][1]

    # Ages: one pool drawn from the age structure, handed out in the order of a noisy
    # per-household key (see data.AGE_LEAN); spouses get neighbouring keys, so close ages.
    n = n_elders
    ages, age_cum = age_structure()
    pool = sorted(ages[pick(rng, age_cum)] for _ in range(n))
    keys = array("d")
    for k in hh_kind:
        status, size, _ = kinds[k]
        base = data.AGE_LEAN[status] + rng.gauss(0, data.AGE_LEAN_NOISE)
        keys.extend(base + rng.gauss(0, 0.3) for _ in range(size))
    elder_age = array("b", bytes(n))
    for rank, slot in enumerate(sorted(range(n), key=keys.__getitem__)):
        elder_age[slot] = pool[rank]
    del keys, pool

    # Sexes: a couple is a man and a woman, the man older four times in five; the others
    # are women with the probability that brings each age band to data.FEMALE_SHARE.
    def band(age: int) -> int:
        return next(i for i, (lo, _) in reversed(list(enumerate(data.FEMALE_SHARE))) if age >= lo)

    elder_female = array("b", bytes(n))
    singles: list[int] = []
    total, women = [0] * len(data.FEMALE_SHARE), [0] * len(data.FEMALE_SHARE)
    slot = 0
    for k in hh_kind:
        if kinds[k][1] == 2:
            a, b = elder_age[slot], elder_age[slot + 1]
            female_first = (a > b) != (rng.random() < 0.8) if a != b else rng.random() < 0.5
            elder_female[slot if female_first else slot + 1] = 1
            for s in (slot, slot + 1):
                total[band(elder_age[s])] += 1
                women[band(elder_age[s])] += elder_female[s]
        else:
            singles.append(slot)
            total[band(elder_age[slot])] += 1
        slot += kinds[k][1]
    single_count = Counter(band(elder_age[s]) for s in singles)
    p_female = [
        min(0.95, max(0.05, (share * total[i] - women[i]) / single_count[i])) if single_count[i] else 0.5
        for i, (_, share) in enumerate(data.FEMALE_SHARE)
    ]
    for s in singles:
        elder_female[s] = rng.random() < p_female[band(elder_age[s])]
    return HouseholdPlan(hh_kind, hh_community, elder_age, elder_female)
