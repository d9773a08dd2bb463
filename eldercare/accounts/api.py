from __future__ import annotations

from ninja import Router, Schema
from ninja.security import HttpBearer

from .models import ApiToken
from .roles import CAPABILITIES, Role

router = Router(tags=["accounts"])


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`; the request then carries that user like a session would."""

    def authenticate(self, request, token):
        found = ApiToken.objects.authenticate(token)
        if found is None:
            return None
        request.user = found.user
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
    user = request.user
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
