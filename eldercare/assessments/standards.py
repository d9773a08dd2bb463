"""Assessment standards as data: `standards/*.yaml` loaded into frozen dataclasses.

Two scoring methods are modelled:
- `sum_bands` (GB/T 42195-2022): item scores sum per indicator and in total; the total falls in
  exactly one band, which names the preliminary level.
- `graded_combination` (MZ/T 039-2013): each indicator gets a grade (from its total's band, or by
  rules on its items), and a combination table turns the grades into the preliminary level.
Both then apply the standard's level-change rules (`adjustments`). A standard may also state when
to assess again (`reassessment`: its interval and the events that call for a new assessment).

Everything is checked on load, and an error names the file and the path of the bad entry:
duplicate item codes, option scores outside their indicator's range, bands that do not tile the
score range, unknown rules, names or levels, and rule tables that leave a combination unresolved.
Loaded standards are cached for the life of the process (the files ship with the code).
"""

from __future__ import annotations

import enum
import functools
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from eldercare.core.datafiles import DataFileError, Node, load_yaml

from . import conditions
from .choices import Reason
from .facts import FACT_TYPES

STANDARDS_DIR = Path(__file__).parent / "standards"
FILES = {"GB/T 42195-2022": "gbt_42195_2022.yaml", "MZ/T 039-2013": "mzt_039_2013.yaml"}
CURRENT = "GB/T 42195-2022"  # the standard new assessments use


class Method(enum.StrEnum):
    SUM_BANDS = "sum_bands"
    GRADED_COMBINATION = "graded_combination"


class Grading(enum.StrEnum):
    TOTAL_SCORE_BANDS = "total_score_bands"
    RULES = "rules"


class Rule(enum.StrEnum):
    SET_LEVEL = "set_level"
    RAISE_ONE_LEVEL = "raise_one_level"
    NO_RAISE_IF_PRELIMINARY_IS = "no_raise_if_preliminary_is"


class Stacking(enum.StrEnum):
    ONCE = "once"  # any number of met raise conditions raise one level
    PER_CONDITION = "per_condition"


class ReassessmentEvent(enum.StrEnum):
    ABILITY_CHANGED = "ability_changed"  # a change of condition alters the elder's ability
    CONSCIOUSNESS_REGAINED = "consciousness_regained"  # an elder assessed in coma is observed conscious


@dataclass(frozen=True)
class Option:
    score: int
    text: str
    verified: bool = True
    skips: tuple[str, ...] = ()  # items that need no answer when this option is chosen


@dataclass(frozen=True)
class Item:
    code: str
    number: str
    name: str
    indicator: str
    options: tuple[Option, ...]
    definition: str | None = None

    @property
    def scores(self) -> frozenset[int]:
        return frozenset(o.score for o in self.options)

    def option(self, score: int) -> Option | None:
        return next((o for o in self.options if o.score == score), None)


@dataclass(frozen=True)
class Grade:
    grade: int
    name: str
    text: str
    min: int | None = None  # total_score_bands
    max: int | None = None
    when: conditions.Condition | None = None  # rules


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    name_en: str
    clause: str
    items: tuple[Item, ...]
    max_score: int | None
    grading: Grading | None = None  # graded_combination only
    grading_clause: str = ""
    grades: tuple[Grade, ...] = ()  # in the order they are tried


@dataclass(frozen=True)
class Level:
    code: str
    rank: int  # 0 = most able
    name: str
    name_en: str


@dataclass(frozen=True)
class Band:
    level: str
    min: int
    max: int
    clause: str


@dataclass(frozen=True)
class CombinationRule:
    id: str
    level: str
    text: str
    when: conditions.Condition
    supplementary: bool = False  # the platform's, not the standard's


@dataclass(frozen=True)
class CombinationTable:
    clause: str
    grades: Mapping[str, str]  # rule key → indicator code
    rules: tuple[CombinationRule, ...]
    supplementary_rules: tuple[CombinationRule, ...]


@dataclass(frozen=True)
class TriggerTerm:
    fact: str | None = None
    at_least: int | None = None
    item: str | None = None
    values: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ReassessmentTrigger:
    """An event after which the standard calls for a new assessment."""

    code: str
    event: ReassessmentEvent
    clause: str
    text: str
    reason: str  # the Reason (A.1.3 评估原因) of the assessment it calls for
    applies_if: tuple[TriggerTerm, ...] = ()  # the in-force assessment it concerns (any term); empty: every one
    observed: TriggerTerm | None = None  # the observation (an item and its scores) that fires it

    def concerns(self, answers: Mapping[str, int], facts: Mapping[str, bool | int]) -> bool:
        """Whether an assessment with these answers and facts (as stored) is one this trigger concerns."""

        def holds(term: TriggerTerm) -> bool:
            if term.fact is None:
                return term.item is not None and answers.get(term.item) in term.values
            value = facts.get(term.fact) or 0
            return value >= term.at_least if term.at_least is not None else bool(value)

        return not self.applies_if or any(holds(term) for term in self.applies_if)

    def fired_by(self, item: str, score: int) -> bool:
        """Whether observing `item` at `score` is this trigger's event."""
        return self.observed is not None and self.observed.item == item and score in self.observed.values


