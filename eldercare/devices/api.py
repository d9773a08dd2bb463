"""Devices API: readings from gateways (their own bearer tokens), device registration, and the
alarm board with its actions. Handlers parse, call one service or selector and shape the answer."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.security import HttpBearer

from eldercare.accounts.scoping import ERR_NO_CAPABILITY
from eldercare.core.api import Refusal, refusals
from eldercare.core.errors import code_of
from eldercare.core.pagination import Page, Paging, paged
from eldercare.elders.selectors import elder_get
from eldercare.elders.services import phone_reveal

from . import alarms, beds, registration, selectors
from .ingest import ERR_NOT_JSON, ERR_TOO_LARGE, Rejected, dead_letter, deliver, gateway_payload_max, read
from .models import Gateway

router = Router(tags=["devices"])


class GatewayAuth(HttpBearer):
    def authenticate(self, request, token):
        return Gateway.objects.filter(token_hash=Gateway.hash(token), active=True).first()


class OutcomeOut(Schema):
    device: str
    msg_id: str
    status: str
    reason: str = ""
    alarm_id: int | None = None


@router.post(
    "/readings",
    auth=GatewayAuth(),
    response={200: list[OutcomeOut], 413: Refusal, 422: Refusal},
    summary="网关上报（批量）/ readings from a gateway",
)
def readings(request):
    """A JSON list of messages (or one), each naming its device: the same format as MQTT (docs/devices.md).
    Each message is answered on its own: one that cannot be stored is `rejected` with the reason (and kept as a
    dead letter) while the others are stored. A body that cannot be read at all answers 422; one larger than a
    gateway's batch may be, 413."""
    source = f"gateway:{request.auth.pk}"
    try:
        body = request.body
    except RequestDataTooBig:  # past Django's DATA_UPLOAD_MAX_MEMORY_SIZE: not read
        limit = min(django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE or gateway_payload_max(), gateway_payload_max())
        size = request.META.get("CONTENT_LENGTH", "?")
        return Status(413, {"code": ERR_TOO_LARGE.code, "detail": ERR_TOO_LARGE.format(size=size, limit=limit)})
    try:
        items = read(body)
    except Rejected as exc:
        if code_of(exc.reason, "") == ERR_TOO_LARGE.code:  # refused unread; the gateway is told, nothing is kept
            return Status(413, {"code": ERR_TOO_LARGE.code, "detail": exc.reason})
        dead_letter(source, body, exc.reason)
        return Status(422, {"code": code_of(exc.reason, ERR_NOT_JSON.code), "detail": exc.reason})
    return [
        {"device": o.serial, "msg_id": o.message_id, "status": o.status, "reason": o.reason, "alarm_id": o.alarm_id}
        for o in deliver(source, items)
    ]


class DeviceIn(Schema):
    serial: str
    kind: str
    elder: int


class DeviceOut(Schema):
    id: int
    serial: str
    kind: str
    elder_id: int
    status: str
    battery: int | None
    last_seen: dt.datetime | None


@router.post("/devices", response={201: DeviceOut, **refusals(403, 404)}, summary="登记设备 / register a device")
def device_create(request, data: DeviceIn):
    elder = elder_get(actor=request.auth, pk=data.elder)
    return Status(201, _device(registration.device_register(actor=request.auth, elder=elder, serial=data.serial, kind=data.kind)))


def _device(d) -> dict:
    return {
        "id": d.pk,
        "serial": d.serial,
        "kind": d.kind,
        "elder_id": d.elder_id,
        "status": d.status,
        "battery": d.battery,
        "last_seen": d.last_seen,
    }


class AlarmOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    address: str
    community: str
    source: str
    source_label: str
    status: str
    status_label: str
    raised_at: dt.datetime
    received_at: dt.datetime
    acknowledged_at: dt.datetime | None
    escalation_level: int


class EventOut(Schema):
    what: str
    at: dt.datetime
    note: str


class ContactOut(Schema):
    name: str
    relation: str
    phone: str


class ReadingOut(Schema):
    device: str
    kind: str
    value: float | None
    at: dt.datetime


class AlarmDetailOut(AlarmOut):
    living_status: str
    contacts: list[ContactOut]
    last_readings: list[ReadingOut]
    events: list[EventOut]
    responder: str
    responder_name: str
    outcome: str


