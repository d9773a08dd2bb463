"""A settlement as a workbook: the summary lines, then every record behind them (elders by masked
ID), so the finance office can check each line against its services. Names and references come
from users, so every row goes through `core.spreadsheet.safe_row`: no text becomes a formula."""

from __future__ import annotations

from decimal import Decimal
from typing import IO

from django.utils import timezone
from openpyxl import Workbook

from eldercare.core.spreadsheet import safe_row

from .models import Entry, EntryKind, Settlement, Unit
from .policy import get_policy
from .selectors import line_records, settlement_lines

SUMMARY_HEADERS = [
    "收款方 payee",
    "类型 kind",
    "统一社会信用代码 credit code",
    "政策 policy",
    "待遇 benefit",
    "数量 quantity",
    "单位 unit",
    "应付金额（元） amount (yuan)",
    "记录数 records",
    "服务人数 elders",
]
RECORD_HEADERS = [
    "收款方 payee",
    "待遇 benefit",
    "老年人 elder",
    "身份证号（脱敏） ID (masked)",
    "社区 community",
    "类型 kind",
    "数量 quantity",
    "金额（元） amount (yuan)",
    "业务单据 reference",
    "时间 at",
]


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None)  # Excel has no time zones: Asia/Shanghai wall time


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _quantity(amount: int, unit: str):
    return (Decimal(amount) / 60).quantize(Decimal("0.01")) if unit == Unit.MINUTES else _yuan(amount)


def _benefit_name(policy_id: str, key: str) -> str:
    try:
        return get_policy(policy_id).benefits[key].name
    except KeyError:
        return key


def export_settlement_xlsx(settlement: Settlement, out: IO[bytes]) -> int:
    """Write the workbook; returns the number of record rows. The caller has checked access
    (`selectors.settlement_get`)."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet("结算汇总")
    summary.append(
        safe_row(
            [f"{settlement.region.name} {settlement.month:%Y年%m月} 居家养老补贴结算 / settlement", "", "", "", "", "", "", "", "", ""]
        )
    )
    status = settlement.get_status_display()
    summary.append([f"状态 status: {status}", f"应付合计（元） total: {_yuan(settlement.total)}", "", "", "", "", "", "", "", ""])
    summary.append(SUMMARY_HEADERS)
    records = wb.create_sheet("结算明细")
    records.append(RECORD_HEADERS)
    units = dict(Unit.choices)
    kinds = dict(EntryKind.choices)
    count = 0
    for line in settlement_lines(settlement):
        payee = line.provider or line.facility
        benefit = _benefit_name(line.policy, line.benefit)
        summary.append(
            safe_row(
                [
                    str(payee),
                    "服务商 provider" if line.provider_id else "机构 facility",
                    line.provider.credit_code if line.provider else "",
                    line.policy,
                    benefit,
                    _quantity(line.quantity, line.unit),
                    "小时 hours" if line.unit == Unit.MINUTES else str(units[line.unit]),
                    _yuan(line.amount),
                    line.records,
                    line.elders,
                ]
            )
        )
        for record in line_records(line).iterator(chunk_size=2_000):
            if isinstance(record, Entry):  # a provider line's records are its entries, a facility line's its accounts
                assert record.value is not None  # a spend or reversal carries its value (entry_spend_has_provider)
                account = record.account
                row = [
                    str(kinds[record.kind]),
                    _quantity(-record.amount, account.unit),
                    _yuan(-record.value),
                    record.reference,
                    _local(record.at),
                ]
            else:
                account = record
                row = [
                    "入住补助 stay subsidy",
                    _quantity(account.issued, account.unit),
                    _yuan(account.issued),
                    "",
                    _local(account.created_at),
                ]
            records.append(safe_row([str(payee), benefit, account.elder.name, account.elder.id_masked, account.region.name, *row]))
            count += 1
    wb.save(out)
    return count
