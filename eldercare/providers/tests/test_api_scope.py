"""The providers' API reaches only the providers the caller may open: their service areas and their
caregivers (404 for any other, as for any out-of-scope record)."""

from __future__ import annotations

import pytest

from eldercare.accounts.roles import Role
from eldercare.homecare.tests.conftest import svc as svc  # noqa: F401  # the shared home-care fixture
from eldercare.providers.models import ServiceArea
from eldercare.tests import builders as testing

R = Role


@pytest.fixture
def county_b_officer(city):
    return testing.user("gongshu", R.CIVIL_COUNTY, city.county_b)


def test_an_area_is_added_only_to_a_provider_in_scope(client, svc, personas, city, county_b_officer):
    client.force_login(county_b_officer)  # 拱墅区's officer, and 米市巷街道 is in their scope
    url = f"/api/providers/{svc.provider.pk}/areas"  # a provider of 上城区
    refused = client.post(url, {"region": city.street_b.code}, content_type="application/json")
    assert refused.status_code == 404
    assert not ServiceArea.objects.filter(provider=svc.provider, region=city.street_b).exists()
    assert client.post("/api/providers/999999/areas", {"region": city.street_b.code}, content_type="application/json").status_code == 404
    client.force_login(personas[R.CIVIL_COUNTY])
    assert client.post(url, {"region": city.street.code}, content_type="application/json").status_code == 201


def test_caregivers_are_listed_for_the_providers_admin_and_its_officers(client, svc, personas, county_b_officer):
    url = f"/api/services/providers/{svc.provider.pk}/caregivers"
    for who in (personas[R.PROVIDER_ADMIN], personas[R.CIVIL_COUNTY], personas[R.CIVIL_CITY], personas[R.SYSTEM_ADMIN]):
        client.force_login(who)
        listed = client.get(url)
        assert listed.status_code == 200, who.username
        assert {c["name"] for c in listed.json()["items"]} == {"张护理", "李护理"}
    client.force_login(county_b_officer)
    assert client.get(url).status_code == 404
    for role in (R.CIVIL_STREET, R.CAREGIVER, R.ELDER):  # neither keep the catalogue nor run a provider
        client.force_login(personas[role])
        assert client.get(url).status_code == 403, role
