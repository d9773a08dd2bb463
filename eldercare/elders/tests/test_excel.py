import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from eldercare.accounts.roles import Role
from eldercare.elders import excel, idnumber, selectors
from eldercare.elders.models import Elder, ElderGroup, LivingStatus, PriorityGroup
from eldercare.tests import builders as testing

HEADER = ["姓名", "身份证号码", "居住社区代码", "户籍地代码", "联系电话", "居住状况", "重点人群", "出生日期", "性别"]


def workbook(*rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def number(city, seq, birth=dt.date(1942, 3, 4)):
    return idnumber.build(city.community.code[:6], birth, seq)


@pytest.fixture
def worker(personas):
    return personas[Role.CIVIL_STREET]


def test_clean_file_imports_everything_with_groups_and_audit(city, worker):
    file = workbook(
        [
            "张秀英",
            number(city, 2),
            city.community.code,
            city.community.code,
            "13800001234",
            "独居",
            "低保,计生特殊家庭",
            "1942-03-04",
            "女",
        ],
        ["李国华", number(city, 3), city.community_b.code, "", "", "空巢", "", "", ""],
    )
    report = excel.import_elders_xlsx(actor=worker, file=file)
    assert report.ok and report.created == 2 and report.rows == 2
    zhang = Elder.objects.get(name="张秀英")
    assert zhang.living_status == LivingStatus.ALONE and zhang.hukou_region == city.community
    assert sorted(ElderGroup.objects.filter(elder=zhang).values_list("group", "level")) == [("dibao", ""), ("fp_special", "")]
    assert LogEntry.objects.filter(action=LogEntry.Action.CREATE, actor=worker).count() == 4  # 2 elders + 2 memberships


def test_any_bad_row_imports_nothing_and_reports_every_problem(city, personas, worker):
    existing = testing.elder(residence=city.community)
    bad_check = number(city, 5)[:-1] + ("0" if number(city, 5)[-1] != "0" else "1")
    file = workbook(
        ["好人", number(city, 4), city.community.code],  # row 2: fine on its own
        ["错校验", bad_check, city.community.code],  # row 3
        ["无社区", number(city, 6), "330102009009"],  # row 4
        ["越界", number(city, 7), city.community_far.code],  # row 5: outside the street
        ["重复", number(city, 4), city.community.code],  # row 6: same as row 2
        ["已建档", existing.id_number, city.community.code],  # row 7
        ["怪状况", number(city, 8), city.community.code, "", "", "流浪"],  # row 8
        ["怪人群", number(city, 9), city.community.code, "", "", "", "失能(中度)"],  # row 9: disability comes from assessments
        ["", number(city, 10), city.community.code],  # row 10: no name
        ["错日期", number(city, 11), city.community.code, "", "", "", "", "1942-03-05"],  # row 11
        ["错电话", number(city, 12), city.community.code, "", "123"],  # row 12
    )
    report = excel.import_elders_xlsx(actor=worker, file=file)
    assert not report.ok and report.created == 0
    by_row = {issue.row: issue for issue in report.errors}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
    assert "校验码" in by_row[3].message and by_row[3].column == "身份证号码"
    assert "未知的区划代码" in by_row[4].message
    assert "管辖范围" in by_row[5].message
    assert "第2行" in by_row[6].message
    assert "已建档" in by_row[7].message
    assert "流浪" in by_row[8].message and by_row[8].column == "居住状况"
    assert "能力评估" in by_row[9].message and by_row[9].column == "重点人群"
    assert by_row[10].column == "姓名"
    assert by_row[11].column == "出生日期"
    assert by_row[12].column == "联系电话"
    assert Elder.objects.count() == 1  # only the pre-existing one

    out = io.BytesIO()
    excel.import_report_xlsx(report, out)
    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(report.errors)


def test_legacy_numbers_are_rejected_unless_conversion_is_asked_for(city, worker):
    legacy = "330102420304123"  # born 1942-03-04
    rejected = excel.import_elders_xlsx(actor=worker, file=workbook(["旧号码", legacy, city.community.code]))
    assert not rejected.ok and "15位" in rejected.errors[0].message
    converted = excel.import_elders_xlsx(actor=worker, file=workbook(["旧号码", legacy, city.community.code]), convert_legacy=True)
    assert converted.ok and converted.created == 1
    assert Elder.objects.get().id_number == idnumber.upgrade_legacy(legacy)
    assert "换算" in converted.warnings[0].message


def test_not_a_workbook_and_missing_columns(city, worker):
    assert excel.import_elders_xlsx(actor=worker, file=io.BytesIO(b"name,id\n")).errors[0].message == excel.ERR_NOT_XLSX
    missing = excel.import_elders_xlsx(actor=worker, file=workbook(["x"], header=["姓名"]))
    assert "身份证号码" in missing.errors[0].message and "居住社区代码" in missing.errors[0].message
    empty = excel.import_elders_xlsx(actor=worker, file=workbook())
    assert empty.errors[0].message == excel.ERR_EMPTY_FILE


def test_import_needs_the_capability(city, personas):
    with pytest.raises(PermissionDenied):
        excel.import_elders_xlsx(actor=personas[Role.CENTER_OPERATOR], file=workbook(["x", number(city, 2), city.community.code]))


def test_template_round_trips_through_import(city, personas):
    buf = io.BytesIO()
    excel.import_template_xlsx(buf)
    buf.seek(0)
    report = excel.import_elders_xlsx(actor=personas[Role.CIVIL_CITY], file=buf)
    assert report.ok and report.created == 1


def test_export_masks_and_hides_health_for_roles_without_it(city, personas):
    testing.elder(residence=city.community, name="甲", groups=((PriorityGroup.DISABLED, "severe"), (PriorityGroup.TEKUN, "")))
    operator = personas[Role.CENTER_OPERATOR]
    out = io.BytesIO()
    count = excel.export_elders_xlsx(actor=operator, queryset=selectors.elder_list(actor=operator), out=out)
    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert count == 1 and rows[0] == tuple(excel.EXPORT_HEADERS)
    assert "*" in rows[1][4]
    assert set(rows[1][10].split("、")) == {"特困", "（健康信息已隐藏）"}


def test_full_id_export_is_audited(city, personas):
    elder = testing.elder(residence=city.community)
    officer = personas[Role.CIVIL_STREET]
    out = io.BytesIO()
    excel.export_elders_xlsx(actor=officer, queryset=selectors.elder_list(actor=officer), out=out, full_ids=True)
    rows = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert rows[1][4] == elder.id_number
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.actor == officer and entry.additional_data == {"export_full_ids": 1}
