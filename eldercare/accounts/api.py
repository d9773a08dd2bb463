from __future__ import annotations

from ninja import Query, Router, Schema
from ninja.security import HttpBearer

from eldercare.core.api import RegionCode, refusals
from eldercare.core.pagination import Page, Paging, paged

from . import security, selectors
from .models import ApiToken
from .roles import CAPABILITIES, Role

router = Router(tags=["accounts"])


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`; the request then carries that user like a session would."""

    def authenticate(self, request, token):
        found = ApiToken.objects.authenticate(token)
        if found is None:
            security.token_refused(request)
            return None
        request.user = found.user
        security.token_used(request, found)
        return found.user


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    region: str | None
    region_name: str | None
    capabilities: list[str]


@router.get("/me", response=MeOut, summary="当前用户 / the current user")
def me(request):
    user = request.auth
    caps = sorted(CAPABILITIES[Role(user.role)]) if not user.is_superuser else sorted(CAPABILITIES[Role.SYSTEM_ADMIN])
    return MeOut(
        username=user.username,
        display_name=str(user),
        role=user.role,
        role_label=str(Role(user.role).label),
        region=user.region_id,
        region_name=user.region.name if user.region_id else None,
        capabilities=[str(c) for c in caps],
    )


regions_router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent: str | None
    is_main_urban: bool

    @staticmethod
    def resolve_parent(obj):
        return obj.parent_id


@regions_router.get(
    "/",
    response={200: Page[RegionOut], **refusals(403, 404)},
    summary="下级区划 / child regions (the user's own region when no parent is given)",
)
def children(request, paging: Query[Paging], parent: RegionCode | None = None):
    return paged(selectors.region_children(actor=request.auth, code=parent), paging)


@regions_router.get("/{code}", response={200: RegionOut, **refusals(403, 404)}, summary="区划详情 / one region")
def detail(request, code: str):
    return selectors.region_get(actor=request.auth, code=code)
