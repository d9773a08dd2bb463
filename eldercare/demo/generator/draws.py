"""Seeded draws and the arithmetic the plans share. Every draw takes its
`random.Random`, so the order of draws stays visible where they are made."""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from decimal import Decimal


def allocate(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split `total` into len(weights) integers proportional to weights (largest remainder), each >= minimum."""
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError(f"cannot give {len(weights)} parts at least {minimum} each out of {total}")
    scale = sum(weights)
    raw = [rest * w / scale for w in weights]
    counts = [int(r) for r in raw]
    left = rest - sum(counts)
    for i in sorted(range(len(weights)), key=lambda i: (counts[i] - raw[i], i))[:left]:
        counts[i] += 1
    return [minimum + c for c in counts]


def pick(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn with the weights whose running totals are `cum`."""
    return min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def disc(rng: random.Random, radius: float) -> tuple[float, float]:
    """A uniform offset within a disc of `radius` degrees of latitude (longitude stretched at 30°N)."""
    rho = radius * math.sqrt(rng.random())
    theta = 2 * math.pi * rng.random()
    return rho * math.cos(theta), rho * math.sin(theta) * 1.155


def past_date(rng: random.Random, today: dt.date, earliest_days: int, latest_days: int) -> dt.date:
    return today - dt.timedelta(days=rng.randint(latest_days, earliest_days))


def coord(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


class NamePool:
    """Distinct two-syllable names in a shuffled order; when exhausted, variants."""

    def __init__(self, rng: random.Random, first: tuple[str, ...], second: tuple[str, ...], variant: Callable[[str, int], str]):
        self.combos = [a + b for a in first for b in second if a != b]
        rng.shuffle(self.combos)
        self.variant = variant
        self.i = 0

    def next(self) -> str:
        cycle, k = divmod(self.i, len(self.combos))
        self.i += 1
        name = self.combos[k]
        return name if cycle == 0 else self.variant(name, cycle)
