"""Reads of entitlements, scoped to the acting user.

An elder's accounts and decisions are visible to whoever may see the elder (officers of the
region, the elder, their family) and holds VIEW_ENTITLEMENTS; the facts behind a decision that
are health data (disability, care category) are hidden from roles without VIEW_HEALTH.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_NO_CAPABILITY, has_cap, in_region, require, scope_for
from eldercare.elders import errors as elder_errors
from eldercare.elders.models import Elder
from eldercare.elders.selectors import scoped_elders
from eldercare.regions.models import subtree_bounds

from . import errors
from .engine import Check, Decision, TierResult, decide_policy, load_facts_for
from .models import Account, Entry, IssuanceRun, Settlement, SettlementLine
from .policy import Policy, policies_for

HEALTH_CONDITIONS = {"disability_degree", "care_category"}
HIDDEN = "（健康信息，无权查看） / (health data: not shown)"


def _elder(actor: User, elder_id: int) -> Elder:
    require(actor, Cap.VIEW_ENTITLEMENTS)
    elder = scoped_elders(actor).filter(pk=elder_id).select_related("residence").first()
    if elder is None:
        raise Http404(elder_errors.ERR_NOT_FOUND)
    return elder


def elder_accounts(*, actor: User, elder_id: int, month: dt.date | None = None) -> tuple[Elder, QuerySet[Account]]:
    elder = _elder(actor, elder_id)
    accounts = Account.objects.filter(elder=elder).order_by("-month", "policy", "benefit")
    return elder, accounts.filter(month=month) if month else accounts


def _masked(decision: Decision) -> Decision:
    tiers = []
    for result in decision.tiers:
        checks = tuple(
            Check(c.requirement, HIDDEN, c.ok) if key in HEALTH_CONDITIONS else c
            for c, key in zip(result.checks, (cond.key for cond in result.tier.conditions), strict=True)
        )
        tiers.append(TierResult(result.tier, checks))
    decision.tiers = tiers
    return decision


@dataclass
class PolicyDecisions:
    policy: Policy
    decisions: list[Decision]


def elder_decisions(*, actor: User, elder_id: int, month: dt.date) -> tuple[Elder, list[PolicyDecisions]]:
    """Every benefit of every policy in force for the elder in `month` (`policies_for`: the file and
    at least one of its benefits in force): granted or not, and why. A benefit of such a policy that
    is not in force that month on its own dates is listed too, its reason saying from or until when
    it is (`engine.decide`), so the page shows why a benefit of the month's policy is missing."""
    elder = _elder(actor, elder_id)
    found = []
    issued = set(Account.objects.filter(elder=elder, month=month).values_list("policy", "benefit"))
    for policy in policies_for(elder.residence_id, month):
        if not policy.covers(elder.residence_id):
            continue
        base, by_day = load_facts_for(policy.benefits.values(), month, elder_ids=[elder.pk], every_day=True)
        if elder.pk not in base:
            continue  # not on the register in that month
        facts = {day: found[elder.pk] for day, found in by_day.items()}
        decisions = decide_policy(policy, facts, month, frozenset(b for p, b in issued if p == policy.id))
        if not has_cap(actor, Cap.VIEW_HEALTH):
            decisions = [_masked(d) for d in decisions]
        found.append(PolicyDecisions(policy, decisions))
    return elder, found


def account_get(*, actor: User, pk: int) -> Account:
    """An account the actor may see (its elder in scope) or spend from (its community in region)."""
    may_view, may_spend = has_cap(actor, Cap.VIEW_ENTITLEMENTS), has_cap(actor, Cap.SPEND_ALLOWANCE)
    if not (may_view or may_spend):
        raise PermissionDenied(ERR_NO_CAPABILITY)
    account = Account.objects.select_related("elder", "region").filter(pk=pk).first()
    if account is not None:
        if may_view and has_cap(actor, Cap.VIEW_ELDERS) and scoped_elders(actor).filter(pk=account.elder_id).exists():
            return account
        if may_spend and in_region(actor, account.region_id):
            return account
    raise Http404(errors.ERR_NOT_FOUND)


def account_entries(*, actor: User, pk: int) -> tuple[Account, QuerySet[Entry]]:
    account = account_get(actor=actor, pk=pk)
    return account, account.entries.select_related("provider").order_by("pk")


def entry_get(*, actor: User, pk: int) -> Entry:
    entry = Entry.objects.select_related("account").filter(pk=pk).first()
    if entry is None:
        raise Http404(errors.ERR_NOT_FOUND)
    account_get(actor=actor, pk=entry.account_id)
    return entry


def _regional[M: Model](actor: User, qs: QuerySet[M], field: str) -> QuerySet[M]:
    require(actor, Cap.MANAGE_ENTITLEMENTS)
    return qs.filter(scope_for(actor).q(region_field=field))


def runs(*, actor: User) -> QuerySet[IssuanceRun]:
    return _regional(actor, IssuanceRun.objects.select_related("region", "requested_by"), "region_id")


def run_get(*, actor: User, pk: int) -> IssuanceRun:
    run = runs(actor=actor).filter(pk=pk).first()
    if run is None:
        raise Http404(errors.ERR_NOT_FOUND)
    return run


def settlements(*, actor: User) -> QuerySet[Settlement]:
    return _regional(actor, Settlement.objects.select_related("region", "prepared_by", "locked_by"), "region_id")


def settlement_get(*, actor: User, pk: int) -> Settlement:
    settlement = settlements(actor=actor).filter(pk=pk).first()
    if settlement is None:
        raise Http404(errors.ERR_NOT_FOUND)
    return settlement


def settlement_lines(settlement: Settlement) -> QuerySet[SettlementLine]:
    return settlement.lines.select_related("provider", "facility").order_by("policy", "benefit", "provider__name", "facility__name")


def line_records(line: SettlementLine) -> QuerySet[Entry] | QuerySet[Account]:
    """The ledger behind a line: the spends (and reversals) of a provider line, the accounts of a
    facility line; elders shown by masked ID."""
    settlement = line.settlement
    lo, hi = subtree_bounds(settlement.region.code, settlement.region.level)
    month = {"account__month": settlement.month, "account__region_id__gte": lo, "account__region_id__lte": hi}
    if line.provider_id:
        return (
            Entry.objects.filter(provider_id=line.provider_id, account__policy=line.policy, account__benefit=line.benefit, **month)
            .select_related("account__elder", "account__region")
            .order_by("at", "pk")
        )
    return (
        Account.objects.filter(
            facility_id=line.facility_id,
            policy=line.policy,
            benefit=line.benefit,
            month=settlement.month,
            region_id__gte=lo,
            region_id__lte=hi,
        )
        .select_related("elder", "region")
        .order_by("region_id", "elder_id")
    )
