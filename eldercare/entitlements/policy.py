"""Entitlement policies as data: the YAML files in `policies/`, parsed and checked on load.

A file is one policy document of one region (format: the header of
`policies/330100000000-hangzhou-2020-47.yaml`). Parsing turns each tier's conditions into
predicates over an elder's `Facts`, each with the text that explains it, so the same objects
decide for a million elders in a batch and explain one decision on a page.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, overload

from eldercare.assessments.choices import CareCategory, DisabilityDegree
from eldercare.core.datafiles import DataFileError, Node, load_yaml
from eldercare.core.months import month_last_day
from eldercare.elders.models import LivingStatus, PriorityGroup
from eldercare.facilities.models import STAY_FACILITIES, FacilityKind, Ownership, StayKind
from eldercare.regions.models import prefix_of_code

from .facts import Facts, StayFact

POLICIES_DIR = Path(__file__).parent / "policies"


class Unit(enum.StrEnum):
    HOUR = "hour"
    YUAN = "yuan"


# Amounts are stored as integers: hours in minutes, yuan in fen.
SCALE = {Unit.HOUR: 60, Unit.YUAN: 100}
UNIT_LABEL = {Unit.HOUR: ("小时", "hours"), Unit.YUAN: ("元", "yuan")}


class Basis(enum.StrEnum):
    MONTHLY = "monthly"  # a fixed amount for the month
    STAY_MONTH = "stay_month"  # a monthly amount while staying somewhere, pro rata by day for part months
    STAY_DAY = "stay_day"  # an amount per day of a stay, capped per month


class FactsOn(enum.StrEnum):
    MONTH_START = "month_start"
    MONTH_END = "month_end"


class Payee(enum.StrEnum):
    PROVIDER = "provider"  # the service provider whose services spent it
    INSTITUTION = "institution"  # the facility of the stay


def format_amount(amount: int, unit: Unit) -> str:
    value = Decimal(amount) / SCALE[unit]
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    zh, en = UNIT_LABEL[unit]
    return f"{text}{zh}" if unit == Unit.YUAN else f"{text} {zh}"


def _overlaps(valid_from: dt.date, valid_to: dt.date | None, month: dt.date) -> bool:
    """Whether [valid_from, valid_to] has a day in `month` (its first day)."""
    return valid_from <= month_last_day(month) and (valid_to is None or valid_to >= month)


@dataclass(frozen=True)
class Condition:
    key: str
    requirement: str  # what the rule asks, in words
    test: Callable[[Facts], bool]
    fact: Callable[[Facts], str]  # the elder's fact that the test looked at


@dataclass(frozen=True)
class Tier:
    id: str
    name: str  # "zh / en"
    conditions: tuple[Condition, ...]
    amount: int  # in the benefit's stored unit (minutes or fen)
    citation: str

    def matches(self, facts: Facts) -> bool:
        return all(condition.test(facts) for condition in self.conditions)


@dataclass(frozen=True)
class StayRule:
    kind: str
    facility_kinds: frozenset[str]
    ownership: frozenset[str] | None
    facility_in: tuple[str, ...] | None  # region prefixes
    max_days_per_stay: int | None
    citation: str

    def matches(self, stay: StayFact) -> bool:
        return (
            stay.kind == self.kind
            and stay.facility_kind in self.facility_kinds
            and (self.ownership is None or stay.ownership in self.ownership)
            and (self.facility_in is None or stay.facility_region.startswith(self.facility_in))
        )


@dataclass(frozen=True)
class Expiry:
    months_after: int  # 0: at the end of the month issued for
    citation: str


@dataclass(frozen=True)
class Benefit:
    policy_id: str
    key: str
    name: str
    unit: Unit
    basis: Basis
    facts_on: FactsOn
    payee: Payee
    tiers: tuple[Tier, ...]
    # The benefit's own dates, inside the file's; the file's dates when the benefit gives none (then
    # the citation is empty: the file's comments cite its dates).
    valid_from: dt.date
    valid_to: dt.date | None
    stay: StayRule | None = None
    expiry: Expiry | None = None
    monthly_cap: int | None = None
    monthly_cap_citation: str = ""
    valid_from_citation: str = ""
    valid_to_citation: str = ""

    @property
    def code(self) -> str:
        return f"{self.policy_id}/{self.key}"

    def in_force(self, month: dt.date) -> bool:
        """Whether the benefit is in force on any day of `month` (its first day): the same month rule
        as `Policy.in_force`, on the benefit's own dates."""
        return _overlaps(self.valid_from, self.valid_to, month)

    def days_in_force(self, month: dt.date) -> tuple[dt.date, dt.date]:
        """The first and last day of `month` on which the benefit is in force (the days a stay can
        count); call it for a month the benefit is in force in."""
        last = month_last_day(month)
        return max(month, self.valid_from), last if self.valid_to is None else min(last, self.valid_to)

    def tier(self, tier_id: str) -> Tier:
        return next(t for t in self.tiers if t.id == tier_id)


