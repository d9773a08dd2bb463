"""Reads of the region tree, scoped to the acting user."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_OUT_OF_SCOPE, require, scope_for

from .models import Region

ERR_REGION_UNKNOWN = "未知的区划代码 {code} / unknown region code {code}"


def region_children(*, actor, code: str | None) -> list[Region]:
    """Children of a region (or the actor's own top region), limited to the actor's scope."""
    require(actor, Cap.VIEW_REGIONS)
    scope = scope_for(actor)
    if code is None:
        if scope.kind == "all":
            return list(Region.objects.filter(parent__isnull=True))
        return [actor.region] if actor.region_id else []
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404(ERR_REGION_UNKNOWN.format(code=code))
    if not scope.covers_region(region.code):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    return list(region.children.order_by("code"))


def region_get(*, actor, code: str) -> Region:
    require(actor, Cap.VIEW_REGIONS)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404(ERR_REGION_UNKNOWN.format(code=code))
    if not scope_for(actor).covers_region(region.code):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    return region
