"""What every router's OpenAPI shares: the body of a refused request, the statuses an operation
declares it may refuse with, and the bounded types of the inputs that recur (region codes, days,
coordinates), so that no value the schema lets through fails below the API.

A handler declares what its own code can answer beside its success, e.g.
`response={200: ElderOut, **refusals(403, 404)}`; what the framework answers for any operation (401
without credentials, 400 / 413 / 422 for a body or parameters that cannot be read) is added to every
operation by `eldercare.api`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator

CODE_LENGTH = 12  # regions.models.CODE_LENGTH: the kernel imports no domain app

# 400 malformed (unreadable body, multipart without its boundary); 401 no or a bad credential; 403 a
# capability missing; 404 no such record in the caller's scope; 409 a conflict with a record that
# exists; 413 too large; 422 a value refused (by the schema, code "schema", or by a service, its code).
DESCRIPTIONS = {
    400: "请求格式错误 / malformed request",
    401: "未认证 / not authenticated",
    403: "无此权限 / not permitted",
    404: "不存在或不在权限范围内 / not found (or out of the caller's scope)",
    409: "与现有记录冲突 / conflicts with an existing record",
    413: "请求过大 / request too large",
    422: "数据不合规 / a value was refused",
}


class FieldRefusal(Schema):
    field: str
    code: str
    message: str


class Refusal(Schema):
    """A refused request: a stable `code` to act on, the bilingual `detail` to show (per field for a
    refused value), and for a value refused by a service, one entry per field with its code."""

    code: str = Field(description="稳定的错误代码 / stable error code, e.g. homecare.window")
    detail: str | dict[str, list[str]] | list[dict[str, Any]]
    errors: list[FieldRefusal] | None = Field(None, description="每个字段的错误代码 / each field's error code (422 from a service)")


def refusals(*statuses: int) -> dict[int, type[Refusal]]:
    """The refusal statuses an operation's own code can answer, for its `response=` mapping."""
    unknown = set(statuses) - set(DESCRIPTIONS)
    if unknown:
        raise ValueError(f"no refusal status {sorted(unknown)}")
    return dict.fromkeys(statuses, Refusal)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unchanged_unless_sent(**kwargs: Any) -> Any:
    """A field of a partial update that cannot be cleared: left out, it stays as it is; sent, it must
    be a value (null is refused by the schema, which says so: no null default)."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


RegionCode = Annotated[
    str,
    Field(
        pattern=f"^[0-9]{{{CODE_LENGTH}}}$",
        min_length=CODE_LENGTH,
        max_length=CODE_LENGTH,
        description="12位统计用区划代码 / a 12-digit statistical region code",
        examples=["330102001001"],
    ),
]
# A filter by region: a code, or empty for no filter (as a form sends an empty field).
RegionFilter = Annotated[
    str,
    Field(
        pattern=f"^([0-9]{{{CODE_LENGTH}}})?$",
        max_length=CODE_LENGTH,
        description="12位统计用区划代码（其下全部）；空则不限 / a 12-digit region code (its whole subtree); empty for all",
    ),
]

# The days the platform deals in: a birth in 1900 to a plan centuries ahead. Outside them a date is a typo,
# and arithmetic on it (the day before 0001-01-01, a year after 9999) would fail below the API.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _within_days(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a day from {FIRST_DAY} to {LAST_DAY}")
    return value


Day = Annotated[dt.date, AfterValidator(_within_days), Field(description=f"{FIRST_DAY} … {LAST_DAY}")]
Moment = Annotated[dt.datetime, AfterValidator(_within_days), Field(description=f"{FIRST_DAY} … {LAST_DAY}")]

# Coordinates as the models keep them (DecimalField(max_digits=9, decimal_places=6)), within the globe.
Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6)]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An operation answering an Excel file: its `openapi_extra`, so the OpenAPI names the file's type.
XLSX_DOWNLOAD: dict[str, Any] = {
    "responses": {200: {"description": "Excel (.xlsx)", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}
}
