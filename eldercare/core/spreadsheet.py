"""Spreadsheet cells that cannot turn into formulas (formula or CSV injection).

A name such as `=HYPERLINK("http://x","点击")` or an address `=cmd|' /C calc'!A0` written as it is
becomes a live formula in the workbook (openpyxl makes any string starting with `=` a formula
cell), and Excel or WPS runs it for whoever opens the export. Following OWASP's CSV-injection
guidance, text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
single quote in front, so it stays text; numbers and dates are left alone (a negative number is a
number, not a formula). Leading whitespace is looked through, since importers and spreadsheet
programs may trim it. Imports refuse such text rather than store it.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

FORMULA_STARTS = ("=", "+", "-", "@")
CONTROL_STARTS = ("\t", "\r")


def looks_like_formula(value: object) -> bool:
    """Whether a cell's value is, or would be taken for, a formula.

    openpyxl reads a formula cell as its formula text (`=…`) unless `data_only`, an array or
    data-table formula as an object; a text cell is read as the text typed in.
    """
    if isinstance(value, ArrayFormula | DataTableFormula):
        return True
    if not isinstance(value, str):
        return False
    return value.startswith(CONTROL_STARTS) or value.lstrip().startswith(FORMULA_STARTS)


def safe_cell[T](value: T) -> T | str:
    """The value to write into an exported cell: text that looks like a formula gets a leading `'`,
    and control characters a workbook cannot hold (openpyxl refuses them) are dropped."""
    if isinstance(value, str):
        value_text = ILLEGAL_CHARACTERS_RE.sub("", value)
        return "'" + value_text if looks_like_formula(value) else value_text
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """A row for `Worksheet.append` with every cell passed through `safe_cell`."""
    return [safe_cell(value) for value in values]
