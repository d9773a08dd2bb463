"""The REST API: one NinjaAPI, a router per app, OpenAPI docs at /api/docs.

Handlers take the acting user from `request.auth` (a session or a bearer token; the gateway
endpoint's is a gateway). Every list is paged the one way of `core.pagination`. A refused request
answers with a stable `code` beside the bilingual `detail`: the code of the named error
(`core.errors.Err`) the service raised, or a generic one.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pydantic
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import django_auth

from eldercare.accounts import security
from eldercare.accounts.api import TokenAuth
from eldercare.core.api import DESCRIPTIONS, Refusal
from eldercare.core.errors import Conflict, code_of

logger = logging.getLogger(__name__)


class _Api(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_refusals(schema)
        return schema


api = _Api(
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
    security.record_denial(request, exc)
    return api.create_response(request, {"code": code_of(message, FORBIDDEN), "detail": str(message) or "forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    message = _first(exc)
    code = code_of(message, NOT_FOUND)
    # get_object_or_404 says which model it looked for; that is no business of the caller's.
    detail = str(message) if code != NOT_FOUND and message else "未找到 / not found"
    return api.create_response(request, {"code": code, "detail": detail}, status=404)


@api.exception_handler(Conflict)
def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return api.create_response(request, {"code": code_of(exc.message, "conflict"), "detail": str(exc.message)}, status=409)


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


# ---------------------------------------------------------------- what the framework refuses

HTTP_CODES = {400: "malformed", 401: "unauthorized", 403: FORBIDDEN, 404: NOT_FOUND, 405: "method", 429: "throttled"}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals: no or a bad credential (401), a body that is not JSON (400), a session's
    write without its CSRF token (403)."""
    detail = "未认证 / not authenticated" if isinstance(exc, AuthenticationError) else str(exc)
    return api.create_response(request, {"code": HTTP_CODES.get(exc.status_code, "error"), "detail": detail}, status=exc.status_code)


@api.exception_handler(MultiPartParserError)
def malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A multipart body Django cannot read (e.g. no boundary in its Content-Type)."""
    return api.create_response(
        request, {"code": "malformed", "detail": f"无法解析的表单数据 / unreadable multipart body: {exc}"}, status=400
    )


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Past DATA_UPLOAD_MAX_MEMORY_SIZE (or too many fields or files): refused before it is read."""
    return api.create_response(request, {"code": "too_large", "detail": f"请求过大 / request too large: {exc}"}, status=413)


@api.exception_handler(ValueError)
@api.exception_handler(OverflowError)
def unreadable_value(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A value the schema let through but the code below could not take (a date past the calendar, a
    number past the database's): the caller's input, so 400, never a 500. Each one is a missing bound
    to fix where the value comes in; it is logged so it is seen (and the API's fuzz test fails on it).
    An answer that does not fit its own response schema is the server's fault, and stays a 500."""
    if isinstance(exc, pydantic.ValidationError):
        raise exc
    # Where, not what: the message may quote the request's values (ID numbers, health data).
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f"{where.filename}:{where.lineno} ({where.name})" if where else "?"
    logger.error("unbounded input: %s at %s, for %s %s", type(exc).__name__, place, request.method, request.path)
    return api.create_response(request, {"code": "out_of_range", "detail": "无法处理的取值 / a value out of range"}, status=400)


# ---------------------------------------------------------------- what the OpenAPI says is refused

UNSAFE = {"post", "put", "patch", "delete"}


def _document_refusals(schema: dict[str, Any]) -> None:
    """Add to each operation the refusals the framework can answer for it, beside those it declares,
    all with the one error body (`core.api.Refusal`): 401 (an authenticated operation), 403 (a
    session's write without its CSRF token), 422 (parameters or a body the schema refuses), 400 and
    413 (a body that cannot be read, or is too large)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error = Refusal.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error.pop("$defs", {}))
    components.setdefault("Refusal", error)
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Refusal"}}}
    for item in schema["paths"].values():
        for method, operation in item.items():
            auth = {name for requirement in operation.get("security", []) for name in requirement}
            statuses = set()
            if auth:
                statuses.add(401)
            if "SessionAuth" in auth and method in UNSAFE:
                statuses.add(403)
            if operation.get("parameters") or operation.get("requestBody"):
                statuses.add(422)
            if operation.get("requestBody"):
                statuses |= {400, 413}
            responses = operation["responses"]
            for status in sorted(statuses):
                responses.setdefault(status, {"description": DESCRIPTIONS[status], "content": body})
            for status, response in responses.items():
                if status in DESCRIPTIONS and response.get("content") == body:
                    response["description"] = DESCRIPTIONS[status]
