"""Registering providers and their service areas: who may, and the check on the credit code."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eldercare.accounts.roles import Role
from eldercare.providers.creditcode import check_character
from eldercare.providers.selectors import manages, serves
from eldercare.providers.services import provider_register, service_area_add
from eldercare.tests.builders import error_codes

R = Role


def code(first17: str) -> str:
    return first17 + check_character(first17)


def test_providers_need_a_valid_credit_code(personas, city):
    provider = provider_register(
        actor=personas[R.CIVIL_COUNTY], name="湖滨养老服务社", credit_code=code("52330102MJ1234567").lower(), region=city.county
    )
    assert provider.credit_code.isupper()
    with pytest.raises(ValidationError) as refused:
        provider_register(actor=personas[R.CIVIL_COUNTY], name="假冒", credit_code="52330102MJ12345670", region=city.county)
    assert error_codes(refused.value) == {"providers.credit_code_check"}
    assert service_area_add(actor=personas[R.CIVIL_COUNTY], provider=provider, region=city.street).region == city.street
    with pytest.raises(PermissionDenied):
        provider_register(actor=personas[R.PROVIDER_ADMIN], name="自封", credit_code=code("52330102MJ7654321"), region=city.county)


def test_who_manages_a_provider_and_where_it_serves(personas, city):
    provider = provider_register(
        actor=personas[R.CIVIL_COUNTY], name="湖滨养老服务社", credit_code=code("52330102MJ1234567"), region=city.county
    )
    service_area_add(actor=personas[R.CIVIL_COUNTY], provider=provider, region=city.street)
    assert serves(provider, city.community.code) and not serves(provider, city.community2.code)
    assert not manages(personas[R.PROVIDER_ADMIN], provider)
    provider.admins.add(personas[R.PROVIDER_ADMIN])
    assert manages(personas[R.PROVIDER_ADMIN], provider) and manages(personas[R.SYSTEM_ADMIN], provider)
    assert not manages(personas[R.CIVIL_COUNTY], provider)  # officers supervise it, they do not run it
    with pytest.raises(PermissionDenied):
        service_area_add(actor=personas[R.CIVIL_COUNTY], provider=provider, region=city.community_far)  # another county