@dataclass(frozen=True)
class Exclusion:
    benefits: tuple[str, ...]  # keys, the first listed wins
    citation: str


@dataclass(frozen=True)
class Policy:
    id: str
    region: str
    title: str
    document: str
    valid_from: dt.date
    valid_to: dt.date | None
    benefits: dict[str, Benefit] = field(hash=False)
    exclusions: tuple[Exclusion, ...]
    file: str

    @property
    def prefix(self) -> str:
        return prefix_of_code(self.region)

    def in_force(self, month: dt.date) -> bool:
        """Whether the policy is in force on any day of `month` (its first day)."""
        return _overlaps(self.valid_from, self.valid_to, month)

    def benefits_in_force(self, month: dt.date) -> list[Benefit]:
        """The benefits in force on any day of `month` (each on its own dates, `Benefit.in_force`)."""
        return [b for b in self.benefits.values() if b.in_force(month)]

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.prefix)

    def with_amounts(self, changes: dict[tuple[str, str], int]) -> Policy:
        """A copy with some tiers' amounts changed ((benefit key, tier id) → stored amount): what-if runs."""
        benefits = {}
        for key, benefit in self.benefits.items():
            tiers = tuple(replace(t, amount=changes[(key, t.id)]) if (key, t.id) in changes else t for t in benefit.tiers)
            benefits[key] = replace(benefit, tiers=tiers)
        return replace(self, benefits=benefits)


# --- conditions -------------------------------------------------------------------------------


def _labels(values, choices) -> str:
    names = dict(choices.choices)
    return "、".join(str(names.get(v, v)) for v in values)


def _codes(node: Node, key: str) -> tuple[str, ...]:
    codes = node.strs(key)
    if not codes:
        raise node.at(key).error(DataFileError.BAD_VALUE, detail="expected at least one region code")
    try:
        return tuple(prefix_of_code(str(code)) for code in codes)
    except ValueError as exc:
        raise node.at(key).error(DataFileError.BAD_VALUE, detail=str(exc)) from exc


def _members(node: Node, key: str, choices) -> frozenset[str]:
    values = node.strs(key)
    unknown = [v for v in values if v not in choices.values]
    if not values or unknown:
        raise node.at(key).error(DataFileError.UNKNOWN_NAME, kind=key, name=", ".join(unknown) or "(none)")
    return frozenset(values)


def _age(node: Node) -> Condition:
    spec = node.at("age")
    lo, hi = spec.get("min"), spec.get("max")
    for bound in (lo, hi):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool) or bound < 0):
            raise spec.error(DataFileError.BAD_VALUE, detail=f"age bounds are whole years, got {bound!r}")
    if (lo is None and hi is None) or (lo is not None and hi is not None and lo > hi):
        raise spec.error(DataFileError.BAD_VALUE, detail="give min and/or max, min ≤ max")
    low, high = lo if lo is not None else 0, hi if hi is not None else 200
    if hi is None:
        words = f"年满{lo}周岁 / aged {lo} or over"
    elif lo is None:
        words = f"不超过{hi}周岁 / aged {hi} or under"
    else:
        words = f"{lo}至{hi}周岁 / aged {lo}–{hi}"
    return Condition(
        "age",
        words,
        lambda f: low <= f.age <= high,
        lambda f: f"{f.on}时{f.age}周岁 / aged {f.age} on {f.on}",
    )


def _hukou(node: Node) -> Condition:
    prefixes = _codes(node, "hukou_in")
    return Condition(
        "hukou_in",
        f"户籍在 {'、'.join(prefixes)} / hukou in {', '.join(prefixes)}",
        lambda f: f.hukou is not None and f.hukou.startswith(prefixes),
        lambda f: f"户籍地 {f.hukou} / hukou {f.hukou}" if f.hukou else "未登记户籍地 / no hukou recorded",
    )


