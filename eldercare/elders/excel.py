"""Excel import and export of the registry.

Import is all-or-nothing: every row is validated first and any error returns a
per-row report with nothing saved; only a clean file is written, in one
transaction. Export streams through openpyxl's write-only mode in chunks.
Neither lets a formula through (`core.spreadsheet`): the import refuses a row with
one, and every exported text cell is written as text.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_OUT_OF_SCOPE, require, scope_for
from eldercare.core.audit import log_bulk_create
from eldercare.core.errors import Err
from eldercare.core.spreadsheet import looks_like_formula, safe_row
from eldercare.regions.models import Region

from . import idnumber, services
from .models import ASSESSED_GROUPS, DisabilityLevel, Elder, ElderGroup, ElderStatus, LivingStatus, PriorityGroup, Sex, age_on
from .selectors import visible_groups

# ---------------------------------------------------------------- import

COLUMNS = {
    # header: (key, required)
    "姓名": ("name", True),
    "身份证号码": ("id_number", True),
    "居住社区代码": ("residence", True),
    "户籍地代码": ("hukou_region", False),
    "联系电话": ("phone", False),
    "居住地址": ("address", False),
    "居住状况": ("living_status", False),
    "重点人群": ("groups", False),
    "出生日期": ("birth_date", False),
    "性别": ("sex", False),
    "纬度": ("latitude", False),
    "经度": ("longitude", False),
}
TEMPLATE_HEADERS = list(COLUMNS)
GROUP_SPLIT = re.compile(r"[,，、;；\s]+")
GROUP_WITH_LEVEL = re.compile(r"^(?P<group>[^(（]+)(?:[(（](?P<level>[^)）]+)[)）])?$")

ERR_NOT_XLSX = Err("elders.not_xlsx", "无法读取文件：请上传 .xlsx 格式的 Excel 文件 / cannot read the file: upload an .xlsx workbook")
ERR_MISSING_HEADERS = Err("elders.missing_headers", "缺少必填列：{columns} / missing required columns: {columns}")
ERR_REQUIRED = Err("elders.required", "必填项为空 / required value is empty")
ERR_DUP_IN_FILE = Err("elders.dup_in_file", "与第{row}行身份证号码重复 / same ID number as row {row}")
ERR_BAD_CHOICE = Err("elders.bad_choice", "无法识别“{value}” / '{value}' is not recognised")
ERR_BAD_DATE = Err("elders.bad_date", "日期格式应为 YYYY-MM-DD / dates are written YYYY-MM-DD")
ERR_BAD_NUMBER = Err("elders.bad_number", "应为数字 / must be a number")
ERR_FORMULA = Err(
    "elders.formula",
    "单元格内容不能以 = + - @、制表符或回车开头（疑似公式） / cell looks like a formula: it must not start with = + - @, a tab or a carriage return",
)
ERR_EMPTY_FILE = Err("elders.empty_file", "文件中没有数据行 / the file has no data rows")
WARN_LEGACY_CONVERTED = "15位旧号码已换算为 {upgraded} / legacy 15-digit number converted to {upgraded}"


@dataclass
class RowIssue:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _label_map(choices) -> dict[str, str]:
    mapping = {}
    for value, label in choices:
        mapping[str(value)] = value
        mapping[str(label)] = value
    return mapping


LIVING = _label_map(LivingStatus.choices) | {
    "空巢": LivingStatus.EMPTY_NEST,
    "与子女同住": LivingStatus.WITH_FAMILY,
    "机构": LivingStatus.IN_INSTITUTION,
}
GROUPS = _label_map(PriorityGroup.choices) | {"重残": PriorityGroup.SEVERE_HANDICAP}
LEVELS = _label_map(DisabilityLevel.choices)
SEXES = _label_map(Sex.choices)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value).replace("/", "-"))
    except ValueError:
        raise ValueError(ERR_BAD_DATE) from None


def _groups(text: str) -> list[tuple[str, str]]:
    parsed = []
    for part in filter(None, GROUP_SPLIT.split(text)):
        match = GROUP_WITH_LEVEL.match(part)
        group = GROUPS.get(match["group"].strip()) if match else None
        if match is None or group is None:
            raise ValueError(ERR_BAD_CHOICE.format(value=part))
        level = ""
        if match["level"]:
            level = LEVELS.get(match["level"].strip(), "")
            if not level:
                raise ValueError(ERR_BAD_CHOICE.format(value=part))
        parsed.append((group, level))
    return parsed


def _first_message(exc: ValidationError) -> tuple[str, str]:
    if hasattr(exc, "error_dict"):
        key, errs = next(iter(exc.error_dict.items()))
        return key, errs[0].messages[0]
    return "", exc.messages[0]


class RowError(Exception):
    def __init__(self, key: str, message: str):
        self.key, self.message = key, message
        super().__init__(message)


class _RowParser:
    """Turns one spreadsheet row into an unsaved Elder and its groups, or raises RowError."""

    def __init__(self, *, actor, convert_legacy: bool, group_start: dt.date):
        self.scope = scope_for(actor)
        self.convert_legacy = convert_legacy
        self.group_start = group_start
        self.regions: dict[str, Region | None] = {}

    def region(self, key: str, code: str) -> Region:
        if code not in self.regions:
            self.regions[code] = Region.objects.filter(code=code).first()
        region = self.regions[code]
        if region is None:
            raise RowError(key, services.errors.ERR_REGION_UNKNOWN.format(code=code))
        return region

    @staticmethod
    def choice(key: str, text: str, mapping: dict[str, str]) -> str:
        if text not in mapping:
            raise RowError(key, ERR_BAD_CHOICE.format(value=text))
        return mapping[text]

    def parse(self, cell: dict, warn) -> tuple[Elder, list[tuple[str, str]]]:
        for key, value in cell.items():
            if looks_like_formula(value):
                raise RowError(key, ERR_FORMULA)
        for key in (key for key, required in COLUMNS.values() if required):
            if _text(cell.get(key)) == "":
                raise RowError(key, ERR_REQUIRED)
        number = idnumber.normalise(_text(cell["id_number"]))
        if self.convert_legacy and len(number) == 15 and number.isdigit():
            number = idnumber.upgrade_legacy(number)
            warn("id_number", WARN_LEGACY_CONVERTED.format(upgraded=number))
        residence = self.region("residence", _text(cell["residence"]))
        if not self.scope.covers_region(residence.code):
            raise RowError("residence", ERR_OUT_OF_SCOPE)
        fields: dict = {}
        if hukou := _text(cell.get("hukou_region")):
            fields["hukou_region"] = self.region("hukou_region", hukou)
        if living := _text(cell.get("living_status")):
            fields["living_status"] = self.choice("living_status", living, LIVING)
        if sex := _text(cell.get("sex")):
            fields["sex"] = self.choice("sex", sex, SEXES)
        if _text(cell.get("birth_date")):
            try:
                fields["birth_date"] = _date(cell["birth_date"])
            except ValueError as exc:
                raise RowError("birth_date", str(exc)) from None
        for key in ("latitude", "longitude"):
            if _text(cell.get(key)):
                try:
                    fields[key] = round(float(_text(cell[key])), 6)
                except ValueError:
                    raise RowError(key, ERR_BAD_NUMBER) from None
        try:
            groups = _groups(_text(cell.get("groups")))
            for group, level in groups:
                services.validate_group(group=group, level=level, valid_from=self.group_start, valid_to=None)
        except ValueError as exc:
            raise RowError("groups", str(exc)) from None
        except ValidationError as exc:
            raise RowError("groups", _first_message(exc)[1]) from None
        try:
            elder = services.build_elder(
                id_number=number,
                name=_text(cell["name"]),
                residence=residence,
                phone=_text(cell.get("phone")),
                address=_text(cell.get("address")),
                **fields,
            )
        except ValidationError as exc:
            raise RowError(*_first_message(exc)) from None
        return elder, groups


def import_elders_xlsx(*, actor, file: IO[bytes], convert_legacy: bool = False, group_start: dt.date | None = None) -> ImportReport:
    require(actor, Cap.IMPORT_ELDERS)
    require(actor, Cap.EDIT_ELDERS)
    report = ImportReport()
    try:
        # Not data_only: a formula cell must read as its formula (and be refused), not as the
        # value it last showed, nor as empty when it was never calculated.
        workbook = load_workbook(file, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        report.errors.append(RowIssue(0, "", ERR_NOT_XLSX))
        return report
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = [_text(h) for h in next(rows, ())]
    missing = [h for h, (_, required) in COLUMNS.items() if required and h not in header]
    if missing:
        report.errors.append(RowIssue(1, "", ERR_MISSING_HEADERS.format(columns="、".join(missing))))
        return report
    index = {COLUMNS[h][0]: i for i, h in enumerate(header) if h in COLUMNS}
    header_of = {key: h for h, (key, _) in COLUMNS.items()}
    group_start = group_start or timezone.localdate()
    parser = _RowParser(actor=actor, convert_legacy=convert_legacy, group_start=group_start)
    seen: dict[str, int] = {}
    pending: list[tuple[Elder, list[tuple[str, str]]]] = []

    for row_number, values in enumerate(rows, start=2):
        if all(v is None or _text(v) == "" for v in values):
            continue
        report.rows += 1
        cell = {key: (values[i] if i < len(values) else None) for key, i in index.items()}
        try:
            elder, groups = parser.parse(cell, lambda key, msg, row=row_number: report.warnings.append(RowIssue(row, header_of[key], msg)))
            if elder.id_hash in seen:
                raise RowError("id_number", ERR_DUP_IN_FILE.format(row=seen[elder.id_hash]))
        except RowError as exc:
            report.errors.append(RowIssue(row_number, header_of.get(exc.key, exc.key), exc.message))
            continue
        seen[elder.id_hash] = row_number
        pending.append((elder, groups))

    if report.rows == 0 and not report.errors:
        report.errors.append(RowIssue(0, "", ERR_EMPTY_FILE))
    # Already registered: one query for the whole file.
    existing = set(Elder.objects.filter(id_hash__in=list(seen)).values_list("id_hash", flat=True))
    for id_hash in existing:
        report.errors.append(RowIssue(seen[id_hash], header_of["id_number"], services.errors.ERR_DUPLICATE_ID))
    if report.errors:
        report.errors.sort(key=lambda issue: (issue.row, issue.column))
        return report

    # Bulk writes: the file is already validated, so one INSERT per thousand rows,
    # with the audit entries written alongside in the same transaction.
    with transaction.atomic():
        elders = Elder.objects.bulk_create([elder for elder, _ in pending], batch_size=1000)
        memberships = ElderGroup.objects.bulk_create(
            [
                ElderGroup(elder=elder, group=group, level=level, valid_from=group_start, source="Excel导入")
                for elder, groups in pending
                for group, level in groups
            ],
            batch_size=1000,
        )
        log_bulk_create(actor=actor, instances=[*elders, *memberships])
    report.created = len(pending)
    return report


def import_report_xlsx(report: ImportReport, out: IO[bytes]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导入结果")
    ws.append(["行号 Row", "列 Column", "问题 Problem"])
    for issue in report.errors:
        ws.append(safe_row([issue.row, issue.column, issue.message]))
    for issue in report.warnings:
        ws.append(safe_row([issue.row, issue.column, "提示 / note: " + issue.message]))
    wb.save(out)


def import_template_xlsx(out: IO[bytes]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "老年人档案"
    ws.append(TEMPLATE_HEADERS)
    ws.append(
        [
            "张秀英",
            "330102195403071223",
            "330102001001",
            "330102001001",
            "13800001234",
            "上城区某路1号",
            "独居",
            "低保,计生特殊家庭",
            "1954-03-07",
            "女",
            30.25,
            120.17,
        ]
    )
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "说明"])
    notes.append(["居住状况", "、".join(str(label) for _, label in LivingStatus.choices)])
    notes.append(
        [
            "重点人群",
            "、".join(str(label) for value, label in PriorityGroup.choices if value not in ASSESSED_GROUPS)
            + "；失能及其程度由能力评估确定，不在此登记",
        ]
    )
    wb.save(out)


# ---------------------------------------------------------------- export

EXPORT_HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "年龄",
    "身份证号码",
    "居住社区",
    "居住社区代码",
    "居住地址",
    "联系电话",
    "居住状况",
    "重点人群",
    "档案状态",
]
EXPORT_CHUNK = 5000


def export_elders_xlsx(
    *,
    actor,
    queryset,
    out: IO[bytes],
    full_ids: bool = False,
    region: Region | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write the elders of a scoped queryset (from `selectors.elder_list`) to a workbook.

    ID numbers and phones are masked unless `full_ids` is asked for by a role
    that may reveal them; such an export is audited. `progress`, if given, is called with the
    rows written so far after each chunk (a background export shows it). Returns the row count.
    """
    require(actor, Cap.EXPORT_ELDERS)
    if full_ids:
        require(actor, Cap.REVEAL_ID)
    today = timezone.localdate()
    living = dict(LivingStatus.choices)
    status = dict(ElderStatus.choices)
    sexes = dict(Sex.choices)
    region_names = dict(Region.objects.filter(level=5).values_list("code", "name")) if queryset.exists() else {}
    id_field = "id_number" if full_ids else "id_masked"
    columns = ["pk", "name", "sex", "birth_date", id_field, "residence_id", "address", "phone_masked", "living_status", "status"]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("老年人档案")
    ws.append(EXPORT_HEADERS)
    count = 0
    limit = settings.ELDERCARE_EXPORT_MAX_ROWS
    chunk: list[tuple] = []

    def flush() -> None:
        pairs: dict[int, list[tuple[str, str]]] = {}
        memberships = ElderGroup.objects.active_on(today).filter(elder_id__in=[row[0] for row in chunk]).order_by("elder_id", "group")
        for elder_id, group, level in memberships.values_list("elder_id", "group", "level"):
            pairs.setdefault(elder_id, []).append((group, level))
        groups = {elder_id: visible_groups(actor, found) for elder_id, found in pairs.items()}
        for pk, name, sex, birth, ident, res, address, phone, live, st in chunk:
            ws.append(
                safe_row(
                    [
                        name,
                        str(sexes.get(sex, sex)),
                        birth,
                        age_on(birth, today),
                        ident,
                        region_names.get(res, res),
                        res,
                        address,
                        phone,
                        str(living.get(live, live)),
                        "、".join(groups.get(pk, [])),
                        str(status.get(st, st)),
                    ]
                )
            )
        chunk.clear()

    for row in queryset.values_list(*columns).iterator(chunk_size=EXPORT_CHUNK):
        if count >= limit:
            break
        chunk.append(row)
        count += 1
        if len(chunk) >= EXPORT_CHUNK:
            flush()
            if progress is not None:
                progress(count)
    if chunk:
        flush()
    wb.save(out)
    if progress is not None:
        progress(count)
    if full_ids:
        # One audit entry per export, on the region exported (or the actor for a city-wide admin export).
        with set_actor(actor):
            LogEntry.objects.log_create(
                region or actor.region or actor,
                force_log=True,
                action=LogEntry.Action.ACCESS,
                changes={},
                additional_data={"export_full_ids": count},
            )
    return count
