from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from eldercare.core.api import XLSX, XLSX_DOWNLOAD, Day, Latitude, Longitude, RegionCode, RegionFilter, refusals, unchanged_unless_sent
from eldercare.core.pagination import Page, Paging, paged
from eldercare.regions.models import Region

from . import errors, excel, idnumber, presenters, selectors, services

router = Router(tags=["elders"])
MAX_AGE = 150  # as the console's filter: no one registered is older


class FiltersIn(Schema):
    region: RegionFilter | None = None
    age_min: int | None = Field(None, ge=0, le=MAX_AGE)
    age_max: int | None = Field(None, ge=0, le=MAX_AGE)
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


class ElderContactOut(Schema):
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
    contacts: list[ElderContactOut]


class ElderIn(Schema):
    name: str
    id_number: str
    residence: RegionCode
    hukou_region: RegionCode | None = None
    birth_date: Day | None = None
    sex: str | None = None
    phone: str = ""
    address: str = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    living_status: str = "with_family"
    notes: str = ""


class ElderPatch(Schema):
    """The fields sent change; those left out stay. Only the hukou region and the coordinates can be
    cleared (null): a record always has a name, a residence, a living status (and "" clears a text)."""

    name: str = unchanged_unless_sent()
    residence: RegionCode = unchanged_unless_sent()
    hukou_region: RegionCode | None = None
    phone: str = unchanged_unless_sent()
    address: str = unchanged_unless_sent()
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    living_status: str = unchanged_unless_sent()
    notes: str = unchanged_unless_sent()


class GroupIn(Schema):
    group: str
    level: str = ""
    valid_from: Day
    valid_to: Day | None = None
    source: str = Field("", max_length=100)


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


class ConsentOut(Schema):
    id: int
    kind: str
    granted: bool


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


def _not_in_url(filters: FiltersIn) -> FiltersIn:
    """Refuse a search text holding an ID or phone number in a query string (access logs keep
    URLs): `POST /api/elders/search` takes it in the body."""
    if filters.q and idnumber.looks_personal(filters.q):
        raise ValidationError({"q": errors.ERR_PERSONAL_IN_URL})
    return filters


def _elder_page(request, filters: FiltersIn, paging: Paging):
    qs = selectors.elder_list(actor=request.auth, filters=filters.to_filters())
    today = dt.date.today()
    return paged(qs, paging, lambda e: presenters.elder_row(request.auth, e, today), prepare=selectors.with_groups)


@router.get(
    "/",
    response={200: Page[ElderRowOut], **refusals(403, 422)},
    summary="老年人列表 / elders in scope, filtered and paged",
    description="`q`: 姓名开头；身份证号或电话请用 POST /api/elders/search / a name's beginning; ID or phone numbers go to POST /api/elders/search",
)
def list_elders(request, filters: Query[FiltersIn], paging: Query[Paging]):
    return _elder_page(request, _not_in_url(filters), paging)


@router.post(
    "/search",
    response={200: Page[ElderRowOut], **refusals(403, 422)},
    summary="查找老人（身份证号、电话）/ search elders by ID number or name, the text in the body",
)
def search_elders(request, filters: FiltersIn, paging: Query[Paging]):
    return _elder_page(request, filters, paging)


@router.get(
    "/export.xlsx",
    response={200: None, **refusals(403, 422)},
    openapi_extra=XLSX_DOWNLOAD,
    summary="导出Excel / export the filtered elders to Excel",
)
def export_elders(request, filters: Query[FiltersIn], full_ids: bool = False):
    qs = selectors.elder_list(actor=request.auth, filters=_not_in_url(filters).to_filters())
    out = io.BytesIO()
    excel.export_elders_xlsx(actor=request.auth, queryset=qs, out=out, full_ids=full_ids, region=_region(filters.region))
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="elders.xlsx"'
    return response


@router.post("/import", response={200: ImportOut, **refusals(403)}, summary="Excel批量导入 / bulk import from Excel (all or nothing)")
def import_elders(request, file: File[UploadedFile], convert_legacy: bool = False):
    report = excel.import_elders_xlsx(actor=request.auth, file=file, convert_legacy=convert_legacy)
    return {"ok": report.ok, "rows": report.rows, "created": report.created, "errors": report.errors, "warnings": report.warnings}


@router.get("/{elder_id}", response={200: ElderDetailOut, **refusals(403, 404)}, summary="老年人档案 / one elder")
def get_elder(request, elder_id: int):
    return presenters.elder_detail(request.auth, selectors.elder_get_with_groups(actor=request.auth, pk=elder_id))


@router.post("/", response={201: ElderDetailOut, **refusals(403)}, summary="建档 / register an elder")
def create_elder(request, payload: ElderIn):
    data = payload.dict()
    data["residence"] = _region(data["residence"] or "-", "residence")
    data["hukou_region"] = _region(data["hukou_region"], "hukou_region")
    elder = services.elder_create(actor=request.auth, **data)
    return Status(201, get_elder(request, elder.pk))


@router.patch("/{elder_id}", response={200: ElderDetailOut, **refusals(403, 404)}, summary="修改档案 / change an elder's record")
def update_elder(request, elder_id: int, payload: ElderPatch):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    changes = payload.dict(exclude_unset=True)
    for key in ("residence", "hukou_region"):
        if key in changes:
            changes[key] = _region(changes[key], key)
    services.elder_update(actor=request.auth, elder=elder, **changes)
    return get_elder(request, elder_id)


@router.post(
    "/{elder_id}/reveal-id",
    response={200: RevealOut, **refusals(403, 404)},
    summary="查看完整身份证号（留痕）/ reveal the full ID number (audited)",
)
def reveal_id(request, elder_id: int):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    return {"id_number": services.elder_reveal_id(actor=request.auth, elder=elder)}


@router.post(
    "/{elder_id}/groups", response={201: GroupOut, **refusals(403, 404)}, summary="登记重点人群身份 / add a priority-group membership"
)
def add_group(request, elder_id: int, payload: GroupIn):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    return Status(201, services.elder_group_add(actor=request.auth, elder=elder, **payload.dict()))


@router.post(
    "/{elder_id}/contacts",
    response={201: ElderContactOut, **refusals(403, 404)},
    summary="添加监护人或紧急联系人 / add a guardian or emergency contact",
)
def add_contact(request, elder_id: int, payload: ContactIn):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    contact = services.contact_add(actor=request.auth, elder=elder, **payload.dict())
    return Status(
        201, {**payload.dict(), "id": contact.pk, "phone": contact.phone_masked, "relation_label": str(contact.get_relation_display())}
    )


@router.post("/{elder_id}/consents", response={201: ConsentOut, **refusals(403, 404)}, summary="记录授权同意 / record a consent")
def add_consent(request, elder_id: int, payload: ConsentIn):
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    consent = services.consent_record(actor=request.auth, elder=elder, **payload.dict())
    return Status(201, {"id": consent.pk, "kind": consent.kind, "granted": consent.granted})


@router.get("/{elder_id}/audit", response={200: Page[AuditOut], **refusals(403, 404)}, summary="变更记录 / audit trail of the record")
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