def _resides(node: Node) -> Condition:
    prefixes = _codes(node, "resides_in")
    return Condition(
        "resides_in",
        f"居住在 {'、'.join(prefixes)} / living in {', '.join(prefixes)}",
        lambda f: f.residence.startswith(prefixes),
        lambda f: f"居住社区 {f.residence} / lives in {f.residence}",
    )


def _urban(node: Node) -> Condition:
    value = node.get("urban")
    if not isinstance(value, bool):
        raise node.at("urban").error(DataFileError.BAD_VALUE, detail="expected true or false")
    return Condition(
        "urban",
        "居住在城市社区 / living in an urban community" if value else "居住在农村 / living in a village",
        lambda f: f.rural is not value,
        lambda f: "农村（村）/ a village" if f.rural else "城市社区 / an urban community",
    )


def _groups(node: Node, key: str) -> Condition:
    wanted = _members(node, key, PriorityGroup)
    names = _labels(sorted(wanted), PriorityGroup)
    has = (lambda f: not f.groups.isdisjoint(wanted)) if key == "groups_any" else (lambda f: f.groups.isdisjoint(wanted))
    words = f"属于{names}之一 / in one of: {names}" if key == "groups_any" else f"不属于{names} / in none of: {names}"
    return Condition(
        key,
        words,
        has,
        lambda f: f"重点人群：{_labels(sorted(f.groups), PriorityGroup) or '无'} / groups: {', '.join(sorted(f.groups)) or 'none'}",
    )


def _assessed(node: Node, key: str, choices, attr: str, zh: str, en: str) -> Condition:
    """A condition on the ability assessment in force: its disability degree or its care category."""
    wanted = _members(node, key, choices)
    names = _labels(sorted(wanted), choices)

    def fact(f: Facts) -> str:
        value = getattr(f, attr)
        if not value:
            return "无生效的能力评估 / no ability assessment in force"
        return f"{zh}：{_labels([value], choices)} / {en}: {value}"

    return Condition(key, f"能力评估{zh}为{names} / assessed {en}: {', '.join(sorted(wanted))}", lambda f: getattr(f, attr) in wanted, fact)


def _living(node: Node) -> Condition:
    wanted = _members(node, "living_status", LivingStatus)
    names = _labels(sorted(wanted), LivingStatus)
    return Condition(
        "living_status",
        f"居住状况为{names} / living: {', '.join(sorted(wanted))}",
        lambda f: f.living_status in wanted,
        lambda f: f"居住状况：{_labels([f.living_status], LivingStatus)} / living: {f.living_status}",
    )


def _any_of(node: Node) -> Condition:
    options = [_conditions(option) for option in node.list("any_of")]

    def joined(texts, part: int, sep: str) -> str:
        return sep.join(text.partition(" / ")[2 * part] or text for text in texts)

    zh = "；或".join(joined((c.requirement for c in option), 0, "，") for option in options)
    en = "; or ".join(joined((c.requirement for c in option), 1, ", ") for option in options)

    def fact(f: Facts) -> str:
        facts = [c.fact(f) for option in options for c in option]
        return f"{joined(facts, 0, '；')} / {joined(facts, 1, '; ')}"

    return Condition("any_of", f"满足其一：{zh} / any of: {en}", lambda f: any(all(c.test(f) for c in option) for option in options), fact)


CONDITIONS: dict[str, Callable[[Node], Condition]] = {
    "age": _age,
    "hukou_in": _hukou,
    "resides_in": _resides,
    "urban": _urban,
    "groups_any": lambda n: _groups(n, "groups_any"),
    "groups_none": lambda n: _groups(n, "groups_none"),
    "disability_degree": lambda n: _assessed(n, "disability_degree", DisabilityDegree, "degree", "失能程度", "disability"),
    "care_category": lambda n: _assessed(n, "care_category", CareCategory, "category", "照护类别", "care category"),
    "living_status": _living,
    "any_of": _any_of,
}


def _conditions(node: Node) -> tuple[Condition, ...]:
    unknown = set(node.mapping()) - set(CONDITIONS)
    if unknown:
        raise node.error(DataFileError.UNKNOWN_RULE, rule=", ".join(sorted(unknown)), known=", ".join(CONDITIONS))
    return tuple(CONDITIONS[key](node) for key in node.data)


# --- parsing ---------------------------------------------------------------------------------


def _amount(node: Node, key: str, unit: Unit) -> int:
    value = node.get(key)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    scaled = number * SCALE[unit] if number.is_finite() else number
    if isinstance(value, bool) or not scaled.is_finite() or scaled <= 0 or scaled != scaled.to_integral_value():
        raise node.at(key).error(DataFileError.BAD_VALUE, detail=f"expected a positive amount in whole {unit.value} units, got {value!r}")
    return int(scaled)


