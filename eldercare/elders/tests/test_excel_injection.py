"""Formula injection (issue 13): no text from the registry becomes a live formula in an export, and
an import refuses rows with formula-like cells."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from eldercare.accounts.roles import Role
from eldercare.core.errors import code_of
from eldercare.elders import excel, idnumber, selectors
from eldercare.elders.models import Elder
from eldercare.tests import builders as testing

HYPERLINK = '=HYPERLINK("http://x","click")'
DDE = "=cmd|' /C calc'!A0"
HEADER = ["姓名", "身份证号码", "居住社区代码", "居住地址", "经度"]
NAME, ADDRESS = excel.EXPORT_HEADERS.index("姓名"), excel.EXPORT_HEADERS.index("居住地址")


@pytest.fixture
def officer(personas):
    return personas[Role.CIVIL_STREET]


def exported(actor) -> list[tuple]:
    out = io.BytesIO()
    excel.export_elders_xlsx(actor=actor, queryset=selectors.elder_list(actor=actor).order_by("pk"), out=out)
    return list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(min_row=2))


def test_export_writes_formula_like_names_and_addresses_as_text(city, officer):
    pairs = [(HYPERLINK, DDE), ("@SUM(1)", "+1"), ("+1", "\t=1"), ("-2+3", "@SUM(1)")]
    for name, address in pairs:
        testing.elder(residence=city.community, name=name, address=address)
    rows = exported(officer)
    assert len(rows) == len(pairs)
    for row, (name, address) in zip(rows, pairs, strict=True):
        assert all(cell.data_type != "f" for cell in row)
        assert (row[NAME].value, row[ADDRESS].value) == ("'" + name, "'" + address)
        assert row[NAME].data_type == row[ADDRESS].data_type == "s"


def test_export_leaves_ordinary_values_alone(city, officer):
    elder = testing.elder(residence=city.community, name="张秀英", address="上城区清波街道某路1号", birth=dt.date(1942, 3, 4))
    (row,) = exported(officer)
    assert (row[NAME].value, row[ADDRESS].value) == ("张秀英", "上城区清波街道某路1号")
    birth, age = row[excel.EXPORT_HEADERS.index("出生日期")], row[excel.EXPORT_HEADERS.index("年龄")]
    assert birth.data_type == "d" and birth.value.date() == elder.birth_date
    assert age.data_type == "n" and isinstance(age.value, int)


def workbook(*rows) -> io.BytesIO:
    """Rows of cells; a value given as ("text", v) is forced into a text cell even if it starts with `=`."""
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c)
            if isinstance(value, tuple):
                cell.value, cell.data_type = value[1], "s"
            else:
                cell.value = value  # openpyxl makes a string starting with `=` a real formula cell
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def number(city, seq):
    return idnumber.build(city.community.code[:6], dt.date(1942, 3, 4), seq)


def test_import_refuses_every_row_with_a_formula_like_cell(city, officer):
    code = city.community.code
    file = workbook(
        ["张秀英", number(city, 2), code, "上城区某路1号", 120.17],  # row 2: fine on its own
        [HYPERLINK, number(city, 3), code],  # row 3: a formula cell
        ["李国华", number(city, 4), code, DDE],  # row 4: a formula cell, where reading only values once saw an empty address
        ["王芳", number(city, 5), code, ("text", "=1+1")],  # row 5: the same as text
        ["@SUM(1)", number(city, 6), code],  # row 6
        ["赵强", number(city, 7), code, "+1"],  # row 7
        ["钱明", number(city, 8), code, "\t=1"],  # row 8
        ["孙丽", number(city, 9), code, "-1+cmd|' /C calc'!A0"],  # row 9
    )
    report = excel.import_elders_xlsx(actor=officer, file=file)
    assert not report.ok and report.created == 0 and report.rows == 8
    by_row = {issue.row: issue for issue in report.errors}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9}
    assert {code_of(issue.message, "") for issue in report.errors} == {"elders.formula"}
    assert "疑似公式" in by_row[3].message and "formula" in by_row[3].message
    assert {row: issue.column for row, issue in by_row.items()} == {
        3: "姓名",
        4: "居住地址",
        5: "居住地址",
        6: "姓名",
        7: "居住地址",
        8: "居住地址",
        9: "居住地址",
    }
    assert not Elder.objects.exists()

    out = io.BytesIO()
    excel.import_report_xlsx(report, out)
    written = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(min_row=2))
    assert len(written) == len(report.errors) and all(cell.data_type != "f" for row in written for cell in row)


def test_import_accepts_ordinary_values_and_negative_numbers(city, officer):
    file = workbook(["张秀英", number(city, 2), city.community.code, "上城区清波街道某路1号", -120.17])
    report = excel.import_elders_xlsx(actor=officer, file=file)
    assert report.ok and report.created == 1
    elder = Elder.objects.get()
    assert (elder.name, elder.address, elder.longitude) == ("张秀英", "上城区清波街道某路1号", Decimal("-120.170000"))
