"""The service catalogue as data (`catalog.yaml`): its categories and items, synchronised into
`ServiceCategory` and `ServiceItem` rows on every migrate."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from django.db import transaction

from eldercare.core.datafiles import DataFileError, Node, load_yaml

from .models import ChargeUnit, ServiceCategory, ServiceItem, VocationalLevel

CATALOG = Path(__file__).parent / "catalog.yaml"
SEEDS = ("000", "001", "002", "003", "004")
MAX_CATEGORIES = 63  # matching keeps a caregiver's categories as the bits of one 64-bit integer


@functools.cache
def catalog(path: Path = CATALOG) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """(categories, items) as the file gives them, checked; a broken file names the entry."""
    root = Node(load_yaml(path), path.name, "")
    root.str("source")
    categories: list[dict[str, Any]] = []
    for position, node in enumerate(root.list("categories")):
        code = node.str("code")
        if any(c["code"] == code for c in categories):
            raise node.at("code").error(DataFileError.DUPLICATE_ITEM, item=code)
        seed = node.one_of("seed", SEEDS, "seed")
        quote = node.str("quote")
        categories.append(
            {"code": code, "name": node.str("name"), "seed": seed, "quote": quote, "citation": f"seed {seed}: “{quote}”", "position": position}
        )
    if len(categories) > MAX_CATEGORIES:
        raise root.at("categories").error(DataFileError.BAD_VALUE, detail=f"at most {MAX_CATEGORIES} categories")
    codes = [c["code"] for c in categories]
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for node in root.list("items"):
        code = node.str("code")
        if code in seen:
            raise node.at("code").error(DataFileError.DUPLICATE_ITEM, item=code)
        seen.add(code)
        minutes = node.int("minutes")
        if minutes <= 0:
            raise node.at("minutes").error(DataFileError.BAD_VALUE, detail="must be positive")
        level = node.get("min_level")
        if level is not None and level not in VocationalLevel.values:
            raise node.at("min_level").error(DataFileError.BAD_VALUE, detail=f"a vocational level 1–5, got {level!r}")
        items.append(
            {
                "code": code,
                "name": node.str("name"),
                "category": node.one_of("category", codes, "category"),
                "unit": node.one_of("unit", ChargeUnit.values, "unit"),
                "minutes": minutes,
                "min_level": level,
            }
        )
    return tuple(categories), tuple(items)


def catalog_items(path: Path = CATALOG) -> tuple[dict[str, Any], ...]:
    return catalog(path)[1]


def category_codes() -> tuple[str, ...]:
    return tuple(c["code"] for c in catalog()[0])


@functools.cache
def category_bits() -> dict[str, int]:
    """Each category's bit in a caregiver's skill mask (matching)."""
    return {code: 1 << i for i, code in enumerate(category_codes())}


@transaction.atomic
def catalog_sync() -> int:
    """Create or update the categories and items (those dropped from the file are kept, inactive).
    Returns the number of items in the file."""
    categories, items = catalog()
    for c in categories:
        ServiceCategory.objects.update_or_create(
            code=c["code"], defaults={"name": c["name"], "citation": c["citation"], "position": c["position"], "active": True}
        )
    ServiceCategory.objects.exclude(code__in=[c["code"] for c in categories]).update(active=False)
    for item in items:
        fields = {k: v for k, v in item.items() if k != "category"}
        ServiceItem.objects.update_or_create(code=item["code"], defaults=fields | {"category_id": item["category"], "active": True})
    ServiceItem.objects.exclude(code__in=[i["code"] for i in items]).update(active=False)
    return len(items)
