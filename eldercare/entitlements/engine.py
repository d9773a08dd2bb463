"""Deciding what an elder is entitled to in a month, and explaining why.

`grant` is the fast path (a batch of a million elders); `decide` takes the same steps and keeps
every check with the elder's fact that mattered, for the explanation page and the API. A test
holds the two to the same answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from eldercare.core.months import month_last_day

from .facts import Facts, StayFact, load_facts
from .policy import Basis, Benefit, FactsOn, Policy, Tier, format_amount


@dataclass(frozen=True)
class Grant:
    benefit: Benefit
    tier: Tier
    amount: int  # stored unit
    days: int | None = None  # stay-based benefits: the days counted
    stay_ids: tuple[int, ...] = ()
    facility_id: int | None = None  # stay-based benefits: the facility of the stay with the most days

    @property
    def label(self) -> str:
        return format_amount(self.amount, self.benefit.unit)


@dataclass(frozen=True)
class Check:
    requirement: str
    fact: str
    ok: bool


@dataclass(frozen=True)
class TierResult:
    tier: Tier
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class Decision:
    benefit: Benefit
    month: dt.date
    grant: Grant | None
    reason: str  # one line: granted what by which tier, or why not
    tiers: list[TierResult] = field(default_factory=list)
    excluded_by: str | None = None  # the benefit key that won an exclusion


def bilingual(text: str) -> tuple[str, str]:
    """("zh", "en") of a "zh / en" text from a policy file (the same text twice when it has one language)."""
    zh, _, en = text.partition(" / ")
    return zh, en or zh


def facts_day(benefit: Benefit, month: dt.date) -> dt.date:
    return month if benefit.facts_on == FactsOn.MONTH_START else month_last_day(month)


def load_facts_for(
    benefits: Iterable[Benefit],
    month: dt.date,
    *,
    region_code: str | None = None,
    elder_ids: list[int] | None = None,
    every_day: bool = False,
) -> tuple[dict[int, Facts], dict[dt.date, dict[int, Facts]]]:
    """The facts `benefits` look at in `month`: (the elders on the register in the month with their
    facts on the first day needed, facts by day). A day that only stay-based benefits look at is
    loaded for the elders with a stay in the month (nobody else can get those), a day a monthly
    benefit looks at for everyone; `every_day` loads every day for everyone (to explain a refusal)."""
    everyone: dict[dt.date, bool] = {}
    for benefit in benefits:
        day = facts_day(benefit, month)
        everyone[day] = every_day or everyone.get(day, False) or benefit.basis == Basis.MONTHLY
    days = sorted(everyone, key=lambda d: (not everyone[d], d))
    if not days:
        return {}, {}
    base = load_facts(on=days[0], month=month, region_code=region_code, elder_ids=elder_ids)
    by_day = {days[0]: base}
    for day in days[1:]:
        if everyone[day]:
            by_day[day] = load_facts(on=day, month=month, region_code=region_code, elder_ids=elder_ids)
        else:
            with_stays = [e for e, f in base.items() if f.stays]
            by_day[day] = load_facts(on=day, month=month, elder_ids=with_stays) if with_stays else {}
    return base, by_day


def _counted_days(benefit: Benefit, stays: list[StayFact], facts: Facts, month: dt.date) -> int:
    """Days of the month covered by the stays (a day counts once, even if records overlap), from
    the benefit's first day in force in the month to its last: a stay that began before the benefit
    did counts from the benefit's first day."""
    first, last = benefit.days_in_force(month)
    if facts.left_on is not None:
        last = min(last, facts.left_on - dt.timedelta(days=1))
    covered: set[int] = set()
    for stay in stays:
        stop = min(last, stay.end or last)
        if benefit.stay and benefit.stay.max_days_per_stay:
            # Only the first N days of a stay count (托养服务30天以内).
            stop = min(stop, stay.start + dt.timedelta(days=benefit.stay.max_days_per_stay - 1))
        start = max(first, stay.start)
        covered.update(range(start.toordinal(), stop.toordinal() + 1))
    return len(covered)


def _amount(benefit: Benefit, tier: Tier, days: int | None, month: dt.date) -> int:
    if benefit.basis == Basis.MONTHLY:
        return tier.amount
    assert days is not None
    if benefit.basis == Basis.STAY_MONTH:
        in_month = month_last_day(month).day
        # 不满1个月按天折算: the monthly amount × days / days in the month, rounded half up to the unit.
        amount = (2 * tier.amount * days + in_month) // (2 * in_month)
    else:
        amount = tier.amount * days
    return min(amount, benefit.monthly_cap) if benefit.monthly_cap is not None else amount


def _stays(benefit: Benefit, facts: Facts) -> list[StayFact]:
    rule = benefit.stay
    return [s for s in facts.stays if rule.matches(s)] if rule else []


