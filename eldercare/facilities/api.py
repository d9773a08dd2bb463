"""The facilities API: an elder's stays (where an elder in an institution lives, and respite stays),
recorded and ended by the registry's editors."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from ninja import Query, Router, Schema, Status

from eldercare.core.api import Day, refusals
from eldercare.core.pagination import Page, Paging, paged
from eldercare.elders.selectors import elder_get

from . import errors, selectors, services
from .models import Stay

router = Router(tags=["facilities"])


class StayOut(Schema):
    id: int
    facility_id: int
    facility_name: str
    kind: str
    kind_label: str
    start: dt.date
    end: dt.date | None


class StayIn(Schema):
    facility: int
    kind: str
    start: Day
    end: Day | None = None


class StayEndIn(Schema):
    end: Day


def _stay(s: Stay) -> dict:
    return {
        "id": s.pk,
        "facility_id": s.facility_id,
        "facility_name": s.facility.name,
        "kind": s.kind,
        "kind_label": s.get_kind_display(),
        "start": s.start,
        "end": s.end,
    }


@router.get(
    "/elders/{elder_id}/stays",
    response={200: Page[StayOut], **refusals(403, 404)},
    summary="入住与托养记录 / an elder's stays, latest first",
)
def stays(request, elder_id: int, paging: Query[Paging]):
    elder = elder_get(actor=request.auth, pk=elder_id)
    return paged(selectors.elder_stays(actor=request.auth, elder=elder), paging, _stay)


@router.post("/elders/{elder_id}/stays", response={201: StayOut, **refusals(403, 404)}, summary="登记入住或托养 / record a stay")
def stay_create(request, elder_id: int, data: StayIn):
    elder = elder_get(actor=request.auth, pk=elder_id)
    facility = selectors.institutions_in_scope(actor=request.auth).filter(pk=data.facility).first()
    if facility is None:
        raise Http404(errors.ERR_NOT_FOUND)
    stay = services.stay_record(actor=request.auth, elder=elder, facility=facility, kind=data.kind, start=data.start, end=data.end)
    return Status(201, _stay(stay))


@router.post(
    "/elders/{elder_id}/stays/{stay_id}/end", response={200: StayOut, **refusals(403, 404)}, summary="入住（托养）结束 / a stay's last day"
)
def stay_end(request, elder_id: int, stay_id: int, data: StayEndIn):
    elder = elder_get(actor=request.auth, pk=elder_id)
    stay = selectors.elder_stays(actor=request.auth, elder=elder).filter(pk=stay_id).first()
    if stay is None:
        raise Http404(errors.ERR_NOT_FOUND)
    return _stay(services.stay_end(actor=request.auth, elder=elder, stay=stay, end=data.end))
