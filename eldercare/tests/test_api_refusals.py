"""Inputs the API once answered with a 500 (issue 13's fuzzing), each refused now with a 4xx and a
stable code; the framework's own refusals answer the one error body `{code, detail}` too."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pydantic
import pytest
from django.test import override_settings

from eldercare.accounts.models import ApiToken
from eldercare.accounts.roles import Role
from eldercare.homecare.catalog import catalog_sync
from eldercare.homecare.tests.conftest import code


@pytest.fixture
def bearer(personas):
    """`bearer(role)`: the headers that authenticate as that persona with an API token."""

    def headers(role: Role = Role.SYSTEM_ADMIN) -> dict[str, str]:
        _, key = ApiToken.issue(user=personas[role], name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    return headers


def refused(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str | dict | list)
    return body["code"]


@pytest.mark.parametrize("query", ["age_max=2106", "age_min=100000", "age_min=-1", "age_max=1382752403628"])
def test_an_age_past_any_life_is_refused_by_the_schema(client, city, bearer, query):
    assert refused(client.get(f"/api/elders/?{query}", **bearer()), 422) == "schema"
    assert refused(client.get(f"/api/elders/export.xlsx?{query}", **bearer()), 422) == "schema"


def test_ages_within_a_life_filter(client, world, bearer):
    assert client.get("/api/elders/?age_min=0&age_max=150", **bearer()).status_code == 200


@pytest.mark.parametrize("region", ["false", "null", "3301", ""])
def test_an_orders_region_that_is_no_code_is_refused(client, city, bearer, region):
    response = client.get(f"/api/services/orders?region={region}", **bearer())
    if region == "":  # an empty parameter is no filter
        assert response.status_code == 200
    else:
        assert refused(response, 422) == "schema"


@pytest.mark.parametrize("field", ["residence", "name", "living_status", "phone", "address", "notes"])
def test_a_field_an_elder_always_has_cannot_be_cleared(client, world, bearer, field):
    elder = world["own"]
    response = client.patch(f"/api/elders/{elder.pk}", {field: None}, content_type="application/json", **bearer())
    assert refused(response, 422) == "schema"


def test_the_fields_that_may_be_empty_can_be_cleared(client, world, bearer):
    elder = world["own"]
    response = client.patch(
        f"/api/elders/{elder.pk}", {"hukou_region": None, "latitude": None}, content_type="application/json", **bearer()
    )
    assert response.status_code == 200, response.content
    assert response.json()["hukou_region"] is None


def test_a_path_id_that_is_no_number_answers_json(client, world, bearer):
    assert refused(client.get("/api/elders/null", **bearer()), 422) == "schema"
    assert refused(client.get("/api/elders/999999", **bearer()), 404) == "elders.not_found"


def test_a_multipart_body_without_its_boundary_is_malformed(client, city, bearer):
    response = client.post("/api/elders/import", b"--x\r\n\r\n", content_type="multipart/form-data", **bearer())
    assert refused(response, 400) == "malformed"


def test_a_body_that_is_not_json_is_malformed(client, city, bearer):
    response = client.post("/api/services/guide-prices", b"{not json", content_type="application/json", **bearer())
    assert refused(response, 400) == "malformed"


def test_a_body_past_the_upload_limit_is_too_large(client, city, bearer):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        response = client.post("/api/services/guide-prices", b'{"x": "' + b"x" * 2048 + b'"}', content_type="application/json", **bearer())
    assert refused(response, 413) == "too_large"


def test_no_credential_is_unauthorized(client, city):
    assert refused(client.get("/api/elders/"), 401) == "unauthorized"


def price(item: str, region: str, amount: int = 45_00, day: str = "2026-01-01") -> dict:
    return {"item": item, "region": region, "price": amount, "valid_from": day, "document": "杭民发〔2026〕1号"}


def test_the_same_guide_price_twice_conflicts(client, city, bearer):
    catalog_sync()
    headers = bearer()
    first = client.post("/api/services/guide-prices", price("clean_home", city.county.code), content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    again = client.post("/api/services/guide-prices", price("clean_home", city.county.code), content_type="application/json", **headers)
    assert refused(again, 409) == "homecare.price_exists"


@pytest.mark.parametrize("amount", [0, -1, 10**20, 1_000_001])
def test_a_guide_price_out_of_range_is_refused(client, city, bearer, amount):
    catalog_sync()
    response = client.post(
        "/api/services/guide-prices", price("clean_home", city.county.code, amount), content_type="application/json", **bearer()
    )
    assert refused(response, 422) == "schema"


def test_no_guide_price_in_force_is_a_coded_404(client, city, bearer):
    catalog_sync()
    response = client.get(f"/api/services/guide-prices/current?item=clean_home&region={city.community.code}&day=2026-03-01", **bearer())
    assert refused(response, 404) == "homecare.no_price"


def test_the_same_provider_twice_conflicts(client, city, bearer):
    headers = bearer()
    data = {"name": "湖滨助老社", "credit_code": code("52330102MJ5555555"), "region": city.county.code}
    assert client.post("/api/providers/", data, content_type="application/json", **headers).status_code == 201
    assert refused(client.post("/api/providers/", data, content_type="application/json", **headers), 409) == "providers.registered"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_day_past_the_platforms_calendar_is_refused(client, world, bearer, day):
    response = client.post(
        f"/api/elders/{world['own'].pk}/groups", {"group": "dibao", "valid_from": day}, content_type="application/json", **bearer()
    )
    assert refused(response, 422) == "schema"


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_a_month_past_the_platforms_calendar_is_refused(client, world, bearer, month):
    response = client.get(f"/api/entitlements/elders/{world['own'].pk}/decisions?month={month}", **bearer())
    assert refused(response, 422) in {"entitlements.month_range", "entitlements.month_format"}


def test_every_refusal_the_openapi_lists_has_the_error_body(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("4") and "content" in response:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema.get("$ref", "").endswith("/Refusal"), (method, path, status)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)


def test_a_day_within_the_calendar_is_taken(client, world, bearer):
    today = dt.date.today().isoformat()
    response = client.post(
        f"/api/elders/{world['own'].pk}/groups", {"group": "dibao", "valid_from": today}, content_type="application/json", **bearer()
    )
    assert response.status_code == 201, response.content


def test_a_value_error_past_every_bound_is_a_logged_400(client, city, bearer, monkeypatch, caplog):
    """The last resort: the caller's value, so not a 500; logged (where, not what) as a bound to add."""

    def overflowing(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr("eldercare.homecare.selectors.catalogue", overflowing)
    assert refused(client.get("/api/services/items", **bearer()), 400) == "out_of_range"
    (record,) = [r for r in caplog.records if r.name == "eldercare.api"]
    assert "OverflowError" in record.getMessage() and "SQLite INTEGER" not in record.getMessage()


def test_an_answer_that_does_not_fit_its_schema_stays_a_server_error(client, city, bearer, monkeypatch):
    rows = SimpleNamespace(values=lambda *fields: [{"code": None}])  # a catalogue row without its fields
    monkeypatch.setattr("eldercare.homecare.selectors.catalogue", lambda: rows)
    with pytest.raises(pydantic.ValidationError):
        client.get("/api/services/items", **bearer())
