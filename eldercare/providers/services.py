"""Registering providers and the regions they serve."""

from __future__ import annotations

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.errors import Conflict, Err
from eldercare.regions.models import Region

from . import creditcode
from .models import Provider, ServiceArea

ERR_REGISTERED = Err("providers.registered", "该统一社会信用代码的服务商已登记 / a provider with this credit code is registered already")
ERR_NAME = Err("providers.name", "请填写服务商名称 / give the provider's name")


@transaction.atomic
def provider_register(*, actor: User, name: str, credit_code: str, region: Region, licence: str = "") -> Provider:
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, region.code)
    try:
        code = creditcode.normalise(credit_code)
    except creditcode.InvalidCreditCode as exc:
        raise ValidationError({"credit_code": exc.error}) from exc
    name = name.strip()
    if not name:
        raise ValidationError({"name": ERR_NAME})
    if Provider.objects.filter(credit_code=code).exists():
        raise Conflict(ERR_REGISTERED)
    with set_actor(actor):
        try:
            with transaction.atomic():
                return Provider.objects.create(name=name, credit_code=code, region=region, licence=licence.strip())
        except IntegrityError as exc:  # registered concurrently: the other request won
            raise Conflict(ERR_REGISTERED) from exc


@transaction.atomic
def service_area_add(*, actor: User, provider: Provider, region: Region) -> ServiceArea:
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, region.code)
    with set_actor(actor):
        area, _ = ServiceArea.objects.get_or_create(provider=provider, region=region)
    return area
