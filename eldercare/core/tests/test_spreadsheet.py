import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from eldercare.core.spreadsheet import looks_like_formula, safe_cell, safe_row

FORMULA_LIKE = [
    '=HYPERLINK("http://x","click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1",
    "-1+cmd|' /C calc'!A0",
    "\t=1",
    "\r=1",
    "  =1+1",  # spreadsheet programs and importers may trim the spaces
    "\u3000=1+1",  # an ideographic space, as a Chinese IME types it
    "=",
]
ORDINARY = ["张秀英", "上城区清波街道某路1号", "330102195403071223", "13800001234", "a=b", "低保,计生特殊家庭", "", "'=already quoted"]
NOT_TEXT = [-5, -1.5, Decimal("-3.20"), 0, dt.date(1942, 3, 4), dt.datetime(2026, 11, 20, 9, 30), None, True]


@pytest.mark.parametrize("value", FORMULA_LIKE)
def test_formula_like_text_is_quoted(value):
    assert looks_like_formula(value)
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ORDINARY + NOT_TEXT)
def test_ordinary_text_numbers_and_dates_pass_unchanged(value):
    assert not looks_like_formula(value)
    assert safe_cell(value) is value


def test_an_array_formula_read_from_a_workbook_is_a_formula():
    assert looks_like_formula(ArrayFormula(ref="A1:A2", text="=SUM(B1:B2)"))


def test_safe_row_keeps_order_and_types():
    assert safe_row(["=1", -5, "张三", None]) == ["'=1", -5, "张三", None]


def _round_trip(*rows, write_only: bool):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("s") if write_only else wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return load_workbook(io.BytesIO(out.getvalue())).worksheets[0]


@pytest.mark.parametrize("write_only", [True, False])
def test_openpyxl_writes_the_safe_row_as_text_and_numbers(write_only):
    # Unprotected, openpyxl makes the string a live formula: the hazard this module exists for.
    assert _round_trip(["=1+1"], write_only=write_only)["A1"].data_type == "f"

    sheet = _round_trip(safe_row([*FORMULA_LIKE, -5, Decimal("-3.20"), dt.date(1942, 3, 4)]), write_only=write_only)
    cells = list(sheet.iter_rows())[0]
    for cell, value in zip(cells, FORMULA_LIKE, strict=False):
        assert cell.data_type == "s", value
        # XML turns a carriage return into a line feed; the quote in front is what matters.
        assert cell.value == "'" + value.replace("\r", "\n")
    numbers = cells[len(FORMULA_LIKE) :]
    assert [c.data_type for c in numbers] == ["n", "n", "d"]
    assert numbers[0].value == -5 and numbers[1].value == pytest.approx(-3.2)
    assert numbers[2].value == dt.datetime(1942, 3, 4)


def test_control_characters_are_dropped_not_fatal(tmp_path):
    from openpyxl import Workbook, load_workbook

    from eldercare.core.spreadsheet import safe_row

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(safe_row(["王\x01秀\x1f英", "=\x02cmd"]))
    book.save(tmp_path / "x.xlsx")
    values = [cell.value for cell in next(load_workbook(tmp_path / "x.xlsx").active.iter_rows())]
    assert values == ["王秀英", "'=cmd"]
