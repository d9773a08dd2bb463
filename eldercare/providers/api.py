"""The providers API: registering a provider and the regions it serves, suspending and reinstating it."""

from __future__ import annotations

from ninja import Field, Router, Schema, Status

from eldercare.accounts.selectors import region_get
from eldercare.core.api import RegionCode, refusals

from . import selectors, services
from .models import Provider

router = Router(tags=["providers"])


class ProviderIn(Schema):
    name: str = Field(max_length=100)
    credit_code: str
    region: RegionCode
    licence: str = Field("", max_length=100)


class ProviderOut(Schema):
    id: int
    name: str
    credit_code: str
    region: str
    status: str


@router.post("/", response={201: ProviderOut, **refusals(403, 404, 409)}, summary="登记服务商 / register a provider")
def provider_create(request, data: ProviderIn):
    region = region_get(actor=request.auth, code=data.region)
    p = services.provider_register(actor=request.auth, name=data.name, credit_code=data.credit_code, region=region, licence=data.licence)
    return Status(201, _out(p))


class AreaIn(Schema):
    region: RegionCode


class AreaOut(Schema):
    provider: int
    region: str


@router.post("/{provider_id}/areas", response={201: AreaOut, **refusals(403, 404)}, summary="增加服务区域 / add a service area")
def provider_area(request, provider_id: int, data: AreaIn):
    provider = selectors.provider_get(actor=request.auth, pk=provider_id)  # 404 outside the actor's providers
    area = services.service_area_add(actor=request.auth, provider=provider, region=region_get(actor=request.auth, code=data.region))
    return Status(201, {"provider": provider.pk, "region": area.region_id})


def _out(p: Provider) -> dict:
    return {"id": p.pk, "name": p.name, "credit_code": p.credit_code, "region": p.region_id, "status": p.status}


class StatusChangeIn(Schema):
    reason: str = Field(min_length=1, max_length=services.REASON_MAX)


@router.post(
    "/{provider_id}/suspend",
    response={200: ProviderOut, **refusals(403, 404)},
    summary="暂停服务商接单 / suspend a provider (no new dispatches)",
)
def provider_suspend(request, provider_id: int, data: StatusChangeIn):
    provider = services.provider_suspend(
        actor=request.auth, provider=selectors.provider_get(actor=request.auth, pk=provider_id), reason=data.reason
    )
    return _out(provider)


@router.post(
    "/{provider_id}/reinstate",
    response={200: ProviderOut, **refusals(403, 404)},
    summary="恢复服务商接单 / reinstate a suspended provider",
)
def provider_reinstate(request, provider_id: int, data: StatusChangeIn):
    provider = services.provider_reinstate(
        actor=request.auth, provider=selectors.provider_get(actor=request.auth, pk=provider_id), reason=data.reason
    )
    return _out(provider)
