"""Suspending and reinstating a provider, removing a service area, and who opens which provider:
the services, the selectors and the API."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from eldercare.accounts.models import ApiToken
from eldercare.accounts.roles import Role
from eldercare.providers import selectors
from eldercare.providers.creditcode import check_character
from eldercare.providers.models import Provider, ProviderStatus, ServiceArea
from eldercare.providers.services import provider_reinstate, provider_suspend, service_area_add, service_area_remove
from eldercare.tests import builders as testing
from eldercare.tests.builders import error_codes

R = Role


def code(first17: str) -> str:
    return first17 + check_character(first17)


@pytest.fixture
def provider(city, personas):
    p = Provider.objects.create(name="清波居家养老服务中心", credit_code=code("52330102MJ0000001"), region=city.county)
    p.admins.add(personas[R.PROVIDER_ADMIN])
    ServiceArea.objects.create(provider=p, region=city.county)
    return p


@pytest.fixture
def far_provider(city):
    return Provider.objects.create(name="拱墅助老服务社", credit_code=code("52330105MJ0000002"), region=city.county_b)


def test_suspend_and_reinstate_with_reasons_in_the_audit_log(provider, personas):
    officer = personas[R.CIVIL_COUNTY]
    assert provider_suspend(actor=officer, provider=provider, reason=" 投诉核查中 ").status == ProviderStatus.SUSPENDED
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SUSPENDED
    with pytest.raises(ValidationError) as refused:
        provider_suspend(actor=officer, provider=provider, reason="再次")
    assert error_codes(refused.value) == {"providers.not_active"}
    assert provider_reinstate(actor=personas[R.CIVIL_CITY], provider=provider, reason="核查完毕").status == ProviderStatus.ACTIVE
    with pytest.raises(ValidationError) as refused:
        provider_reinstate(actor=officer, provider=provider, reason="再次")
    assert error_codes(refused.value) == {"providers.not_suspended"}
    history = selectors.status_history(provider)
    assert [(e.additional_data["action"], e.additional_data["reason"], e.actor) for e in history] == [
        ("reinstate", "核查完毕", personas[R.CIVIL_CITY]),
        ("suspend", "投诉核查中", officer),
    ]
    assert all(e.action == LogEntry.Action.UPDATE and "status" in e.changes_dict for e in history)


def test_a_reason_is_required(provider, personas):
    with pytest.raises(ValidationError) as refused:
        provider_suspend(actor=personas[R.CIVIL_COUNTY], provider=provider, reason="   ")
    assert error_codes(refused.value) == {"providers.reason"}
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE


@pytest.mark.parametrize("role", [R.CIVIL_STREET, R.PROVIDER_ADMIN, R.CENTER_OPERATOR, R.COMMUNITY_WORKER, R.CAREGIVER])
def test_only_the_officers_who_keep_the_catalogue_suspend(provider, personas, role):
    with pytest.raises(PermissionDenied):
        provider_suspend(actor=personas[role], provider=provider, reason="越权")
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE


def test_an_officer_of_another_county_may_not_suspend(provider, city):
    with pytest.raises(PermissionDenied) as refused:
        provider_suspend(actor=testing.user("gongshu", R.CIVIL_COUNTY, city.county_b), provider=provider, reason="越权")
    assert error_codes(refused.value) == {"accounts.out_of_scope"}


def test_areas_are_removed(provider, personas, city):
    officer = personas[R.CIVIL_COUNTY]
    service_area_add(actor=officer, provider=provider, region=city.street2)
    service_area_remove(actor=officer, provider=provider, region=city.street2)
    assert not ServiceArea.objects.filter(provider=provider, region=city.street2).exists()
    with pytest.raises(ValidationError) as refused:
        service_area_remove(actor=officer, provider=provider, region=city.street2)
    assert error_codes(refused.value) == {"providers.no_area"}
    with pytest.raises(PermissionDenied):
        service_area_remove(actor=personas[R.PROVIDER_ADMIN], provider=provider, region=city.county)
    with pytest.raises(PermissionDenied):
        service_area_remove(actor=testing.user("gongshu", R.CIVIL_COUNTY, city.county_b), provider=provider, region=city.county)
    assert ServiceArea.objects.filter(provider=provider, region=city.county).exists()


def test_who_opens_which_provider(provider, far_provider, personas, city):
    visible = {role: set(selectors.providers_visible(personas[role])) for role in (R.SYSTEM_ADMIN, R.CIVIL_CITY, R.CIVIL_COUNTY)}
    assert visible == {
        R.SYSTEM_ADMIN: {provider, far_provider},
        R.CIVIL_CITY: {provider, far_provider},
        R.CIVIL_COUNTY: {provider},
    }
    assert set(selectors.providers_visible(personas[R.PROVIDER_ADMIN])) == {provider}
    with pytest.raises(Http404):
        selectors.provider_get(actor=personas[R.PROVIDER_ADMIN], pk=far_provider.pk)
    for role in (R.CIVIL_STREET, R.CAREGIVER, R.ELDER, R.CENTER_OPERATOR):
        with pytest.raises(PermissionDenied):
            selectors.providers_visible(personas[role])
    assert selectors.provider_actions(personas[R.CIVIL_COUNTY], provider) >= {"suspend", "area_add"}
    assert selectors.provider_actions(personas[R.PROVIDER_ADMIN], provider) == frozenset()
    assert selectors.may_register_caregivers(personas[R.PROVIDER_ADMIN], provider)
    assert selectors.may_register_caregivers(personas[R.CIVIL_COUNTY], provider)
    assert not selectors.may_register_caregivers(personas[R.CIVIL_COUNTY], far_provider)


# ---------------------------------------------------------------- the API


@pytest.fixture
def bearer(personas):
    def headers(user) -> dict[str, str]:
        _, key = ApiToken.issue(user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    return headers


def test_the_api_suspends_and_reinstates(client, provider, personas, bearer):
    headers = bearer(personas[R.CIVIL_COUNTY])
    url = f"/api/providers/{provider.pk}"
    response = client.post(f"{url}/suspend", {"reason": "消防检查"}, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    again = client.post(f"{url}/suspend", {"reason": "消防检查"}, content_type="application/json", **headers)
    assert again.status_code == 422 and again.json()["code"] == "providers.not_active"
    response = client.post(f"{url}/reinstate", {"reason": "整改完成"}, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["status"] == "active"
    empty = client.post(f"{url}/suspend", {"reason": ""}, content_type="application/json", **headers)
    assert empty.status_code == 422 and empty.json()["code"] == "schema"


def test_the_api_refuses_the_wrong_role_and_region(client, provider, far_provider, personas, bearer, city):
    body = {"reason": "越权"}
    admin = client.post(
        f"/api/providers/{provider.pk}/suspend", body, content_type="application/json", **bearer(personas[R.PROVIDER_ADMIN])
    )
    assert admin.status_code == 403
    street = client.post(f"/api/providers/{provider.pk}/suspend", body, content_type="application/json", **bearer(personas[R.CIVIL_STREET]))
    assert street.status_code == 403
    far = client.post(
        f"/api/providers/{far_provider.pk}/suspend", body, content_type="application/json", **bearer(personas[R.CIVIL_COUNTY])
    )
    assert far.status_code == 404 and far.json()["code"] == "providers.not_found"
    missing = client.post("/api/providers/999999/reinstate", body, content_type="application/json", **bearer(personas[R.CIVIL_COUNTY]))
    assert missing.status_code == 404
    for p in (provider, far_provider):
        p.refresh_from_db()
        assert p.status == ProviderStatus.ACTIVE
