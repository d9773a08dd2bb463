"""Providers, their service areas and their caregivers."""

from __future__ import annotations

import datetime as dt

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from eldercare.accounts.roles import Cap, Role
from eldercare.accounts.scoping import ERR_OUT_OF_SCOPE, has_cap, require, scope_for
from eldercare.core.crypto import keyed_hash
from eldercare.elders import idnumber
from eldercare.regions.models import Region

from .. import creditcode, errors
from ..models import Caregiver, Category, Provider, ServiceArea, VocationalLevel


@transaction.atomic
def provider_register(*, actor, name: str, credit_code: str, region: Region, licence: str = "") -> Provider:
    require(actor, Cap.MANAGE_CATALOG)
    if not scope_for(actor).covers_region(region.code):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    try:
        code = creditcode.normalise(credit_code)
    except creditcode.InvalidCreditCode as exc:
        raise ValidationError({"credit_code": str(exc)}) from exc
    with set_actor(actor):
        return Provider.objects.create(name=name.strip(), credit_code=code, region=region, licence=licence.strip())


@transaction.atomic
def service_area_add(*, actor, provider: Provider, region: Region) -> ServiceArea:
    require(actor, Cap.MANAGE_CATALOG)
    if not scope_for(actor).covers_region(region.code):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    with set_actor(actor):
        area, _ = ServiceArea.objects.get_or_create(provider=provider, region=region)
    return area


def manages(actor, provider: Provider) -> bool:
    """Whether the actor runs this provider (its admin), or is a system administrator."""
    if actor.role == Role.SYSTEM_ADMIN or actor.is_superuser:
        return True
    return has_cap(actor, Cap.MANAGE_CAREGIVERS) and provider.admins.filter(pk=actor.pk).exists()


@transaction.atomic
def caregiver_register(
    *,
    actor,
    provider: Provider,
    name: str,
    id_number: str,
    latitude,
    longitude,
    categories: list[str],
    level: int | None = None,
    certificate_number: str = "",
    certificate_expires: dt.date | None = None,
    hours: dict | None = None,
    phone: str = "",
    user=None,
) -> Caregiver:
    require(actor, Cap.MANAGE_CAREGIVERS)
    if not manages(actor, provider):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    try:
        number = idnumber.parse(id_number).number
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError({"id_number": str(exc)}) from exc
    if Caregiver.objects.filter(id_hash=keyed_hash(number)).exists():
        raise ValidationError({"id_number": errors.ERR_DUPLICATE_CAREGIVER})
    unknown = [c for c in categories if c not in Category.values]
    if unknown:
        raise ValidationError({"categories": ", ".join(unknown)})
    if level is not None and level not in VocationalLevel.values:
        raise ValidationError({"level": errors.ERR_LEVEL.format(level=level)})
    with set_actor(actor):
        return Caregiver.objects.create(
            provider=provider,
            user=user,
            name=name.strip(),
            id_number=number,
            id_hash=keyed_hash(number),
            id_masked=idnumber.mask(number),
            phone=phone,
            level=level,
            certificate_number=certificate_number,
            certificate_expires=certificate_expires,
            categories=sorted(set(categories)),
            latitude=latitude,
            longitude=longitude,
            hours=hours or {},
        )
