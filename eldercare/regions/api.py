from __future__ import annotations

from ninja import Router, Schema

from . import selectors

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent: str | None
    is_main_urban: bool

    @staticmethod
    def resolve_parent(obj):
        return obj.parent_id


@router.get("/", response=list[RegionOut], summary="下级区划 / child regions (the user's own region when no parent is given)")
def children(request, parent: str | None = None):
    return selectors.region_children(actor=request.user, code=parent)


@router.get("/{code}", response=RegionOut, summary="区划详情 / one region")
def detail(request, code: str):
    return selectors.region_get(actor=request.user, code=code)