def grant(benefit: Benefit, facts: Facts, month: dt.date) -> Grant | None:
    """The amount `benefit` grants the elder for `month`, or None. `facts` must be taken on
    `facts_day(benefit, month)`. Nothing in a month the benefit is not in force on any day of
    (`Benefit.in_force`: its own dates, or the file's); a monthly benefit in force on some day of
    the month is granted for the whole month, as a policy is, a stay-based one for its days in force."""
    if not benefit.in_force(month):
        return None
    if benefit.basis == Basis.MONTHLY:
        if not facts.registered_on(facts.on):
            return None
        stays, days = [], None
    else:
        if not facts.registered_on(month):
            return None
        stays = _stays(benefit, facts)
        if not stays:
            return None
        days = _counted_days(benefit, stays, facts, month)
        if days == 0:
            return None
    for tier in benefit.tiers:
        if tier.matches(facts):
            amount = _amount(benefit, tier, days, month)
            if amount <= 0:
                return None
            if not stays:
                return Grant(benefit, tier, amount)
            first, last = benefit.days_in_force(month)
            counted = [s for s in stays if s.days_in(first, last) > 0]
            payee = max(counted, key=lambda s: s.days_in(first, last)).facility_id
            return Grant(benefit, tier, amount, days, tuple(s.id for s in counted), payee)
    return None


def _dates(benefit: Benefit) -> tuple[str, str]:
    """The benefit's dates in force, ("zh", "en")."""
    if benefit.valid_to is None:
        return f"自{benefit.valid_from}起", f"from {benefit.valid_from}"
    return f"{benefit.valid_from}至{benefit.valid_to}", f"{benefit.valid_from} to {benefit.valid_to}"


def _not_in_force(benefit: Benefit, month: dt.date) -> str:
    """Why a benefit grants nothing in a month it is not in force on any day of, with the clause
    that gives the date when the benefit has a date of its own (otherwise it is the file's)."""
    when_zh, when_en = f"{month.year}年{month.month}月", f"{month:%Y-%m}"
    if benefit.valid_from > month_last_day(month):
        cited = f"（{benefit.valid_from_citation}）" if benefit.valid_from_citation else ""
        return f"本待遇自{benefit.valid_from}起执行，{when_zh}尚未施行{cited} / in force from {benefit.valid_from}: not yet in {when_en}"
    cited = f"（{benefit.valid_to_citation}）" if benefit.valid_to_citation else ""
    return f"本待遇执行至{benefit.valid_to}，{when_zh}已停止{cited} / in force until {benefit.valid_to}: no longer in {when_en}"


def decide(benefit: Benefit, facts: Facts, month: dt.date) -> Decision:
    """`grant`, explained: every tier tried, every condition with the elder's fact. In a month the
    benefit is not in force the tiers are still tried (what the elder would get), the reason says
    from or until when it is."""
    given = grant(benefit, facts, month)
    tiers = [TierResult(t, tuple(Check(c.requirement, c.fact(facts), c.test(facts)) for c in t.conditions)) for t in benefit.tiers]
    if given is not None:
        days = f"，{given.days}天 / {given.days} days" if given.days is not None else ""
        zh, en = bilingual(given.tier.name)
        reason = f"符合“{zh}”：{given.label}{days} / {en}: {given.label}"
        return Decision(benefit, month, given, reason, tiers)
    if not benefit.in_force(month):
        reason = _not_in_force(benefit, month)
    elif benefit.basis == Basis.MONTHLY and not facts.registered_on(facts.on):
        reason = f"{facts.on}时已不在册 / not on the register on {facts.on}"
    elif benefit.basis != Basis.MONTHLY and not _stays(benefit, facts):
        reason = "本月无符合条件的入住或托养记录 / no qualifying stay this month"
    elif not any(t.ok for t in tiers):
        reason = "不符合任何一档条件 / meets the conditions of no tier"
    elif benefit.days_in_force(month) != (month, month_last_day(month)):
        zh, en = _dates(benefit)
        reason = f"符合条件但本月计入天数为零（本待遇{zh}执行） / eligible, but no days count this month (the benefit runs {en})"
    else:
        reason = "符合条件但本月计入天数为零 / eligible, but no days count this month"
    return Decision(benefit, month, None, reason, tiers)


def resolve_exclusions(policy: Policy, granted: Mapping[str, object], issued: frozenset[str] = frozenset()) -> dict[str, str]:
    """Benefit key → the key that excludes it, among `granted` (keys with a grant) and `issued`
    (keys already issued to the elder for the month, which hold their place whatever the facts now say)."""
    excluded: dict[str, str] = {}
    for rule in policy.exclusions:
        holders = [k for k in rule.benefits if k in issued] or [k for k in rule.benefits if k in granted]
        if holders:
            winner = holders[0]
            for key in rule.benefits:
                if key != winner and key in granted and key not in issued:
                    excluded[key] = winner
    return excluded


def decide_policy(
    policy: Policy, facts_by_day: dict[dt.date, Facts], month: dt.date, issued: frozenset[str] = frozenset()
) -> list[Decision]:
    """Every benefit of `policy` for one elder in `month`, exclusions applied. `facts_by_day` holds
    the elder's facts on each day the policy's benefits look at."""
    decisions = [decide(b, facts_by_day[facts_day(b, month)], month) for b in policy.benefits.values()]
    excluded = resolve_exclusions(policy, {d.benefit.key: d.grant for d in decisions if d.grant}, issued)
    for decision in decisions:
        winner = excluded.get(decision.benefit.key)
        if winner:
            other = bilingual(policy.benefits[winner].name)[0]
            rule = next(r for r in policy.exclusions if winner in r.benefits and decision.benefit.key in r.benefits)
            decision.excluded_by = winner
            decision.reason = f"与“{other}”不同时享受（{rule.citation}） / not combined with {winner}"
            decision.grant = None
    return decisions
