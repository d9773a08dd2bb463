"""Home care beds (家庭养老床位): contracts with a provider, the equipment installed, and the
inspections and services recorded against them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_OUT_OF_SCOPE, has_cap, in_region, require, require_elder
from eldercare.core.errors import Err
from eldercare.elders.models import Elder
from eldercare.providers.models import Provider
from eldercare.providers.selectors import manages

from .models import BedRecord, HomeCareBed

ERR_CONTRACT = Err("devices.contract", "该合同编号已登记 / this contract number is already registered")
ERR_NOTE = Err("devices.note", "请填写记录内容 / write what was done")
ERR_EQUIPMENT = '设备清单格式：[{"item": "护理床"}, …] / equipment is a list of {"item": …}'


@transaction.atomic
def bed_register(
    *, actor: User, elder: Elder, provider: Provider, contract_number: str, starts: dt.date, equipment: list[dict[str, Any]]
) -> HomeCareBed:
    require(actor, Cap.EDIT_ELDERS)
    require_elder(actor, elder)
    if not isinstance(equipment, list) or not all(isinstance(e, dict) and isinstance(e.get("item"), str) for e in equipment):
        raise ValidationError({"equipment": ERR_EQUIPMENT})
    contract_number = contract_number.strip()
    if HomeCareBed.objects.filter(contract_number=contract_number).exists():
        raise ValidationError({"contract_number": ERR_CONTRACT})
    try:
        with transaction.atomic(), set_actor(actor):  # a concurrent registration of the same contract: refused, not a 500
            return HomeCareBed.objects.create(elder=elder, provider=provider, contract_number=contract_number, starts=starts, equipment=equipment)
    except IntegrityError:
        raise ValidationError({"contract_number": ERR_CONTRACT}) from None


def may_record(actor: User, bed: HomeCareBed) -> bool:
    """The contracted provider's admins and the region's staff keep a bed's records."""
    regional = has_cap(actor, Cap.EDIT_ELDERS) and in_region(actor, bed.elder.residence_id)
    return regional or manages(actor, bed.provider)


@transaction.atomic
def bed_record_add(*, actor: User, bed: HomeCareBed, kind: str, on: dt.date, note: str) -> BedRecord:
    """An inspection, a service or a repair: by the contracted provider's people or the region's staff."""
    if not may_record(actor, bed):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    if kind not in BedRecord.Kind.values:
        raise ValidationError({"kind": BedRecord.Kind.values})
    if not note.strip():
        raise ValidationError({"note": ERR_NOTE})
    return BedRecord.objects.create(bed=bed, kind=kind, on=on, note=note.strip(), by=actor)
