"""A provider's caregivers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_NO_CAPABILITY, ERR_OUT_OF_SCOPE, has_cap
from eldercare.core.crypto import keyed_hash
from eldercare.elders import idnumber
from eldercare.providers.models import Provider
from eldercare.providers.selectors import may_register_caregivers

from .. import errors
from ..catalog import category_codes
from ..models import Caregiver, VocationalLevel


@transaction.atomic
def caregiver_register(
    *,
    actor: User,
    provider: Provider,
    name: str,
    id_number: str,
    latitude: Decimal,
    longitude: Decimal,
    categories: list[str],
    level: int | None = None,
    certificate_number: str = "",
    certificate_expires: dt.date | None = None,
    hours: dict[str, list[list[str]]] | None = None,  # {"1": [["08:00", "12:00"], …]}: see Caregiver.hours
    phone: str = "",
    user: User | None = None,
) -> Caregiver:
    # The provider's admins, or the officers who keep the catalogue of the provider's region.
    if not (has_cap(actor, Cap.MANAGE_CAREGIVERS) or has_cap(actor, Cap.MANAGE_CATALOG)):
        raise PermissionDenied(ERR_NO_CAPABILITY)
    if not may_register_caregivers(actor, provider):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    try:
        number = idnumber.parse(id_number).number
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError({"id_number": exc.error}) from exc
    if Caregiver.objects.filter(id_hash=keyed_hash(number)).exists():
        raise ValidationError({"id_number": errors.ERR_DUPLICATE_CAREGIVER})
    unknown = [c for c in categories if c not in category_codes()]
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
