"""The entitlements API: policies, what an elder gets and why, accounts and their ledger, issuance
runs, what-if simulation and month-end settlement. Handlers parse, call one service or selector
and shape the answer; amounts are integers in the stored unit (minutes or fen) with a label."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from eldercare.accounts.selectors import region_get
from eldercare.core.api import FIRST_DAY, LAST_DAY, XLSX, XLSX_DOWNLOAD, Day, RegionCode, refusals
from eldercare.core.errors import Err
from eldercare.core.pagination import Page, Paging, paged
from eldercare.providers.models import Provider, ProviderStatus

from . import selectors
from .excel import export_settlement_xlsx
from .models import Unit
from .policy import Unit as PolicyUnit
from .policy import format_amount, load_policies
from .services import issuance, ledger, settlement
from .simulation import Change, simulate

router = Router(tags=["entitlements"])
ERR_MONTH_FORMAT = Err("entitlements.month_format", "月份格式应为YYYY-MM / the month is written YYYY-MM")
ERR_MONTH_RANGE = Err("entitlements.month_range", "月份须在{first}至{last}之间 / a month from {first} to {last}")
# Minutes or fen in one move: a million yuan (or 16,000 hours) is past any allowance, and far inside the columns.
MAX_AMOUNT = 100_000_000
Amount = Annotated[int, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]
Key = Annotated[str, Field(min_length=1, max_length=150, description="幂等键 / idempotency key")]


def _month(text: str) -> dt.date:
    try:
        month = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValidationError({"month": ERR_MONTH_FORMAT}) from None
    if not FIRST_DAY <= month <= LAST_DAY:
        raise ValidationError({"month": ERR_MONTH_RANGE.format(first=f"{FIRST_DAY:%Y-%m}", last=f"{LAST_DAY:%Y-%m}")})
    return month


def _label(amount: int, unit: str) -> str:
    return format_amount(amount, PolicyUnit.HOUR if unit == Unit.MINUTES else PolicyUnit.YUAN)


# ---------------------------------------------------------------- policies


class TierOut(Schema):
    id: str
    amount: int
    amount_label: str
    conditions: list[str]
    citation: str


class BenefitOut(Schema):
    key: str
    name: str
    unit: str
    basis: str
    facts_on: str
    payee: str
    tiers: list[TierOut]
    expiry_months_after: int | None
    monthly_cap: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    valid_from_citation: str
    valid_to_citation: str


class PolicyOut(Schema):
    id: str
    region: str
    title: str
    document: str
    valid_from: dt.date
    valid_to: dt.date | None
    benefits: list[BenefitOut]
    exclusions: list[list[str]]


@router.get("/policies", response=Page[PolicyOut], summary="补贴政策（数据文件）/ entitlement policies")
def list_policies(request, paging: Query[Paging]):
    return paged(load_policies(), paging, _policy)


def _policy(p) -> dict:
    return {
        "id": p.id,
        "region": p.region,
        "title": p.title,
        "document": p.document,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "exclusions": [list(e.benefits) for e in p.exclusions],
        "benefits": [
            {
                "key": b.key,
                "name": b.name,
                "unit": b.unit.value,
                "basis": b.basis.value,
                "facts_on": b.facts_on.value,
                "payee": b.payee.value,
                "expiry_months_after": b.expiry.months_after if b.expiry else None,
                "monthly_cap": b.monthly_cap,
                **{k: getattr(b, k) for k in ("valid_from", "valid_to", "valid_from_citation", "valid_to_citation")},
                "tiers": [
                    {
                        "id": t.id,
                        "amount": t.amount,
                        "amount_label": format_amount(t.amount, b.unit),
                        "conditions": [c.requirement for c in t.conditions],
                        "citation": t.citation,
                    }
                    for t in b.tiers
                ],
            }
            for b in p.benefits.values()
        ],
    }


# ---------------------------------------------------------------- an elder


class CheckOut(Schema):
    requirement: str
    fact: str
    ok: bool


class TierResultOut(Schema):
    tier: str
    ok: bool
    checks: list[CheckOut]


class DecisionOut(Schema):
    policy: str
    benefit: str
    benefit_name: str
    granted: bool
    tier: str | None
    amount: int | None
    amount_label: str | None
    days: int | None
    reason: str
    excluded_by: str | None
    citation: str | None
    tiers: list[TierResultOut]


class DecisionsOut(Schema):
    elder_id: int
    month: str
    decisions: list[DecisionOut]


@router.get(
    "/elders/{elder_id}/decisions",
    response={200: DecisionsOut, **refusals(403, 404)},
    summary="某月应享待遇及依据 / what an elder gets in a month, and why",
)
def elder_decisions(request, elder_id: int, month: str):
    on = _month(month)
    elder, found = selectors.elder_decisions(actor=request.auth, elder_id=elder_id, month=on)
    decisions = []
    for group in found:
        for d in group.decisions:
            g = d.grant
            decisions.append(
                {
                    "policy": group.policy.id,
                    "benefit": d.benefit.key,
                    "benefit_name": d.benefit.name,
                    "granted": g is not None,
                    "tier": g.tier.id if g else None,
                    "amount": g.amount if g else None,
                    "amount_label": g.label if g else None,
                    "days": g.days if g else None,
                    "reason": d.reason,
                    "excluded_by": d.excluded_by,
                    "citation": g.tier.citation if g else None,
                    "tiers": [
                        {
                            "tier": t.tier.id,
                            "ok": t.ok,
                            "checks": [{"requirement": c.requirement, "fact": c.fact, "ok": c.ok} for c in t.checks],
                        }
                        for t in d.tiers
                    ],
                }
            )
    return {"elder_id": elder.pk, "month": month, "decisions": decisions}


class AccountOut(Schema):
    id: int
    elder_id: int
    policy: str
    benefit: str
    month: dt.date
    unit: str
    tier: str
    region: str
    issued: int
    balance: int
    balance_label: str
    expires_on: dt.date | None
    facility_id: int | None


def _account(a) -> dict:
    return {
        "id": a.pk,
        "elder_id": a.elder_id,
        "policy": a.policy,
        "benefit": a.benefit,
        "month": a.month,
        "unit": a.unit,
        "tier": a.tier,
        "region": a.region_id,
        "issued": a.issued,
        "balance": a.balance,
        "balance_label": _label(a.balance, a.unit),
        "expires_on": a.expires_on,
        "facility_id": a.facility_id,
    }


@router.get(
    "/elders/{elder_id}/accounts",
    response={200: Page[AccountOut], **refusals(403, 404)},
    summary="津贴账户 / an elder's allowance accounts",
)
def elder_accounts(request, elder_id: int, paging: Query[Paging], month: str | None = None):
    _, accounts = selectors.elder_accounts(actor=request.auth, elder_id=elder_id, month=_month(month) if month else None)
    return paged(accounts, paging, _account)


class EntryOut(Schema):
    id: int
    kind: str
    amount: int
    balance_after: int
    key: str
    reference: str
    note: str
    provider_id: int | None
    value: int | None
    reverses_id: int | None
    at: dt.datetime


class AccountDetailOut(AccountOut):
    entries: list[EntryOut]


def _entry(e) -> dict:
    fields = ("kind", "amount", "balance_after", "key", "reference", "note", "provider_id", "value", "reverses_id", "at")
    return {"id": e.pk, **{f: getattr(e, f) for f in fields}}


@router.get(
    "/accounts/{account_id}", response={200: AccountDetailOut, **refusals(403, 404)}, summary="账户与流水 / an account and its ledger"
)
def account_detail(request, account_id: int):
    account, entries = selectors.account_entries(actor=request.auth, pk=account_id)
    return {**_account(account), "entries": [_entry(e) for e in entries]}


class SpendIn(Schema):
    amount: int = Field(ge=1, le=MAX_AMOUNT)
    key: Key
    on: Day
    provider: int
    value: int | None = Field(None, ge=0, le=MAX_AMOUNT)
    reference: str = Field("", max_length=100)


@router.post("/accounts/{account_id}/spend", response={201: EntryOut, **refusals(403, 404)}, summary="使用津贴 / draw on an allowance")
def account_spend(request, account_id: int, data: SpendIn):
    account = selectors.account_get(actor=request.auth, pk=account_id)
    provider = get_object_or_404(Provider, pk=data.provider, status=ProviderStatus.ACTIVE)
    entry = ledger.allowance_spend(
        actor=request.auth,
        account=account,
        amount=data.amount,
        key=data.key,
        on=data.on,
        provider=provider,
        value=data.value,
        reference=data.reference,
    )
    return Status(201, _entry(entry))


class ReverseIn(Schema):
    key: Key
    reason: str = Field(max_length=200)


@router.post("/entries/{entry_id}/reverse", response={201: EntryOut, **refusals(403, 404)}, summary="冲正一笔使用 / reverse a spend")
def entry_reverse(request, entry_id: int, data: ReverseIn):
    spend = selectors.entry_get(actor=request.auth, pk=entry_id)
    return Status(201, _entry(ledger.allowance_reverse(actor=request.auth, spend=spend, key=data.key, reason=data.reason)))


class AdjustIn(Schema):
    amount: Amount
    key: Key
    reason: str = Field(max_length=200)


@router.post(
    "/accounts/{account_id}/adjust", response={201: EntryOut, **refusals(403, 404)}, summary="调整核定额度 / adjust what was issued"
)
def account_adjust(request, account_id: int, data: AdjustIn):
    account = selectors.account_get(actor=request.auth, pk=account_id)
    entry = ledger.allowance_adjust(actor=request.auth, account=account, amount=data.amount, key=data.key, reason=data.reason)
    return Status(201, _entry(entry))


# ---------------------------------------------------------------- issuance


class RunIn(Schema):
    region: RegionCode
    month: str


class RunOut(Schema):
    id: int
    region: str
    month: dt.date
    status: str
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    elders_considered: int
    accounts_opened: int
    summary: dict
    error: str


def _run(r) -> dict:
    fields = ("month", "status", "requested_at", "started_at", "finished_at", "elders_considered", "accounts_opened", "summary", "error")
    return {"id": r.pk, "region": r.region_id, **{f: getattr(r, f) for f in fields}}


@router.post("/runs", response={202: RunOut, **refusals(403, 404)}, summary="发放某月津贴（后台任务）/ issue a month (background task)")
def run_request(request, data: RunIn):
    region = region_get(actor=request.auth, code=data.region)
    run = issuance.issuance_request(actor=request.auth, region=region, month=_month(data.month))
    run.refresh_from_db()
    return Status(202, _run(run))


@router.get("/runs", response={200: Page[RunOut], **refusals(403)}, summary="发放批次 / issuance runs")
def run_list(request, paging: Query[Paging]):
    return paged(selectors.runs(actor=request.auth), paging, _run)


@router.get("/runs/{run_id}", response={200: RunOut, **refusals(403, 404)}, summary="发放批次 / an issuance run")
def run_detail(request, run_id: int):
    return _run(selectors.run_get(actor=request.auth, pk=run_id))


# ---------------------------------------------------------------- what-if


class ChangeIn(Schema):
    policy: str
    benefit: str
    tier: str
    amount: Decimal = Field(ge=0, le=1_000_000)  # hours or yuan, as the policy states them


class SimulateIn(Schema):
    region: RegionCode
    month: str
    changes: list[ChangeIn]


class FiguresOut(Schema):
    benefit: str
    baseline_elders: int
    baseline_amount: int
    changed_elders: int
    changed_amount: int


class CountyOut(Schema):
    code: str
    name: str
    affected: int
    benefits: list[FiguresOut]


@router.post(
    "/simulate", response={200: list[CountyOut], **refusals(403, 404)}, summary="政策测算（不改动账户）/ what-if, no account touched"
)
def run_simulation(request, data: SimulateIn):
    region = region_get(actor=request.auth, code=data.region)
    changes = [Change(c.policy, c.benefit, c.tier, c.amount) for c in data.changes]
    results = simulate(actor=request.auth, region=region, month=_month(data.month), changes=changes)
    out = []
    for r in results:
        codes = sorted(set(r.baseline) | set(r.changed))
        benefits = []
        for code in codes:
            before, after = r.baseline.get(code), r.changed.get(code)
            benefits.append(
                {
                    "benefit": code,
                    "baseline_elders": before.elders if before else 0,
                    "baseline_amount": before.amount if before else 0,
                    "changed_elders": after.elders if after else 0,
                    "changed_amount": after.amount if after else 0,
                }
            )
        out.append({"code": r.code, "name": r.name, "affected": r.affected, "benefits": benefits})
    return out


# ---------------------------------------------------------------- settlement


class SettlementIn(Schema):
    region: RegionCode
    month: str


class LineOut(Schema):
    id: int
    payee: str
    provider_id: int | None
    facility_id: int | None
    policy: str
    benefit: str
    unit: str
    quantity: int
    amount: int
    records: int
    elders: int


class SettlementOut(Schema):
    id: int
    region: str
    month: dt.date
    status: str
    total: int
    prepared_at: dt.datetime
    locked_at: dt.datetime | None
    lines: list[LineOut]


def _settlement(s) -> dict:
    lines = [
        {
            "id": line.pk,
            "payee": str(line.provider or line.facility),
            **{
                f: getattr(line, f)
                for f in ("provider_id", "facility_id", "policy", "benefit", "unit", "quantity", "amount", "records", "elders")
            },
        }
        for line in selectors.settlement_lines(s)
    ]
    return {
        "id": s.pk,
        "region": s.region_id,
        **{f: getattr(s, f) for f in ("month", "status", "total", "prepared_at", "locked_at")},
        "lines": lines,
    }


@router.post("/settlements", response={201: SettlementOut, **refusals(403, 404)}, summary="编制月度结算 / prepare a month's settlement")
def settlement_prepare(request, data: SettlementIn):
    region = region_get(actor=request.auth, code=data.region)
    return Status(201, _settlement(settlement.settlement_prepare(actor=request.auth, region=region, month=_month(data.month))))


@router.get("/settlements/{settlement_id}", response={200: SettlementOut, **refusals(403, 404)}, summary="月度结算 / a settlement")
def settlement_detail(request, settlement_id: int):
    return _settlement(selectors.settlement_get(actor=request.auth, pk=settlement_id))


@router.post(
    "/settlements/{settlement_id}/lock", response={200: SettlementOut, **refusals(403, 404)}, summary="锁定结算 / lock a settlement"
)
def settlement_lock(request, settlement_id: int):
    found = selectors.settlement_get(actor=request.auth, pk=settlement_id)
    return _settlement(settlement.settlement_lock(actor=request.auth, settlement=found))


@router.get(
    "/settlements/{settlement_id}/export",
    response={200: None, **refusals(403, 404)},
    openapi_extra=XLSX_DOWNLOAD,
    summary="结算导出Excel / settlement as Excel",
)
def settlement_export(request, settlement_id: int):
    found = selectors.settlement_get(actor=request.auth, pk=settlement_id)
    buffer = io.BytesIO()
    export_settlement_xlsx(found, buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="settlement-{found.region_id}-{found.month:%Y-%m}.xlsx"'
    return response
