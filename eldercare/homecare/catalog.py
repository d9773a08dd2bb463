"""The service catalogue as data (`catalog.yaml`), synchronised into `ServiceItem` rows."""

from __future__ import annotations

import functools
from pathlib import Path

from eldercare.core.datafiles import DataFileError, Node, load_yaml

from .models import Category, ChargeUnit, ServiceItem, VocationalLevel

CATALOG = Path(__file__).parent / "catalog.yaml"


@functools.cache
def catalog_items(path: Path = CATALOG) -> tuple[dict, ...]:
    root = Node(load_yaml(path), path.name, "")
    root.str("source")
    items, seen = [], set()
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
                "category": node.one_of("category", Category.values, "category"),
                "unit": node.one_of("unit", ChargeUnit.values, "unit"),
                "minutes": minutes,
                "min_level": level,
            }
        )
    return tuple(items)


def catalog_sync() -> int:
    """Create or update the catalogue's items (items dropped from the file are kept, inactive).
    Returns the number of items in the file."""
    items = catalog_items()
    for item in items:
        ServiceItem.objects.update_or_create(code=item["code"], defaults={**item, "active": True})
    ServiceItem.objects.exclude(code__in=[i["code"] for i in items]).update(active=False)
    return len(items)