@dataclass(frozen=True)
class Reassessment:
    clause: str
    text: str
    interval_months: int  # the standard's own figure; the platform applies policies/*.yaml
    triggers: tuple[ReassessmentTrigger, ...]

    def trigger(self, code: str) -> ReassessmentTrigger:
        return next(t for t in self.triggers if t.code == code)


@dataclass(frozen=True)
class Adjustment:
    code: str
    rule: Rule
    text: str
    clause: str
    triggers: tuple[TriggerTerm, ...] = ()
    level: str | None = None  # set_level: the level set; no_raise_if_preliminary_is: the guard


@dataclass(frozen=True, eq=False)
class Standard:
    code: str
    title: str
    title_en: str
    method: Method
    file: str
    indicators: tuple[Indicator, ...]
    levels: tuple[Level, ...]
    bands: tuple[Band, ...]
    combination: CombinationTable | None
    adjustments: tuple[Adjustment, ...]
    stacking: Stacking
    assessors_required: int
    assessors_clause: str
    assessors_verified: bool
    total_min: int | None = None
    total_max: int | None = None
    reassessment: Reassessment | None = None

    @functools.cached_property
    def items(self) -> Mapping[str, Item]:
        return MappingProxyType({item.code: item for ind in self.indicators for item in ind.items})

    def level(self, code: str) -> Level:
        return next(level for level in self.levels if level.code == code)

    @property
    def last_level(self) -> Level:
        return self.levels[-1]


def _sums(items: Iterable[Item]) -> set[int]:
    totals = {0}
    for item in items:
        totals = {t + s for t in totals for s in item.scores}
    return totals


def _check_tiling(node: Node, spans: list[tuple[int, int]], totals: Iterable[int]) -> None:
    """Every total falls in exactly one span."""
    for total in sorted(totals):
        hits = sum(lo <= total <= hi for lo, hi in spans)
        if hits != 1:
            where = "no band" if hits == 0 else f"{hits} bands"
            raise node.error(DataFileError.BANDS_NOT_TILING, detail=f"总分 / total {total} → {where}")


def _option(node: Node) -> Option:
    return Option(
        score=node.int("score"), text=node.str("text"), verified=node.get("verified", True) is not False, skips=node.strs("skips")
    )


def _item(node: Node, indicator: str) -> Item:
    options = tuple(_option(o) for o in node.list("options"))
    scores = [o.score for o in options]
    if len(set(scores)) != len(scores):
        raise node.at("options").error(DataFileError.BAD_VALUE, detail=f"repeated option scores {scores}")
    if node.has("max_score") and node.int("max_score") != max(scores):
        raise node.at("max_score").error(DataFileError.BAD_VALUE, detail=f"max_score is not the highest option score {max(scores)}")
    return Item(node.str("code"), node.str("number"), node.str("name"), indicator, options, node.get("definition"))


def _grades(node: Node, items: tuple[Item, ...]) -> tuple[Grading, tuple[Grade, ...]]:
    method = node.choice("method", Grading)
    grades: list[Grade] = []
    spans: list[tuple[int, int]] = []  # total_score_bands: each grade's (min, max)
    for band in node.list("bands"):
        if method == Grading.TOTAL_SCORE_BANDS:
            grade = Grade(band.int("grade"), band.str("name"), band.str("text"), min=band.int("min"), max=band.int("max"))
            spans.append((band.int("min"), band.int("max")))
            grades.append(grade)
        else:
            when = conditions.parse_any(band.get("when_any"), band.at("when_any").path, [i.code for i in items], band.fail)
            grades.append(Grade(band.int("grade"), band.str("name"), band.str("text"), when=when))
    if method == Grading.TOTAL_SCORE_BANDS:
        _check_tiling(node.at("bands"), spans, _sums(items))
    else:
        if node.get("precedence") != "most_severe_first":
            raise node.at("precedence").error(DataFileError.UNKNOWN_RULE, rule=node.get("precedence"), known="most_severe_first")
        grades.sort(key=lambda g: -g.grade)
        _check_rules_cover(node.at("bands"), items, grades)
    return method, tuple(grades)


def _check_rules_cover(node: Node, items: tuple[Item, ...], grades: list[Grade]) -> None:
    """Every combination of option scores (skipped items absent) matches some grade."""
    for combo in itertools.product(*(sorted(i.scores) for i in items)):
        values = dict(zip((i.code for i in items), combo, strict=True))
        for item in items:
            option = item.option(values.get(item.code, -1))
            for skipped in option.skips if option else ():
                values.pop(skipped, None)
        if not any(g.when is not None and g.when.holds(values) for g in grades):
            raise node.error(DataFileError.UNRESOLVED, detail=str(values))


