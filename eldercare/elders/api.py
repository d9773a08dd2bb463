from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from eldercare.core.pagination import Page, Paging, paged
from eldercare.regions.models import Region

from . import errors, excel, presenters, selectors, services

router = Router(tags=["elders"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FiltersIn(Schema):
    region: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    group: list[str] = []
    living_status: str | None = None
    status: str | None = "active"
    q: str | None = None

    def to_filters(self) -> selectors.ElderFilters:
        return selectors.ElderFilters(
            region=self.region,
            age_min=self.age_min,
            age_max=self.age_max,
            groups=self.group,
            living_status=self.living_status,
            status=self.status or None,
            q=self.q,
        )


class ElderRowOut(Schema):
    id: int
    name: str
    sex: str
    sex_label: str
    birth_date: dt.date
    age: int
    id_masked: str
    residence: str
    residence_name: str
    living_status: str
    living_status_label: str
    status: str
    phone: str
    groups: list[str]


class ContactOut(Schema):
    id: int
    name: str
    relation: str
    relation_label: str
    phone: str
    is_guardian: bool
    is_emergency: bool
    priority: int


class ElderDetailOut(ElderRowOut):
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    hukou_region: str | None
    hukou_region_name: str | None
    status_date: dt.date | None
    notes: str
    can_reveal_id: bool
    can_edit: bool
    contacts: list[ContactOut]


class ElderIn(Schema):
    name: str
    id_number: str
    residence: str
    hukou_region: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    phone: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    living_status: str = "with_family"
    notes: str = ""


class ElderPatch(Schema):
    name: str | None = None
    residence: str | None = None
    hukou_region: str | None = None
    phone: str | None = None
    address: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    living_status: str | None = None
    notes: str | None = None


class GroupIn(Schema):
    group: str
    level: str = ""
    valid_from: dt.date
    valid_to: dt.date | None = None
    source: str = ""


class GroupOut(Schema):
    id: int
    group: str
    level: str
    valid_from: dt.date
    valid_to: dt.date | None
    source: str


class ContactIn(Schema):
    name: str
    relation: str
    phone: str
    is_guardian: bool = False
    is_emergency: bool = True
    priority: int = 1


class ConsentIn(Schema):
    kind: str
    granted: bool
    signed_by: str
    note: str = ""


class RevealOut(Schema):
    id_number: str


class AuditOut(Schema):
    timestamp: dt.datetime
    action: str
    object: str
    actor: str | None
    changes: dict | None


class ImportIssueOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    ok: bool
    rows: int
    created: int
    errors: list[ImportIssueOut]
    warnings: list[ImportIssueOut]


def _region(code: str | None, field: str = "region") -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError({field: errors.ERR_REGION_UNKNOWN.format(code=code)})
    return region


@router.get("/", response=Page[ElderRowOut], summary="老年人列表 / elders in scope, filtered and paged")
def list_elders(request, filters: Query[FiltersIn], paging: Query[Paging]):
    qs = selectors.elder_list(actor=request.auth, filters=filters.to_filters())
    today = dt.date.today()
    return paged(qs, paging, lambda e: presenters.elder_row(request.auth, e, today), prepare=selectors.with_groups)


@router.get("/export.xlsx", summary="导出Excel / export the filtered elders to Excel", response={200: None})
def export_elders(request, filters: Query[FiltersIn], full_ids: bool = False):
    qs = selectors.elder_list(actor=request.auth, filters=filters.to_filters())
    out = io.BytesIO()
    excel.export_elders_xlsx(actor=request.auth, queryset=qs, out=out, full_ids=full_ids, region=_region(filters.region))
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="elders.xlsx"'
    return response


@router.post("/import", response=ImportOut, summary="Excel批量导入 / bulk import from Excel (all or nothing)")
def import_elders(request, file: File[UploadedFile], convert_legacy: bool = False):
    report = excel.import_elders_xlsx(actor=request.auth, file=file, convert_legacy=convert_legacy)
    return {"ok": report.ok, "rows": report.rows, "created": report.created, "errors": report.errors, "warnings": report.warnings}


@router.get("/{int:elder_id}", response=ElderDetailOut, summary="老年人档案 / one elder")
def get_elder(request, elder_id: int):
    return presenters.elder_detail(request.auth, selectors.elder_get_with_groups(actor=request.auth, pk=elder_id))


@router.post("/", response={201: ElderDetailOut}, summary="建档 / register an elder")
def create_elder(request, payload: ElderIn):
    data = payload.dict()
    data["residence"] = _region(data["residence"] or "-", "residence")
    data["hukou_region"] = _region(data["hukou_region"], "hukou_region")
    elder = services.elder_create(actor=request.auth, **data)
    return Status(201, get_elder(request, elder.pk))


@router.patch("/{int:elder_id}", response=ElderDetailOut, summary="修改档案 / change an elder's record")
def update_elder(request, elder_id: int, payload: ElderPatch):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    changes = payload.dict(exclude_unset=True)
    for key in ("residence", "hukou_region"):
        if key in changes:
            changes[key] = _region(changes[key], key)
    services.elder_update(actor=request.auth, elder=elder, **changes)
    return get_elder(request, elder_id)


@router.post("/{int:elder_id}/reveal-id", response=RevealOut, summary="查看完整身份证号（留痕）/ reveal the full ID number (audited)")
def reveal_id(request, elder_id: int):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    return {"id_number": services.elder_reveal_id(actor=request.auth, elder=elder)}


@router.post("/{int:elder_id}/groups", response={201: GroupOut}, summary="登记重点人群身份 / add a priority-group membership")
def add_group(request, elder_id: int, payload: GroupIn):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    return Status(201, services.elder_group_add(actor=request.auth, elder=elder, **payload.dict()))


@router.post("/{int:elder_id}/contacts", response={201: ContactOut}, summary="添加监护人或紧急联系人 / add a guardian or emergency contact")
def add_contact(request, elder_id: int, payload: ContactIn):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    contact = services.contact_add(actor=request.auth, elder=elder, **payload.dict())
    return Status(
        201, {**payload.dict(), "id": contact.pk, "phone": contact.phone_masked, "relation_label": str(contact.get_relation_display())}
    )


@router.post("/{int:elder_id}/consents", response={201: dict}, summary="记录授权同意 / record a consent")
def add_consent(request, elder_id: int, payload: ConsentIn):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    consent = services.consent_record(actor=request.auth, elder=elder, **payload.dict())
    return Status(201, {"id": consent.pk, "kind": consent.kind, "granted": consent.granted})


@router.get("/{int:elder_id}/audit", response=Page[AuditOut], summary="变更记录 / audit trail of the record")
def audit(request, elder_id: int, paging: Query[Paging]):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    entries = selectors.elder_audit(actor=request.auth, elder=elder)
    return paged(
        entries,
        paging,
        lambda e: {
            "timestamp": e.timestamp,
            "action": e.get_action_display(),
            "object": e.object_repr,
            "actor": str(e.actor) if e.actor else None,
            "changes": e.changes_dict,
        },
    )
