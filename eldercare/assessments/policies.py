"""Regional policy data: which categories an ability level means, and when to reassess.

`policies/default.yaml` is the platform's default; `policies/<12-digit region code>.yaml` overrides
it for a region (see the default's header for the format). Look-ups walk the region code's
prefixes — community (12 digits), street (9), county (6), city (4), province (2) — and take the
most specific file that says something, then the default.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from eldercare.core.datafiles import DataFileError, Node, load_yaml
from eldercare.core.months import add_months
from eldercare.regions.models import covering_codes

from .choices import CareCategory, DisabilityDegree, LevelCode
from .standards import FILES

POLICIES_DIR = Path(__file__).parent / "policies"
DEFAULT = "default"
KEYS = {"region", "name", "levels", "reassessment"}


@dataclass(frozen=True)
class Categories:
    level: str
    care_category: str
    disability_degree: str
    citation: str
    region: str  # the policy that answered: a 12-digit code or "default"


@dataclass(frozen=True)
class Interval:
    months: int
    citation: str
    region: str

    def due(self, start: dt.date) -> dt.date:
        return add_months(start, self.months)


def _interval(node: Node) -> dict:
    months = node.int("interval_months")
    if months <= 0:
        raise node.at("interval_months").error(DataFileError.BAD_VALUE, detail="must be positive")
    return {"months": months, "citation": node.str("citation")}


def parse_policy(data, file: str, expected_region: str) -> dict:
    root = Node(data, file, "")
    unknown = set(root.mapping()) - KEYS
    if unknown:
        raise root.error(DataFileError.UNKNOWN_NAME, kind="key", name=", ".join(sorted(unknown)))
    if str(root.get("region")) != expected_region:
        raise root.at("region").error(DataFileError.BAD_VALUE, detail=f"the file is for {expected_region!r}")
    levels = {}
    if root.has("levels") or expected_region == DEFAULT:
        mapping = root.at("levels")
        for code in mapping.mapping():
            entry = mapping.at(code)
            if code not in LevelCode.values:
                raise entry.error(DataFileError.UNKNOWN_NAME, kind="level", name=code)
            levels[code] = {
                "care_category": entry.one_of("care_category", CareCategory.values, "care category"),
                "disability_degree": entry.one_of("disability_degree", DisabilityDegree.values, "disability degree"),
                "citation": entry.str("citation"),
            }
        missing = set(LevelCode.values) - set(levels)
        if expected_region == DEFAULT and missing:
            raise mapping.error(DataFileError.BAD_VALUE, detail=f"the default must map every level; missing {', '.join(sorted(missing))}")
    reassessment = {}
    if root.has("reassessment") or expected_region == DEFAULT:
        node = root.at("reassessment")
        reassessment = {"general": _interval(node) if node.has("interval_months") or expected_region == DEFAULT else None}
        if node.has("by_standard"):
            by_standard = node.at("by_standard")
            for code in by_standard.mapping():
                if code not in FILES:
                    raise by_standard.at(code).error(DataFileError.UNKNOWN_NAME, kind="standard", name=code)
                reassessment[code] = _interval(by_standard.at(code))
    return {"levels": levels, "reassessment": reassessment}


@functools.cache
def _policy(directory: Path, name: str) -> dict | None:
    path = directory / f"{name}.yaml"
    if not path.exists():
        return None
    return parse_policy(load_yaml(path), path.name, name)


def _chain(region_code: str, directory: Path) -> list[tuple[str, dict]]:
    if not (len(region_code) == 12 and region_code.isdigit()):
        raise ValueError(f"not a 12-digit region code: {region_code!r}")
    names = [*covering_codes(region_code), DEFAULT]
    chain = [(name, _policy(directory, name)) for name in names]
    if chain[-1][1] is None:
        raise DataFileError(f"{DEFAULT}.yaml", "(top)", DataFileError.MISSING)
    return [(name, policy) for name, policy in chain if policy is not None]


def categories_for(level: str, region_code: str, *, directory: Path = POLICIES_DIR) -> Categories:
    """The categories `level` means for an elder living in `region_code`."""
    if level not in LevelCode.values:
        raise ValueError(f"unknown level {level!r}")
    name, policy = next((n, p) for n, p in _chain(region_code, directory) if level in p["levels"])
    entry = policy["levels"][level]
    return Categories(level, entry["care_category"], entry["disability_degree"], entry["citation"], name)


def reassessment_interval(standard: str, region_code: str, *, directory: Path = POLICIES_DIR) -> Interval:
    """How long an effective assessment under `standard` lasts in `region_code`: the most specific
    region that sets an interval for that standard, or in general, wins."""
    for name, policy in _chain(region_code, directory):
        rule = policy["reassessment"].get(standard) or policy["reassessment"].get("general")
        if rule:
            return Interval(rule["months"], rule["citation"], name)
    raise DataFileError(f"{DEFAULT}.yaml", "reassessment", DataFileError.MISSING)
