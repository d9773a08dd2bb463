"""The REST API: one NinjaAPI, a router per app, OpenAPI docs at /api/docs.

Handlers take the acting user from `request.auth` (a session or a bearer token; the gateway
endpoint's is a gateway). Every list is paged the one way of `core.pagination`. A refused request
answers with a stable `code` beside the bilingual `detail`: the code of the named error
(`core.errors.Err`) the service raised, or a generic one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import django_auth

from eldercare.accounts.api import TokenAuth
from eldercare.core.errors import code_of

api = NinjaAPI(
    title="eldercare 智慧养老服务平台 API",
    version="1",
    description="社区居家养老服务平台接口。认证：会话或 `Authorization: Bearer <令牌>`。所有数据按用户的区划与角色限定范围。"
    "列表统一分页（page、page_size，返回 total）；拒绝的请求返回稳定的错误代码 code 与中英文说明 detail。",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)

ROUTERS = {
    "/accounts": "eldercare.accounts.api.router",
    "/regions": "eldercare.accounts.api.regions_router",
    "/elders": "eldercare.elders.api.router",
    "/assessments": "eldercare.assessments.api.router",
    "/facilities": "eldercare.facilities.api.router",
    "/entitlements": "eldercare.entitlements.api.router",
    "/providers": "eldercare.providers.api.router",
    "/services": "eldercare.homecare.api.router",
    "/devices": "eldercare.devices.api.router",
}
for prefix, router in ROUTERS.items():
    api.add_router(prefix, router)

FORBIDDEN, NOT_FOUND, INVALID = "forbidden", "not_found", "invalid"


def _first(exc: Exception) -> Any:
    return exc.args[0] if exc.args else ""


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    message = _first(exc)
    return api.create_response(request, {"code": code_of(message, FORBIDDEN), "detail": str(message) or "forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    message = _first(exc)
    code = code_of(message, NOT_FOUND)
    # get_object_or_404 says which model it looked for; that is no business of the caller's.
    detail = str(message) if code != NOT_FOUND and message else "未找到 / not found"
    return api.create_response(request, {"code": code, "detail": detail}, status=404)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with the messages per field (`detail`) and, for each, its code (`errors`)."""
    fields = exc.error_dict if hasattr(exc, "error_dict") else {"__all__": exc.error_list}
    detail: dict[str, list[str]] = {}
    errors: list[dict[str, str]] = []
    for field, errs in fields.items():
        for err in errs:
            for message in err.messages:
                detail.setdefault(field, []).append(message)
                errors.append({"field": field, "code": code_of(err.message, err.code or INVALID), "message": message})
    code = errors[0]["code"] if len({e["code"] for e in errors}) == 1 else INVALID
    return api.create_response(request, {"code": code, "detail": detail, "errors": errors}, status=422)


@api.exception_handler(SchemaValidationError)
def schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    """The request did not fit the endpoint's schema (a missing field, a page size past the maximum)."""
    return api.create_response(request, {"code": "schema", "detail": exc.errors}, status=422)
