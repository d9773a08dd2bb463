"""The one way the API pages a list: `?page=&page_size=` in, `{total, page, page_size, items}` out.

Every list endpoint takes `paging: Query[Paging]`, answers `Page[ItemOut]` and returns
`paged(rows, paging, shape)`. A page size past the maximum is refused (422), not silently cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_PAGE_SIZE = 200


class Paging(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="页码 / page number, from 1")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description=f"每页条数 / rows per page (at most {MAX_PAGE_SIZE})")


class Page[T](Schema):
    total: int
    page: int
    page_size: int
    items: list[T]


def paged(
    rows: QuerySet[Any] | Sequence[Any],
    paging: Paging,
    shape: Callable[[Any], Any] | None = None,
    *,
    prepare: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """One page of `rows` (a queryset is counted and sliced in the database), each row through `shape`;
    `prepare` takes the page's slice first (e.g. to fetch what the rows show in one query)."""
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    start = (paging.page - 1) * paging.page_size
    window = rows[start : start + paging.page_size]
    items = list(prepare(window) if prepare else window)
    return {"total": total, "page": paging.page, "page_size": paging.page_size, "items": [shape(r) for r in items] if shape else items}
