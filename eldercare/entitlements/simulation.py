"""What-if: change a policy's numbers and see a month's cost and the elders affected, per county,
without touching any account. The same facts and the same `grant` as the real issuance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.errors import Err
from eldercare.regions.models import Level, Region

from .engine import facts_day, grant, load_facts_for, resolve_exclusions
from .facts import Facts
from .policy import SCALE, Policy, policies_for

ERR_UNKNOWN_TIER = Err("entitlements.unknown_tier", "政策{policy}中没有待遇“{benefit}”的档次“{tier}” / policy {policy} has no tier {tier} in {benefit}")
ERR_AMOUNT = Err("entitlements.amount", "档次金额须为正数，且为0.01元或1分钟的整数倍 / an amount must be positive, in whole minutes or fen")
@dataclass(frozen=True)
class Change:
    policy: str
    benefit: str
    tier: str
    amount: Decimal  # in the benefit's unit as the policy states it (hours or yuan)


@dataclass
class Figures:
    elders: int = 0
    amount: int = 0  # stored unit

    def add(self, amount: int) -> None:
        self.elders += 1
        self.amount += amount


@dataclass
class CountyResult:
    code: str
    name: str
    baseline: dict[str, Figures] = field(default_factory=dict)  # benefit code → figures
    changed: dict[str, Figures] = field(default_factory=dict)
    affected: int = 0  # elders whose grant differs


def _apply(policies: list[Policy], changes: list[Change]) -> list[Policy]:
    by_policy: dict[str, dict[tuple[str, str], int]] = {}
    known = {p.id: p for p in policies}
    for change in changes:
        policy = known.get(change.policy)
        benefit = policy.benefits.get(change.benefit) if policy else None
        if policy is None or benefit is None or change.tier not in {t.id for t in benefit.tiers}:
            raise ValidationError({"changes": ERR_UNKNOWN_TIER.format(policy=change.policy, benefit=change.benefit, tier=change.tier)})
        scaled = Decimal(change.amount) * SCALE[benefit.unit]
        if scaled <= 0 or scaled != scaled.to_integral_value():
            raise ValidationError({"changes": ERR_AMOUNT})
        by_policy.setdefault(policy.id, {})[(change.benefit, change.tier)] = int(scaled)
    return [p.with_amounts(by_policy[p.id]) if p.id in by_policy else p for p in policies]


def _grants(policy: Policy, facts_by_day: dict[dt.date, dict[int, Facts]], elder_id: int, month: dt.date) -> dict[str, int]:
    granted = {}
    for benefit in policy.benefits_in_force(month):
        facts = facts_by_day[facts_day(benefit, month)].get(elder_id)
        given = grant(benefit, facts, month) if facts is not None else None
        if given is not None:
            granted[benefit.key] = given
    if len(granted) > 1 and policy.exclusions:
        for key in resolve_exclusions(policy, granted):
            del granted[key]
    return {key: g.amount for key, g in granted.items()}


def simulate(*, actor: User, region: Region, month: dt.date, changes: list[Change]) -> list[CountyResult]:
    """A month under today's rules and under the changed ones, county by county."""
    require(actor, Cap.MANAGE_ENTITLEMENTS)
    require_region(actor, region.code)
    counties = (
        [region] if region.level >= Level.COUNTY else list(Region.objects.subtree(region).filter(level=Level.COUNTY).order_by("code"))
    )
    results = []
    for county in counties:
        policies = policies_for(county.code, month)
        changed_policies = _apply(policies, changes)
        result = CountyResult(county.code, county.name)
        # Only the benefits in force in the month (each on its own dates): the others grant nothing.
        base, facts_by_day = load_facts_for((b for p in policies for b in p.benefits_in_force(month)), month, region_code=county.code)
        for elder_id, facts in base.items():
            differs = False
            for policy, changed in zip(policies, changed_policies, strict=True):
                if not policy.covers(facts.residence):
                    continue
                before = _grants(policy, facts_by_day, elder_id, month)
                after = _grants(changed, facts_by_day, elder_id, month) if changed is not policy else before
                for key, amount in before.items():
                    result.baseline.setdefault(f"{policy.id}/{key}", Figures()).add(amount)
                for key, amount in after.items():
                    result.changed.setdefault(f"{policy.id}/{key}", Figures()).add(amount)
                differs = differs or before != after
            result.affected += differs
        results.append(result)
    return results
