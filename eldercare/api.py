"""The REST API: one NinjaAPI, a router per app, OpenAPI docs at /api/docs."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import django_auth

from eldercare.accounts.api import TokenAuth, regions_router
from eldercare.accounts.api import router as accounts_router
from eldercare.elders.api import router as elders_router

api = NinjaAPI(
    title="eldercare 智慧养老服务平台 API",
    version="1",
    description="社区居家养老服务平台接口。认证：会话或 `Authorization: Bearer <令牌>`。所有数据按用户的区划与角色限定范围。",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)
api.add_router("/accounts", accounts_router)
api.add_router("/regions", regions_router)
api.add_router("/elders", elders_router)
api.add_router("/assessments", "eldercare.assessments.api.router")
api.add_router("/entitlements", "eldercare.entitlements.api.router")
api.add_router("/providers", "eldercare.providers.api.router")
api.add_router("/services", "eldercare.homecare.api.router")
api.add_router("/devices", "eldercare.devices.api.router")


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    if hasattr(exc, "error_dict"):
        body = {"detail": {field: [m for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}}
    else:
        body = {"detail": {"__all__": exc.messages}}
    return api.create_response(request, body, status=422)