def _alarm(a) -> dict:
    return {
        "id": a.pk,
        "elder_id": a.elder_id,
        "elder_name": a.elder.name,
        "address": a.elder.address,
        "community": a.elder.residence.name,
        "source": a.source,
        "source_label": a.get_source_display(),
        "status": a.status,
        "status_label": a.get_status_display(),
        **{k: getattr(a, k) for k in ("raised_at", "received_at", "acknowledged_at", "escalation_level")},
    }


def _detail(a) -> dict:
    contacts, devices = selectors.alarm_context(a)
    return {
        **_alarm(a),
        "living_status": a.elder.get_living_status_display(),
        # Operators call these people: the masked number is shown; the call desk dials through the platform.
        "contacts": [{"name": c.name, "relation": c.get_relation_display(), "phone": c.phone_masked} for c in contacts],
        "last_readings": [{"device": d.serial, "kind": r.kind, "value": r.value, "at": r.at} for d, r in devices if r is not None],
        "events": list(a.events.order_by("pk").values("what", "at", "note")),
        **{k: getattr(a, k) for k in ("responder", "responder_name", "outcome")},
    }


@router.get("/alarms", response={200: Page[AlarmOut], **refusals(403)}, summary="告警看板（未处置）/ the open alarms")
def alarm_board(request, paging: Query[Paging]):
    return paged(selectors.alarm_board(request.auth), paging, _alarm)


@router.get(
    "/alarms/{alarm_id}", response={200: AlarmDetailOut, **refusals(403, 404)}, summary="告警详情 / an alarm with the elder's context"
)
def alarm_detail(request, alarm_id: int):
    return _detail(selectors.alarm_get(actor=request.auth, pk=alarm_id))


class DispatchIn(Schema):
    responder: str
    name: str = ""


class ResolveIn(Schema):
    outcome: str


def _act(request, alarm_id: int, action, **kwargs) -> dict:
    """An action on an alarm in the actor's scope; the answer shows it as it now stands."""
    alarm = action(actor=request.auth, alarm=selectors.alarm_get(actor=request.auth, pk=alarm_id), **kwargs)
    return _detail(selectors.alarm_get(actor=request.auth, pk=alarm.pk))


@router.post("/alarms/{alarm_id}/acknowledge", response={200: AlarmDetailOut, **refusals(403, 404)}, summary="响应 / acknowledge")
def alarm_acknowledge(request, alarm_id: int):
    return _act(request, alarm_id, alarms.alarm_acknowledge)


@router.post("/alarms/{alarm_id}/dispatch", response={200: AlarmDetailOut, **refusals(403, 404)}, summary="派人 / dispatch someone")
def alarm_dispatch(request, alarm_id: int, data: DispatchIn):
    return _act(request, alarm_id, alarms.alarm_dispatch, responder=data.responder, name=data.name)


@router.post("/alarms/{alarm_id}/resolve", response={200: AlarmDetailOut, **refusals(403, 404)}, summary="处置完成 / resolve")
def alarm_resolve(request, alarm_id: int, data: ResolveIn):
    return _act(request, alarm_id, alarms.alarm_resolve, outcome=data.outcome)


class CallIn(Schema):
    contact: int | None = Field(None, description="紧急联系人的 id；不填则拨打老人本人 / a contact's id, or null for the elder")


class CallOut(Schema):
    phone: str
    tel: str


@router.post(
    "/alarms/{alarm_id}/call",
    response={200: CallOut, **refusals(403, 404)},
    summary="拨打（显示完整号码，记入审计）/ reveal a number to call",
)
def alarm_call(request, alarm_id: int, data: CallIn):
    """The full number of the alarm's elder (`contact` null) or of one of its emergency contacts, for
    those who handle the alarm; each reveal is audited (as on the console's 拨打). Elsewhere numbers
    stay masked. 404 for another region's alarm or a contact who is not the alarm's."""
    actor = request.auth
    alarm = selectors.alarm_get(actor=actor, pk=alarm_id)
    if not selectors.alarm_may_call(actor, alarm):
        raise PermissionDenied(ERR_NO_CAPABILITY)
    record = alarm.elder if data.contact is None else selectors.alarm_contact(alarm, data.contact)
    phone = phone_reveal(actor=actor, record=record, alarm_id=alarm.pk)
    return {"phone": phone, "tel": f"tel:{phone}" if phone else ""}


