"""Formula injection (issue 13): the settlement workbook writes names and references as text, and
its amounts (negative ones included) as numbers."""

import datetime as dt
import io

from openpyxl import load_workbook

from eldercare.accounts.roles import Role
from eldercare.elders.models import Elder
from eldercare.entitlements.excel import RECORD_HEADERS, export_settlement_xlsx
from eldercare.entitlements.models import Account, IssuanceRun
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.entitlements.services.ledger import allowance_reverse, allowance_spend
from eldercare.entitlements.services.settlement import settlement_prepare

from .conftest import MONTH

AFTER = dt.date(2026, 12, 3)
HYPERLINK = '=HYPERLINK("http://x","click")'
DDE = "=cmd|' /C calc'!A0"


def test_settlement_export_writes_formula_like_text_as_text(city, hz, provider, personas):
    Elder.objects.filter(pk=hz["e85"].pk).update(name=HYPERLINK)
    provider.name = "@SUM(1)"
    provider.save()
    issuance_execute(run_id=IssuanceRun.objects.create(region=city.city, month=MONTH).pk, today=AFTER)
    operator = personas[Role.CENTER_OPERATOR]
    account = Account.objects.get(elder=hz["e85"], benefit="home_care_hours")
    spend = allowance_spend(
        actor=operator, account=account, amount=120, key="s1", on=dt.date(2026, 11, 20), provider=provider, value=80_00, reference=DDE
    )
    allowance_reverse(actor=operator, spend=spend, key="r1", reason="未上门 / not delivered")
    allowance_spend(
        actor=operator, account=account, amount=60, key="s2", on=dt.date(2026, 11, 21), provider=provider, value=40_00, reference="+1"
    )
    settlement = settlement_prepare(actor=personas[Role.CIVIL_CITY], region=city.city, month=MONTH, today=AFTER)

    out = io.BytesIO()
    export_settlement_xlsx(settlement, out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert all(cell.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows() for cell in row)

    summary = next(row for row in book["结算汇总"].iter_rows(min_row=4) if row[0].value == "'@SUM(1)")
    assert summary[7].data_type == "n" and summary[7].value == 40  # 120 min spent, reversed, 60 min spent: 40 yuan owed

    rows = [row for row in book["结算明细"].iter_rows(min_row=2) if row[0].value == "'@SUM(1)"]
    quantity, amount, reference = (RECORD_HEADERS.index(h) for h in ("数量 quantity", "金额（元） amount (yuan)", "业务单据 reference"))
    assert sorted(row[reference].value for row in rows) == ["'+1", "'" + DDE, "'" + DDE]  # the reversal keeps its spend's reference
    assert all(row[2].value == "'" + HYPERLINK and row[2].data_type == "s" for row in rows)
    reversal = next(row for row in rows if row[amount].value < 0)
    assert (reversal[quantity].data_type, reversal[quantity].value, reversal[amount].value) == ("n", -2, -80)
    assert reversal[3].value == hz["e85"].id_masked and reversal[4].value == hz["e85"].residence.name
