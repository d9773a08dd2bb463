"""The door-to-door services API: the catalogue, orders through their life, matching, a caregiver's
tasks and the fraud flags. Handlers parse, call one service or selector and shape the answer."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap
from eldercare.accounts.selectors import region_get
from eldercare.core.api import Day, Latitude, Longitude, Moment, RegionCode, RegionFilter, refusals
from eldercare.core.errors import Err
from eldercare.core.pagination import Page, Paging, paged
from eldercare.elders.selectors import elder_get
from eldercare.providers.models import Provider
from eldercare.providers.selectors import provider_get

from . import matching, selectors
from .models import Caregiver, ServiceItem
from .services import caregivers, orders, preferences, prices, recurrences

router = Router(tags=["services"])
MAX_QUANTITY = 24 * 60  # a day's minutes (or visits): at the highest guide price the amount still fits its column
ERR_NO_PRICE = Err("homecare.no_price", "无指导价 / no guide price")


class CatalogueItemOut(Schema):
    code: str
    name: str
    category: str
    unit: str
    minutes: int
    min_level: int | None


@router.get("/items", response=Page[CatalogueItemOut], summary="服务项目目录 / the service catalogue")
def items(request, paging: Query[Paging]):
    return paged(selectors.catalogue().values("code", "name", "category", "unit", "minutes", "min_level"), paging)


class OrderEventOut(Schema):
    from_status: str
    to_status: str
    at: dt.datetime
    note: str


class FlagOut(Schema):
    kind: str
    detail: str
    other_id: int | None
    created_at: dt.datetime


class OrderOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    item: str
    item_name: str
    quantity: int
    status: str
    status_label: str
    channel: str
    window_start: dt.datetime
    window_end: dt.datetime
    region: str
    provider_id: int | None
    caregiver_id: int | None
    caregiver_name: str | None
    match_note: str
    unit_price: int | None
    amount: int | None
    paid_by_allowance: int
    allowance_minutes: int
    self_pay: int
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    record: str
    rating: int | None
    reason: str


class OrderDetailOut(OrderOut):
    events: list[OrderEventOut]
    flags: list[FlagOut]


def _order(o) -> dict:
    keys = (
        "quantity", "status", "channel", "window_start", "window_end", "provider_id", "caregiver_id", "match_note", "unit_price", "amount",
        "paid_by_allowance", "allowance_minutes", "self_pay", "checked_in_at", "checked_out_at", "record", "rating", "reason",
    )  # fmt: skip
    return {
        "id": o.pk,
        "elder_id": o.elder_id,
        "elder_name": o.elder.name,
        "item": o.item.code,
        "item_name": o.item.name,
        "status_label": o.get_status_display(),
        "region": o.region_id,
        "caregiver_name": o.caregiver.name if o.caregiver_id else None,
        **{k: getattr(o, k) for k in keys},
    }


def _detail(o) -> dict:
    return {
        **_order(o),
        "events": list(o.events.order_by("pk").values("from_status", "to_status", "at", "note")),
        "flags": list(o.flags.values("kind", "detail", "other_id", "created_at")),
    }


class OrderIn(Schema):
    elder: int
    item: str
    window_start: Moment
    window_end: Moment
    quantity: int | None = Field(
        None, ge=1, le=MAX_QUANTITY, description="次数，或按时计价项目的分钟数 / visits, or minutes for hourly items"
    )
    channel: str | None = None
    note: str = Field("", max_length=300)


@router.post("/orders", response={201: OrderDetailOut, **refusals(403, 404)}, summary="下单 / request a service")
def order_create(request, data: OrderIn):
    elder = elder_get(actor=request.auth, pk=data.elder)
    item = get_object_or_404(ServiceItem, code=data.item)
    order = orders.order_request(
        actor=request.auth,
        elder=elder,
        item=item,
        window_start=data.window_start,
        window_end=data.window_end,
        quantity=data.quantity,
        channel=data.channel,
        note=data.note,
    )
    return Status(201, _detail(order))


@router.get("/orders", response={200: Page[OrderOut], **refusals(403)}, summary="工单 / orders")
def order_list(request, paging: Query[Paging], status: str | None = None, region: RegionFilter | None = None):
    return paged(selectors.order_list(actor=request.auth, status=status, region=region), paging, _order)


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **refusals(403, 404)}, summary="工单详情 / an order")
def order_detail(request, order_id: int):
    return _detail(selectors.order_get(actor=request.auth, pk=order_id))


class MatchOut(Schema):
    caregiver_id: int | None
    explanation: list[str]
    # Pairs (caregiver id, score), best first. Described as arrays of numbers rather than as tuples:
    # a tuple's `prefixItems` is not read by every OpenAPI tool (schemathesis among them).
    candidates: list[list[int | float]] = Field(description="[护理员id, 得分] / [caregiver id, score], best first")


@router.get(
    "/orders/{order_id}/match", response={200: MatchOut, **refusals(403, 404)}, summary="匹配预览（不派单）/ who would be chosen, and why"
)
def order_match(request, order_id: int):
    order = selectors.order_get(actor=request.auth, pk=order_id)
    orders.may_dispatch(request.auth, order)
    choice = matching.match(order)
    return {"caregiver_id": choice.caregiver_id, "explanation": choice.explanation, "candidates": choice.candidates}


class AssignIn(Schema):
    caregiver: int
    note: str = Field("", max_length=300)


class ReasonIn(Schema):
    reason: str = Field(max_length=300)


class CheckInIn(Schema):
    latitude: Latitude
    longitude: Longitude


class CheckOutIn(Schema):
    record: str


class ConfirmIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=300)


def _act(request, order_id: int, action, **kwargs):
    order = selectors.order_get(actor=request.auth, pk=order_id)
    return _detail(action(actor=request.auth, order=order, **kwargs))


@router.post(
    "/orders/{order_id}/auto-dispatch", response={200: OrderDetailOut, **refusals(403, 404)}, summary="自动匹配并派单 / match and dispatch"
)
def order_auto_dispatch(request, order_id: int):
    return _act(request, order_id, orders.order_auto_dispatch)


@router.post("/orders/{order_id}/assign", response={200: OrderDetailOut, **refusals(403, 404)}, summary="指定护理员 / assign a caregiver")
def order_assign(request, order_id: int, data: AssignIn):
    caregiver = get_object_or_404(Caregiver, pk=data.caregiver)
    return _act(request, order_id, orders.order_assign, caregiver=caregiver, note=data.note)


@router.post("/orders/{order_id}/dispatch", response={200: OrderDetailOut, **refusals(403, 404)}, summary="派单 / dispatch")
def order_dispatch(request, order_id: int):
    return _act(request, order_id, orders.order_dispatch)


@router.post("/orders/{order_id}/accept", response={200: OrderDetailOut, **refusals(403, 404)}, summary="接单 / accept")
def order_accept(request, order_id: int):
    return _act(request, order_id, orders.order_accept)


@router.post("/orders/{order_id}/decline", response={200: OrderDetailOut, **refusals(403, 404)}, summary="拒单 / decline")
def order_decline(request, order_id: int, data: ReasonIn):
    return _act(request, order_id, orders.order_decline, reason=data.reason)


@router.post("/orders/{order_id}/depart", response={200: OrderDetailOut, **refusals(403, 404)}, summary="出发 / on the way")
def order_depart(request, order_id: int):
    return _act(request, order_id, orders.order_depart)


@router.post("/orders/{order_id}/check-in", response={200: OrderDetailOut, **refusals(403, 404)}, summary="签到 / check in")
def order_check_in(request, order_id: int, data: CheckInIn):
    return _act(request, order_id, orders.order_check_in, latitude=data.latitude, longitude=data.longitude)


@router.post("/orders/{order_id}/check-out", response={200: OrderDetailOut, **refusals(403, 404)}, summary="签退 / check out")
def order_check_out(request, order_id: int, data: CheckOutIn):
    return _act(request, order_id, orders.order_check_out, record=data.record)


@router.post("/orders/{order_id}/confirm", response={200: OrderDetailOut, **refusals(403, 404)}, summary="确认并评价 / confirm and rate")
def order_confirm(request, order_id: int, data: ConfirmIn):
    return _act(request, order_id, orders.order_confirm, rating=data.rating, comment=data.comment)


@router.post("/orders/{order_id}/cancel", response={200: OrderDetailOut, **refusals(403, 404)}, summary="取消 / cancel")
def order_cancel(request, order_id: int, data: ReasonIn):
    return _act(request, order_id, orders.order_cancel, reason=data.reason)


@router.post("/orders/{order_id}/no-show", response={200: OrderDetailOut, **refusals(403, 404)}, summary="未履约 / no-show")
def order_no_show(request, order_id: int, data: ReasonIn):
    return _act(request, order_id, orders.order_no_show, reason=data.reason)


@router.get("/tasks", response={200: Page[OrderOut], **refusals(403)}, summary="护理员当日任务 / a caregiver's tasks of a day")
def tasks(request, paging: Query[Paging], day: Day | None = None):
    return paged(selectors.caregiver_tasks(actor=request.auth, day=day), paging, _order)


class FlagRowOut(FlagOut):
    id: int
    order_id: int


@router.get("/flags", response={200: Page[FlagRowOut], **refusals(403)}, summary="服务异常标记 / fraud flags")
def flags(request, paging: Query[Paging]):
    return paged(selectors.flags_visible(request.auth).values("id", "order_id", "kind", "detail", "other_id", "created_at"), paging)


# ---------------------------------------------------------------- catalogue administration


class PriceIn(Schema):
    item: str
    region: RegionCode
    price: int = Field(gt=0, le=prices.MAX_PRICE, description="分/次或分/小时 / fen per visit or per hour")
    valid_from: Day
    valid_to: Day | None = None
    document: str = Field(max_length=200)


class PriceOut(Schema):
    id: int
    item: str
    region: str
    price: int
    valid_from: dt.date
    valid_to: dt.date | None
    document: str


def _price(p) -> dict:
    return {
        "id": p.pk,
        "item": p.item.code,
        "region": p.region_id,
        **{k: getattr(p, k) for k in ("price", "valid_from", "valid_to", "document")},
    }


@router.post("/guide-prices", response={201: PriceOut, **refusals(403, 404, 409)}, summary="设定政府指导价 / set a guide price")
def guide_price_create(request, data: PriceIn):
    item = get_object_or_404(ServiceItem, code=data.item)
    region = region_get(actor=request.auth, code=data.region)
    price = prices.guide_price_set(
        actor=request.auth,
        item=item,
        region=region,
        price=data.price,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        document=data.document,
    )
    return Status(201, _price(price))


@router.get(
    "/guide-prices/current", response={200: PriceOut, **refusals(403, 404)}, summary="某社区某日的指导价 / the guide price in force"
)
def guide_price_current(request, item: str, region: RegionCode, day: Day):
    found = prices.price_for(get_object_or_404(ServiceItem, code=item), region_get(actor=request.auth, code=region).code, day)
    if found is None:
        raise Http404(ERR_NO_PRICE)
    return _price(found)


class CaregiverIn(Schema):
    name: str = Field(max_length=50)
    id_number: str
    latitude: Latitude
    longitude: Longitude
    categories: list[str]
    level: int | None = None
    certificate_number: str = Field("", max_length=50)
    certificate_expires: Day | None = None
    hours: dict = {}
    phone: str = ""


class CaregiverOut(Schema):
    id: int
    name: str
    id_masked: str
    level: int | None
    certificate_expires: dt.date | None
    categories: list[str]
    active: bool


@router.post(
    "/providers/{provider_id}/caregivers", response={201: CaregiverOut, **refusals(403, 404)}, summary="登记护理员 / register a caregiver"
)
def caregiver_create(request, provider_id: int, data: CaregiverIn):
    provider = get_object_or_404(Provider, pk=provider_id)
    c = caregivers.caregiver_register(actor=request.auth, provider=provider, **data.dict())
    return Status(
        201, {k: getattr(c, k) for k in ("name", "id_masked", "level", "certificate_expires", "categories", "active")} | {"id": c.pk}
    )


@router.get(
    "/providers/{provider_id}/caregivers",
    response={200: Page[CaregiverOut], **refusals(403, 404)},
    summary="本服务商护理员 / a provider's caregivers",
)
def caregiver_list(request, provider_id: int, paging: Query[Paging]):
    """The provider's own admins and the officers who keep the catalogue of its region (404 for any
    other provider, 403 for a role that does neither)."""
    provider = provider_get(actor=request.auth, pk=provider_id)
    return paged(
        provider.caregivers.order_by("name", "pk").values(
            "id", "name", "id_masked", "level", "certificate_expires", "categories", "active"
        ),
        paging,
    )


class FlagResolveIn(Schema):
    resolution: str = Field(max_length=300)


@router.post(
    "/flags/{flag_id}/resolve", response={200: FlagRowOut, **refusals(403, 404)}, summary="处理服务异常标记 / resolve a fraud flag"
)
def flag_resolve(request, flag_id: int, data: FlagResolveIn):
    flag = get_object_or_404(selectors.flags_visible(request.auth), pk=flag_id)
    flag = orders.flag_resolve(actor=request.auth, flag=flag, resolution=data.resolution)
    return {k: getattr(flag, k) for k in ("id", "order_id", "kind", "detail", "other_id", "created_at")}


# ---------------------------------------------------------------- standing orders and preferred caregivers


class StandingOrderIn(Schema):
    item: str
    weekdays: list[int] = Field(min_length=1, max_length=7, description="1 = 周一 / Monday … 7 = 周日 / Sunday")
    start_time: dt.time
    window_minutes: int = Field(ge=1, le=24 * 60)
    valid_from: Day
    valid_to: Day | None = None
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)
    preferred_caregiver: int | None = Field(None, description="同时设为老人的指定护理员 / also make them the elder's preferred caregiver")


class StandingOrderOut(Schema):
    id: int
    elder_id: int
    item: str
    item_name: str
    weekdays: list[int]
    start_time: dt.time
    window_minutes: int
    quantity: int
    valid_from: dt.date
    valid_to: dt.date | None
    active: bool
    created_at: dt.datetime


def _standing(r) -> dict:
    keys = ("elder_id", "weekdays", "start_time", "window_minutes", "quantity", "valid_from", "valid_to", "active", "created_at")
    return {"id": r.pk, "item": r.item.code, "item_name": r.item.name, **{k: getattr(r, k) for k in keys}}


def _caregiver(pk: int) -> Caregiver:
    return get_object_or_404(Caregiver.objects.select_related("provider"), pk=pk)


@router.post(
    "/elders/{elder_id}/standing-orders",
    response={201: StandingOrderOut, **refusals(403, 404)},
    summary="设置周期服务（长期服务）/ set up a standing order",
)
def standing_order_create(request, elder_id: int, data: StandingOrderIn):
    elder = elder_get(actor=request.auth, pk=elder_id)
    item = get_object_or_404(ServiceItem, code=data.item)
    caregiver = _caregiver(data.preferred_caregiver) if data.preferred_caregiver is not None else None
    made = recurrences.recurrence_create(
        actor=request.auth,
        elder=elder,
        item=item,
        weekdays=data.weekdays,
        start_time=data.start_time,
        window_minutes=data.window_minutes,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        quantity=data.quantity,
        preferred_caregiver=caregiver,
        generate=True,
    )
    return Status(201, _standing(made))


@router.get(
    "/elders/{elder_id}/standing-orders",
    response={200: Page[StandingOrderOut], **refusals(403, 404)},
    summary="老人的周期服务 / an elder's standing orders",
)
def standing_order_list(request, elder_id: int, paging: Query[Paging]):
    elder = elder_get(actor=request.auth, pk=elder_id)
    return paged(recurrences.recurrence_list(actor=request.auth, elder=elder), paging, _standing)


@router.post(
    "/standing-orders/{standing_id}/stop",
    response={200: StandingOrderOut, **refusals(403, 404)},
    summary="停止周期服务（取消未出发的工单）/ stop a standing order",
)
def standing_order_stop(request, standing_id: int):
    found = recurrences.recurrence_get(actor=request.auth, pk=standing_id)
    return _standing(recurrences.recurrence_stop(actor=request.auth, recurrence=found))


class PreferredIn(Schema):
    caregiver: int


class PreferredOut(Schema):
    elder_id: int
    caregiver_id: int | None
    caregiver_name: str | None
    provider_name: str | None


def _preferred(elder_id: int, preference) -> dict:
    if preference is None:
        return {"elder_id": elder_id, "caregiver_id": None, "caregiver_name": None, "provider_name": None}
    c = preference.caregiver
    return {"elder_id": elder_id, "caregiver_id": c.pk, "caregiver_name": c.name, "provider_name": c.provider.name}


@router.get(
    "/elders/{elder_id}/preferred-caregiver",
    response={200: PreferredOut, **refusals(403, 404)},
    summary="老人的指定护理员 / an elder's preferred caregiver",
)
def preferred_get(request, elder_id: int):
    elder = elder_get(actor=request.auth, pk=elder_id)
    if not has_cap(request.auth, Cap.VIEW_ORDERS):
        raise PermissionDenied
    return _preferred(elder.pk, preferences.preference_of(elder))


@router.put(
    "/elders/{elder_id}/preferred-caregiver",
    response={200: PreferredOut, **refusals(403, 404)},
    summary="设置指定护理员 / set an elder's preferred caregiver",
)
def preferred_set(request, elder_id: int, data: PreferredIn):
    elder = elder_get(actor=request.auth, pk=elder_id)
    preference = preferences.preference_set(actor=request.auth, elder=elder, caregiver=_caregiver(data.caregiver))
    return _preferred(elder.pk, preference)


@router.delete(
    "/elders/{elder_id}/preferred-caregiver",
    response={200: PreferredOut, **refusals(403, 404)},
    summary="取消指定护理员 / clear an elder's preferred caregiver",
)
def preferred_clear(request, elder_id: int):
    elder = elder_get(actor=request.auth, pk=elder_id)
    preferences.preference_clear(actor=request.auth, elder=elder)
    return _preferred(elder.pk, None)