class BedIn(Schema):
    elder: int
    provider: int
    contract_number: str
    starts: dt.date
    equipment: list[dict] = []


class BedRecordIn(Schema):
    kind: str
    on: dt.date
    note: str


class BedOut(Schema):
    id: int
    elder_id: int
    provider_id: int
    contract_number: str
    starts: dt.date
    ends: dt.date | None
    equipment: list[dict]
    records: list[dict]


def _bed(b) -> dict:
    return {
        **{k: getattr(b, k) for k in ("elder_id", "provider_id", "contract_number", "starts", "ends", "equipment")},
        "id": b.pk,
        "records": [{"kind": r.kind, "on": r.on, "note": r.note} for r in b.records.all()],
    }


@router.get(
    "/beds", response={200: Page[BedOut], **refusals(403)}, summary="家庭养老床位 / home care beds (the region's, or a provider's own)"
)
def bed_list(request, paging: Query[Paging]):
    return paged(selectors.bed_list(request.auth).prefetch_related("records"), paging, _bed)


@router.get("/beds/{bed_id}", response={200: BedOut, **refusals(403, 404)}, summary="床位详情与记录 / a home care bed and its records")
def bed_detail(request, bed_id: int):
    return _bed(selectors.bed_get(actor=request.auth, pk=bed_id))


@router.post("/beds", response={201: BedOut, **refusals(403, 404)}, summary="登记家庭养老床位 / register a home care bed")
def bed_create(request, data: BedIn):
    from eldercare.providers.models import Provider

    elder = elder_get(actor=request.auth, pk=data.elder)
    provider = get_object_or_404(Provider, pk=data.provider)
    bed = beds.bed_register(
        actor=request.auth,
        elder=elder,
        provider=provider,
        contract_number=data.contract_number,
        starts=data.starts,
        equipment=data.equipment,
    )
    return Status(201, _bed(bed))


@router.post(
    "/beds/{bed_id}/records", response={201: BedOut, **refusals(403, 404)}, summary="床位巡检与服务记录 / record an inspection or a service"
)
def bed_record(request, bed_id: int, data: BedRecordIn):
    bed = selectors.bed_get(actor=request.auth, pk=bed_id)
    beds.bed_record_add(actor=request.auth, bed=bed, kind=data.kind, on=data.on, note=data.note)
    return Status(201, _bed(bed))


class WarningOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    community: str
    rule: str
    detail: str
    action: str
    alarm_id: int | None
    created_at: dt.datetime
    status: str
    # Once closed: when, by whom, what the visit found and whether the elder was seen (None: not said).
    closed_at: dt.datetime | None
    closed_by: str | None
    findings: str
    seen_in_person: bool | None


class WarningFilter(Schema):
    status: Literal["open", "closed"] = Field("open", description="open（待处理，默认）或 closed（已处理，最近处理的在前）")


class CloseIn(Schema):
    note: str = Field(description="探访情况 / what the visit found")
    seen: bool | None = Field(None, description="是否见到本人 / whether the elder was seen in person")


def _warning(w) -> dict:
    return {
        "id": w.pk,
        "elder_id": w.elder_id,
        "elder_name": w.elder.name,
        "community": w.elder.residence.name,
        **{k: getattr(w, k) for k in ("rule", "detail", "action", "alarm_id", "created_at", "status", "closed_at", "findings")},
        "closed_by": (w.closed_by.display_name or w.closed_by.username) if w.closed_by_id else None,
        "seen_in_person": w.seen_in_person,
    }


@router.get(
    "/warnings", response={200: Page[WarningOut], **refusals(403)}, summary="异常预警（待处理或已处理）/ early warnings, open or closed"
)
def warning_list(request, paging: Query[Paging], filters: Query[WarningFilter]):
    """The open warnings (newest first), or with `status=closed` those already closed with what the
    visit found (latest closed first)."""
    warnings = selectors.closed_warnings(request.auth) if filters.status == "closed" else selectors.open_warnings(request.auth)
    return paged(warnings, paging, _warning)


@router.post("/warnings/{warning_id}/close", response={204: None, **refusals(403, 404)}, summary="预警已处理（已上门） / close a warning")
def warning_close(request, warning_id: int, data: CloseIn):
    warning = selectors.warning_get(actor=request.auth, pk=warning_id)
    alarms.warning_close(actor=request.auth, warning=warning, note=data.note, seen=data.seen)
    return Status(204, None)