def _indicator(node: Node, method: Method, seen: dict[str, str]) -> Indicator:
    code = node.str("code")
    items = []
    for item_node in node.list("items"):
        item = _item(item_node, code)
        if item.code in seen:
            raise item_node.at("code").error(DataFileError.DUPLICATE_ITEM, item=item.code)
        seen[item.code] = code
        items.append(item)
    max_score = node.int("max_score") if node.has("max_score") or method == Method.SUM_BANDS else None
    if max_score is not None:
        for i, item in enumerate(items):
            for j, option in enumerate(item.options):
                if not 0 <= option.score <= max_score:
                    path = node.at("items", i).at("options", j).at("score")
                    raise path.error(DataFileError.SCORE_OUT_OF_RANGE, score=option.score, lo=0, hi=max_score)
        if max(_sums(items)) != max_score:
            raise node.at("max_score").error(DataFileError.BAD_VALUE, detail=f"items add up to {max(_sums(items))}, not {max_score}")
    grading: Grading | None = None
    grades: tuple[Grade, ...] = ()
    clause = ""
    if method == Method.GRADED_COMBINATION:
        grading, grades = _grades(node.at("grading"), tuple(items))
        clause = node.at("grading").str("clause")
    return Indicator(code, node.str("name"), node.str("name_en"), node.str("clause"), tuple(items), max_score, grading, clause, grades)


def _levels(node: Node) -> tuple[Level, ...]:
    levels = tuple(Level(n.str("code"), rank, n.str("name"), n.str("name_en")) for rank, n in enumerate(node.list("levels")))
    codes = [level.code for level in levels]
    if len(set(codes)) != len(codes):
        raise node.at("levels").error(DataFileError.BAD_VALUE, detail=f"repeated level codes {codes}")
    return levels


def _combination(node: Node, indicators: tuple[Indicator, ...], levels: tuple[Level, ...]) -> CombinationTable:
    keys = node.at("grades")
    grades = keys.mapping()
    by_code = {ind.code: ind for ind in indicators}
    for key, code in grades.items():
        if code not in by_code:
            raise keys.at(key).error(DataFileError.UNKNOWN_NAME, kind="indicator", name=code)
    level_codes = [level.code for level in levels]

    def rules(name: str, supplementary: bool) -> tuple[CombinationRule, ...]:
        out = []
        for rule in node.list(name):
            rule.one_of("level", level_codes, "level")
            when = conditions.parse(rule.get("when"), rule.at("when").path, grades, rule.fail)
            out.append(CombinationRule(rule.str("id"), rule.str("level"), rule.str("text"), when, supplementary))
        return tuple(out)

    resolution = node.at("resolution")
    resolution.one_of("conflicts", ["most_severe"], "resolution")
    resolution.one_of("gaps", ["supplementary_rules"], "resolution")
    table = CombinationTable(node.str("clause"), MappingProxyType(dict(grades)), rules("rules", False), rules("supplementary_rules", True))
    ranges = [sorted({g.grade for g in by_code[code].grades}) for code in grades.values()]
    unresolved = [c for c in itertools.product(*ranges) if not combine(table, dict(zip(grades, c, strict=True)))]
    if unresolved:
        raise node.at("rules").error(DataFileError.UNRESOLVED, detail=f"{list(grades)} = {unresolved[:5]}")
    return table


def combine(table: CombinationTable, grades: Mapping[str, int]) -> list[CombinationRule]:
    """The rules matching these grades: the standard's, or else the supplementary ones."""
    return [r for r in table.rules if r.when.holds(grades)] or [r for r in table.supplementary_rules if r.when.holds(grades)]


def _item_term(term: Node, items: Mapping[str, Item]) -> TriggerTerm:
    item = term.one_of("item", items, "item")
    values = frozenset(term.ints("in"))
    if not values <= items[item].scores:
        raise term.at("in").error(DataFileError.BAD_VALUE, detail=f"not option scores of {item}: {sorted(values)}")
    return TriggerTerm(item=item, values=values)


def _trigger(node: Node, items: Mapping[str, Item]) -> tuple[TriggerTerm, ...]:
    terms = []
    for term in node.list("when_any"):
        if term.has("fact"):
            fact = term.one_of("fact", FACT_TYPES, "fact")
            if (FACT_TYPES[fact] == "int") != term.has("at_least"):
                raise term.error(DataFileError.BAD_VALUE, detail="a count fact needs at_least, a yes/no fact must not have it")
            terms.append(TriggerTerm(fact=fact, at_least=term.int("at_least") if term.has("at_least") else None))
        else:
            terms.append(_item_term(term, items))
    return tuple(terms)


