"""A provider's caregivers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from eldercare.accounts.models import User
from eldercare.accounts.roles import CAPABILITIES, Cap
from eldercare.accounts.scoping import ERR_NO_CAPABILITY, ERR_OUT_OF_SCOPE, has_cap
from eldercare.core.crypto import keyed_hash
from eldercare.core.errors import Err
from eldercare.elders import idnumber
from eldercare.providers.models import Provider
from eldercare.providers.selectors import may_register_caregivers
from eldercare.regions.models import code_bounds

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
    _may_keep(actor, provider)
    try:
        number = idnumber.parse(id_number).number
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError({"id_number": exc.error}) from exc
    if Caregiver.objects.filter(id_hash=keyed_hash(number)).exists():
        raise ValidationError({"id_number": errors.ERR_DUPLICATE_CAREGIVER})
    _check_skills(categories, level)
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


ERR_ACCOUNT = Err("homecare.caregiver_account", "该账号不是可关联的护理员账号 / this login is not a caregiver login that can be linked")
# The roles whose users serve orders themselves (the system administrator holds every capability but
# is nobody's caregiver).
SERVING_ROLES = [role for role, caps in CAPABILITIES.items() if Cap.SERVE in caps and len(caps) < len(Cap)]


def linkable_accounts(provider: Provider, caregiver: Caregiver | None = None) -> QuerySet[User]:
    """The logins a caregiver of the provider may be linked to: active users of a serving role that no
    other caregiver holds, attached to no region or to one where the provider is registered or serves
    (a provider's admin sees no other city's staff)."""
    where = Q(region__isnull=True)
    for code in {provider.region_id, *provider.areas.values_list("region_id", flat=True)}:
        lo, hi = code_bounds(code)
        where |= Q(region_id__gte=lo, region_id__lte=hi)
    taken = Caregiver.objects.filter(user__isnull=False)
    if caregiver is not None:
        taken = taken.exclude(pk=caregiver.pk)
    return User.objects.filter(where, role__in=SERVING_ROLES, is_active=True).exclude(pk__in=taken.values("user_id")).order_by("username")


@transaction.atomic
def caregiver_update(
    *,
    actor: User,
    caregiver: Caregiver,
    name: str,
    latitude: Decimal,
    longitude: Decimal,
    categories: list[str],
    level: int | None = None,
    certificate_number: str = "",
    certificate_expires: dt.date | None = None,
    hours: dict[str, list[list[str]]] | None = None,
    phone: str = "",
    active: bool = True,
    user: User | None = None,
) -> Caregiver:
    """Edit a caregiver (not the ID number, which identifies them): skills, certificate, home base,
    hours, whether on duty, and the login they work with. Off duty, matching skips them; orders
    already assigned stay theirs."""
    _may_keep(actor, caregiver.provider)
    locked = Caregiver.objects.select_for_update().get(pk=caregiver.pk)
    if user is not None and user.pk != locked.user_id and not linkable_accounts(locked.provider, locked).filter(pk=user.pk).exists():
        raise ValidationError({"user": ERR_ACCOUNT})
    _check_skills(categories, level)
    locked.name, locked.phone, locked.level = name.strip(), phone, level
    locked.certificate_number, locked.certificate_expires = certificate_number, certificate_expires
    locked.categories = sorted(set(categories))
    locked.latitude, locked.longitude, locked.hours = latitude, longitude, hours or {}
    locked.active, locked.user = active, user
    with set_actor(actor):
        locked.save()
    return locked


def _may_keep(actor: User, provider: Provider) -> None:
    """The provider's admins, or the officers who keep the catalogue of the provider's region."""
    if not (has_cap(actor, Cap.MANAGE_CAREGIVERS) or has_cap(actor, Cap.MANAGE_CATALOG)):
        raise PermissionDenied(ERR_NO_CAPABILITY)
    if not may_register_caregivers(actor, provider):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)


def _check_skills(categories: list[str], level: int | None) -> None:
    unknown = [c for c in categories if c not in category_codes()]
    if unknown:
        raise ValidationError({"categories": ", ".join(unknown)})
    if level is not None and level not in VocationalLevel.values:
        raise ValidationError({"level": errors.ERR_LEVEL.format(level=level)})