@overload
def _date(node: Node, key: str, required: Literal[True]) -> dt.date: ...
@overload
def _date(node: Node, key: str, required: Literal[False]) -> dt.date | None: ...
def _date(node: Node, key: str, required: bool) -> dt.date | None:
    if node.get(key) is None and not required:
        return None
    value = node.at(key).data  # raises "missing" when required and absent
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise node.at(key).error(DataFileError.BAD_VALUE, detail=f"expected a date (YYYY-MM-DD), got {value!r}")
    return value


def _stay(node: Node, basis: Basis) -> StayRule | None:
    if basis == Basis.MONTHLY:
        if node.has("stay"):
            raise node.at("stay").error(DataFileError.BAD_VALUE, detail="only stay_month and stay_day benefits count stays")
        return None
    spec = node.at("stay")
    kind = spec.one_of("kind", StayKind.values, "stay kind")
    kinds = _members(spec, "facility_kinds", FacilityKind) if spec.has("facility_kinds") else frozenset(STAY_FACILITIES[StayKind(kind)])
    max_days = spec.int("max_days_per_stay") if spec.has("max_days_per_stay") else None
    if max_days is not None and max_days <= 0:
        raise spec.at("max_days_per_stay").error(DataFileError.BAD_VALUE, detail="must be positive")
    return StayRule(
        kind=kind,
        facility_kinds=kinds,
        ownership=_members(spec, "ownership", Ownership) if spec.has("ownership") else None,
        facility_in=_codes(spec, "facility_in") if spec.has("facility_in") else None,
        max_days_per_stay=max_days,
        citation=spec.str("citation") if max_days is not None else spec.get("citation", ""),
    )


BENEFIT_KEYS = {
    "name",
    "unit",
    "basis",
    "facts_on",
    "payee",
    "valid_from",
    "valid_from_citation",
    "valid_to",
    "valid_to_citation",
    "expiry",
    "stay",
    "tiers",
    "monthly_cap",
    "monthly_cap_citation",
}
POLICY_KEYS = {"id", "region", "title", "document", "valid_from", "valid_to", "benefits", "exclusions"}


def _benefit_dates(node: Node, file_from: dt.date, file_to: dt.date | None) -> tuple[dt.date, dt.date | None, str, str]:
    """The benefit's own valid_from / valid_to, each with its citation, inside the file's dates; the
    file's dates (and no citation) where the benefit gives none."""
    found: dict[str, tuple[dt.date | None, str]] = {}
    for key in ("valid_from", "valid_to"):
        day = _date(node, key, False)
        if day is None:
            if node.get(f"{key}_citation") is not None:
                raise node.at(f"{key}_citation").error(DataFileError.BAD_VALUE, detail=f"a citation without {key}")
            found[key] = (None, "")
            continue
        if day < file_from or (file_to is not None and day > file_to):
            raise node.at(key).error(
                DataFileError.BAD_VALUE,
                detail=f"{day} is outside the file's valid_from {file_from} … valid_to {file_to or '(none)'}",
            )
        found[key] = (day, node.str(f"{key}_citation"))
    (own_from, from_citation), (own_to, to_citation) = found["valid_from"], found["valid_to"]
    valid_from, valid_to = own_from or file_from, own_to or file_to
    if valid_to is not None and valid_to < valid_from:  # only an own valid_to can be (both are inside the file's)
        raise node.at("valid_to").error(DataFileError.BAD_VALUE, detail=f"before the benefit's valid_from {valid_from}")
    return valid_from, valid_to, from_citation, to_citation