def _reassessment(node: Node, items: Mapping[str, Item]) -> Reassessment:
    if node.int("interval_months") < 1:
        raise node.at("interval_months").error(DataFileError.BAD_VALUE, detail="expected a positive number of months")
    triggers, seen = [], set()
    for n in node.list("triggers"):
        code = n.str("code")
        if code in seen:
            raise n.at("code").error(DataFileError.BAD_VALUE, detail=f"repeated trigger code {code!r}")
        seen.add(code)
        event = n.choice("event", ReassessmentEvent)
        # An observed event needs the observation, and the assessment it concerns.
        observed = _item_term(n.at("observed"), items) if n.has("observed") or event != ReassessmentEvent.ABILITY_CHANGED else None
        applies_if = _trigger(n.at("applies_if"), items) if n.has("applies_if") or observed else ()
        reason = n.one_of("reason", Reason.values, "reason")
        triggers.append(ReassessmentTrigger(code, event, n.str("clause"), n.str("text"), reason, applies_if, observed))
    return Reassessment(node.str("clause"), node.str("text"), node.int("interval_months"), tuple(triggers))


def _adjustment(node: Node, items: Mapping[str, Item], level_codes: list[str]) -> Adjustment:
    rule = node.choice("rule", Rule)
    level: str | None = None
    triggers: tuple[TriggerTerm, ...] = ()
    if rule == Rule.SET_LEVEL:
        level = node.one_of("to", level_codes, "level")
    elif rule == Rule.NO_RAISE_IF_PRELIMINARY_IS:
        level = node.one_of("level", level_codes, "level")
    if rule != Rule.NO_RAISE_IF_PRELIMINARY_IS:
        triggers = _trigger(node.at("trigger"), items)
    return Adjustment(node.str("code"), rule, node.str("text"), node.str("clause"), triggers, level)


def parse_standard(data, file: str) -> Standard:
    root = Node(data, file, "")
    method = root.choice("method", Method)
    seen: dict[str, str] = {}
    indicators = tuple(_indicator(n, method, seen) for n in root.list("indicators"))
    levels = _levels(root)
    level_codes = [level.code for level in levels]
    bands: tuple[Band, ...] = ()
    combination, total_min, total_max = None, None, None
    if method == Method.SUM_BANDS:
        total = root.at("total_score")
        total_min, total_max = total.int("min"), total.int("max")
        sums = sorted(_sums(item for ind in indicators for item in ind.items))
        if (sums[0], sums[-1]) != (total_min, total_max):
            raise total.error(DataFileError.BAD_VALUE, detail=f"items add up to {sums[0]}–{sums[-1]}, not {total_min}–{total_max}")
        bands = tuple(
            Band(b.one_of("level", level_codes, "level"), b.int("min"), b.int("max"), b.str("clause")) for b in root.list("bands")
        )
        _check_tiling(root.at("bands"), [(b.min, b.max) for b in bands], range(total_min, total_max + 1))
    else:
        combination = _combination(root.at("combination_table"), indicators, levels)
    items = {item.code: item for ind in indicators for item in ind.items}
    for code, item in items.items():
        for option in item.options:
            for skipped in option.skips:
                owner = items.get(skipped)
                if owner is None or owner.indicator != item.indicator or owner.code == code:
                    raise Node(data, file, f"items.{code}.options.skips").error(DataFileError.UNKNOWN_NAME, kind="item", name=skipped)
    adjustments = tuple(_adjustment(n, items, level_codes) for n in root.list("adjustments"))
    reassessment = _reassessment(root.at("reassessment"), items) if root.has("reassessment") else None
    assessors = root.at("assessors")
    return Standard(
        code=root.str("code"),
        title=root.str("title"),
        title_en=root.str("title_en"),
        method=method,
        file=file,
        indicators=indicators,
        levels=levels,
        bands=bands,
        combination=combination,
        adjustments=adjustments,
        stacking=root.at("adjustment_semantics").choice("stacking", Stacking),
        assessors_required=assessors.int("count"),
        assessors_clause=assessors.get("clause") or "",
        assessors_verified=assessors.get("verified") is True,
        total_min=total_min,
        total_max=total_max,
        reassessment=reassessment,
    )


def load_standard_file(path: Path) -> Standard:
    return parse_standard(load_yaml(path), path.name)


@functools.cache
def get_standard(code: str) -> Standard:
    """A standard by its code ("GB/T 42195-2022"); KeyError when there is no such standard."""
    standard = load_standard_file(STANDARDS_DIR / FILES[code])
    if standard.code != code:
        raise DataFileError(standard.file, "code", DataFileError.BAD_VALUE, detail=f"{standard.code!r} is filed as {code!r}")
    return standard
