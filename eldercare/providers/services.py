"""Registering providers and the regions they serve; suspending and reinstating them."""

from __future__ import annotations

from auditlog.context import set_actor, set_extra_data
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.errors import Conflict, Err
from eldercare.regions.models import Region

from . import creditcode
from .models import Provider, ProviderStatus, ServiceArea

ERR_REGISTERED = Err("providers.registered", "该统一社会信用代码的服务商已登记 / a provider with this credit code is registered already")
ERR_NAME = Err("providers.name", "请填写服务商名称 / give the provider's name")
ERR_REASON = Err("providers.reason", "请填写原因 / give a reason")
ERR_NOT_ACTIVE = Err("providers.not_active", "该服务商当前不在营，不能暂停 / the provider is not active, so it cannot be suspended")
ERR_NOT_SUSPENDED = Err("providers.not_suspended", "该服务商未被暂停，不能恢复 / the provider is not suspended, so it cannot be reinstated")
ERR_NO_AREA = Err("providers.no_area", "该服务商没有这一服务区域 / the provider does not serve this region")
REASON_MAX = 300


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


@transaction.atomic
def service_area_remove(*, actor: User, provider: Provider, region: Region) -> None:
    """The provider stops serving the region (orders already placed keep their provider)."""
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, region.code)
    area = ServiceArea.objects.filter(provider=provider, region=region).first()
    if area is None:
        raise ValidationError({"region": ERR_NO_AREA})
    with set_actor(actor):
        area.delete()


def _change_status(actor: User, provider: Provider, reason: str, *, starts: str, to: str, refused: Err, action: str) -> Provider:
    """One status transition of a provider by the officers of the region it is registered in; the
    audit entry (the status diff) carries the action and its reason."""
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, provider.region_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ERR_REASON})
    locked = Provider.objects.select_for_update().get(pk=provider.pk)
    if locked.status != starts:
        raise ValidationError({"status": refused})
    locked.status = to
    with set_extra_data({"actor": actor, "additional_data": {"action": action, "reason": reason[:REASON_MAX]}}):
        locked.save(update_fields=["status"])
    provider.status = locked.status
    return locked


@transaction.atomic
def provider_suspend(*, actor: User, provider: Provider, reason: str) -> Provider:
    """Stop a provider taking orders (matching and dispatch skip it; orders under way go on)."""
    return _change_status(
        actor, provider, reason, starts=ProviderStatus.ACTIVE, to=ProviderStatus.SUSPENDED, refused=ERR_NOT_ACTIVE, action="suspend"
    )


@transaction.atomic
def provider_reinstate(*, actor: User, provider: Provider, reason: str) -> Provider:
    """A suspended provider takes orders again."""
    return _change_status(
        actor, provider, reason, starts=ProviderStatus.SUSPENDED, to=ProviderStatus.ACTIVE, refused=ERR_NOT_SUSPENDED, action="reinstate"
    )