def _benefit(policy_id: str, key: str, node: Node, file_from: dt.date, file_to: dt.date | None) -> Benefit:
    unknown = set(node.mapping()) - BENEFIT_KEYS
    if unknown:
        raise node.error(DataFileError.UNKNOWN_NAME, kind="key", name=", ".join(sorted(unknown)))
    valid_from, valid_to, from_citation, to_citation = _benefit_dates(node, file_from, file_to)
    unit, basis = node.choice("unit", Unit), node.choice("basis", Basis)
    tiers, seen = [], set()
    for tier_node in node.list("tiers"):
        tier_id = tier_node.str("id")
        if tier_id in seen:
            raise tier_node.at("id").error(DataFileError.DUPLICATE_ITEM, item=tier_id)
        seen.add(tier_id)
        tiers.append(
            Tier(
                tier_id,
                tier_node.str("name"),
                _conditions(tier_node.at("when")),
                _amount(tier_node, "amount", unit),
                tier_node.str("citation"),
            )
        )
    expiry = None
    if node.has("expiry"):
        spec = node.at("expiry")
        months = spec.get("months_after")
        if not isinstance(months, int) or isinstance(months, bool) or months < 0:
            raise spec.at("months_after").error(DataFileError.BAD_VALUE, detail=f"expected 0 or more months, got {months!r}")
        expiry = Expiry(months, spec.str("citation"))
    cap = None
    if node.has("monthly_cap"):
        cap = _amount(node, "monthly_cap", unit)
        node.str("monthly_cap_citation")
    return Benefit(
        policy_id=policy_id,
        key=key,
        name=node.str("name"),
        unit=unit,
        basis=basis,
        facts_on=node.choice("facts_on", FactsOn),
        payee=node.choice("payee", Payee),
        tiers=tuple(tiers),
        valid_from=valid_from,
        valid_to=valid_to,
        stay=_stay(node, basis),
        expiry=expiry,
        monthly_cap=cap,
        monthly_cap_citation=node.get("monthly_cap_citation", ""),
        valid_from_citation=from_citation,
        valid_to_citation=to_citation,
    )


def parse_policy(data, file: str) -> Policy:
    root = Node(data, file, "")
    unknown = set(root.mapping()) - POLICY_KEYS
    if unknown:
        raise root.error(DataFileError.UNKNOWN_NAME, kind="key", name=", ".join(sorted(unknown)))
    policy_id = root.str("id")
    region = str(root.str("region"))
    try:
        prefix_of_code(region)
    except ValueError as exc:
        raise root.at("region").error(DataFileError.BAD_VALUE, detail=str(exc)) from exc
    if not file.startswith(f"{region}-"):
        raise root.at("region").error(DataFileError.BAD_VALUE, detail=f"the file name must start with the region code {region}-")
    valid_from, valid_to = _date(root, "valid_from", True), _date(root, "valid_to", False)
    if valid_to is not None and valid_to < valid_from:
        raise root.at("valid_to").error(DataFileError.BAD_VALUE, detail="before valid_from")
    benefits_node = root.at("benefits")
    benefits = {key: _benefit(policy_id, key, benefits_node.at(key), valid_from, valid_to) for key in benefits_node.mapping()}
    exclusions = []
    for node in root.list("exclusions") if root.has("exclusions") else ():
        keys = node.strs("benefits")
        unknown_keys = [k for k in keys if k not in benefits]
        if len(keys) < 2 or unknown_keys or len(set(keys)) != len(keys):
            raise node.at("benefits").error(
                DataFileError.BAD_VALUE, detail=f"list two or more distinct benefits of this policy; unknown: {unknown_keys}"
            )
        exclusions.append(Exclusion(keys, node.str("citation")))
    return Policy(
        id=policy_id,
        region=region,
        title=root.str("title"),
        document=root.str("document"),
        valid_from=valid_from,
        valid_to=valid_to,
        benefits=benefits,
        exclusions=tuple(exclusions),
        file=file,
    )


@functools.cache
def load_policies(directory: Path = POLICIES_DIR) -> tuple[Policy, ...]:
    policies = tuple(parse_policy(load_yaml(path), path.name) for path in sorted(directory.glob("*.yaml")))
    ids = [p.id for p in policies]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise DataFileError(directory.name, "id", DataFileError.DUPLICATE_ITEM, item=duplicate)
    return policies


def policies_for(region_code: str, month: dt.date, *, directory: Path = POLICIES_DIR) -> list[Policy]:
    """Policies in force in `month` that may apply to elders living in `region_code`'s subtree:
    those of the region itself, of a region above it, or of a region below it. In force: the file
    and at least one of its benefits (a file whose every benefit starts later, or has ended, grants
    nothing that month); the benefits not in force are still the policy's, each consumer leaves them
    out (`Policy.benefits_in_force`) or explains them (`engine.decide`)."""
    prefix = prefix_of_code(region_code)
    return [
        p
        for p in load_policies(directory)
        if p.in_force(month) and p.benefits_in_force(month) and (prefix.startswith(p.prefix) or p.prefix.startswith(prefix))
    ]


def get_policy(policy_id: str, *, directory: Path = POLICIES_DIR) -> Policy:
    for policy in load_policies(directory):
        if policy.id == policy_id:
            return policy
    raise KeyError(policy_id)
