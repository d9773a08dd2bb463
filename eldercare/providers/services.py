"""Registering providers and the regions they serve."""

from __future__ import annotations

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.regions.models import Region

from . import creditcode
from .models import Provider, ServiceArea


@transaction.atomic
def provider_register(*, actor: User, name: str, credit_code: str, region: Region, licence: str = "") -> Provider:
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, region.code)
    try:
        code = creditcode.normalise(credit_code)
    except creditcode.InvalidCreditCode as exc:
        raise ValidationError({"credit_code": exc.error}) from exc
    with set_actor(actor):
        return Provider.objects.create(name=name.strip(), credit_code=code, region=region, licence=licence.strip())


@transaction.atomic
def service_area_add(*, actor: User, provider: Provider, region: Region) -> ServiceArea:
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, region.code)
    with set_actor(actor):
        area, _ = ServiceArea.objects.get_or_create(provider=provider, region=region)
    return area
