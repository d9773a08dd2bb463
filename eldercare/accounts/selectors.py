"""Reads of the region tree, scoped to the acting user (the tree itself lives in `regions`, which
knows no users; who may open which region is decided here)."""

from __future__ import annotations

from django.http import Http404

from eldercare.core.errors import Err
from eldercare.regions.models import Level, Region

from .models import User
from .roles import Cap
from .scoping import require, require_region, scope_for

ERR_REGION_UNKNOWN = Err("accounts.region_unknown", "未知的区划代码 {code} / unknown region code {code}")
def region_children(*, actor: User, code: str | None) -> list[Region]:
    """Children of a region (or the actor's own top region), limited to the actor's scope."""
    require(actor, Cap.VIEW_REGIONS)
    scope = scope_for(actor)
    if code is None:
        if scope.everywhere:
            return list(Region.objects.filter(parent__isnull=True))
        return [actor.region] if actor.region is not None else []
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404(ERR_REGION_UNKNOWN.format(code=code))
    require_region(actor, region.code)
    return list(region.children.order_by("code"))


def region_get(*, actor: User, code: str) -> Region:
    require(actor, Cap.VIEW_REGIONS)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404(ERR_REGION_UNKNOWN.format(code=code))
    require_region(actor, region.code)
    return region


COMMUNITY_SELECT_LIMIT = 500


def region_breadcrumb(*, actor: User, region: Region) -> list[Region]:
    """The ancestors of a region the actor may open, from the top down."""
    require(actor, Cap.VIEW_REGIONS)
    scope = scope_for(actor)
    return [ancestor for ancestor in region.ancestors() if scope.covers_region(ancestor.code)]


def communities_in_scope(*, actor: User, limit: int | None = None) -> list[Region] | None:
    """Communities an editor may register elders in, or None when there are more
    than `limit` (the form then asks for a code instead of offering a list)."""
    require(actor, Cap.EDIT_ELDERS)
    limit = limit or COMMUNITY_SELECT_LIMIT
    rows = list(
        Region.objects.filter(scope_for(actor).q(region_field="code"), level=Level.COMMUNITY)
        .select_related("parent")
        .order_by("code")[: limit + 1]
    )
    return None if len(rows) > limit else rows
