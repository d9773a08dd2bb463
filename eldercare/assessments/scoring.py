"""Scoring an assessment: answers and facts in, indicator scores, levels and reasons out.

Plain functions over a loaded `Standard`; nothing here touches the database.

Decisions on the questions the standards leave open (also recorded in the YAML files and in
standards/SOURCES.md §7):

(a) Coma. GB/T 42195-2022 Annex C (C.4) rates a comatose elder 能力完全丧失（完全失能）; the note
    under B.3.9 says 重度失能, apparently carried over from MZ/T 039-2013. C.4 is followed: coma
    sets the level to complete_loss. Under MZ/T 039-2013 coma (the fact, or B.3.1 意识水平 = 3)
    sets 重度失能, its last level. Setting a level overrides the raise rules.
(b) Raising one level. Each raise clause is worded "在原有能力级别上提高一个等级" — relative to the
    preliminary level — so any number of met conditions raises exactly one level, never past the
    last level (`adjustment_semantics.stacking: once`; `per_condition` is supported should the
    official text say otherwise). Care-risk events are summed over all types.
(c) MZ/T 039-2013 表6 has gaps and conflicts when read literally. When several rules match, the
    most severe level wins; when none matches, the platform's supplementary rules in the YAML
    (P1, P2) are consulted, and the explanation says the standard did not cover the case. The
    loader checks that all 256 grade combinations resolve.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ScoringError
from .explain import explain
from .facts import AssessmentFacts
from .results import AppliedAdjustment, Effect, IndicatorResult, Result
from .standards import Adjustment, Grading, Indicator, Level, Method, Rule, Stacking, Standard, combine

__all__ = ["AssessmentFacts", "Result", "check_answers", "score"]


def _label(standard: Standard, code: str) -> str:
    item = standard.items[code]
    return f"{item.number} {item.name}（{code}）"


def check_answers(standard: Standard, answers: Mapping[str, int], *, complete: bool) -> None:
    """Unknown items and scores that are not option scores are always refused; missing answers
    only when `complete` (a finished assessment). Each error lists every offending item."""
    unknown = sorted(set(answers) - set(standard.items))
    if unknown:
        raise ScoringError(ScoringError.UNKNOWN_ITEMS, standard=standard.code, items=", ".join(unknown), codes=unknown)
    bad = {
        code: value
        for code, value in answers.items()
        if isinstance(value, bool) or not isinstance(value, int) or value not in standard.items[code].scores
    }
    if bad:
        problems = "; ".join(f"{_label(standard, c)} = {v!r}（{sorted(standard.items[c].scores)}）" for c, v in bad.items())
        raise ScoringError(ScoringError.INVALID_SCORE, problems=problems, codes=sorted(bad))
    if complete:
        chosen = (standard.items[code].option(value) for code, value in answers.items())
        skipped = {s for option in chosen if option is not None for s in option.skips}  # every answer is an option (checked above)
        missing = [code for code in standard.items if code not in answers and code not in skipped]
        if missing:
            raise ScoringError(ScoringError.MISSING_ANSWERS, items=", ".join(_label(standard, c) for c in missing), codes=missing)


def _grade(indicator: Indicator, answers: Mapping[str, int]) -> IndicatorResult:
    values = {item.code: answers[item.code] for item in indicator.items if item.code in answers}
    points = sum(values.values())
    total = points if indicator.grading != Grading.RULES else None
    if indicator.grading is None:
        return IndicatorResult(indicator.code, indicator.name, indicator.name_en, total, indicator.max_score)
    if indicator.grading == Grading.TOTAL_SCORE_BANDS:  # (the loader gives these grades their band)
        grade = next(g for g in indicator.grades if g.min is not None and g.max is not None and g.min <= points <= g.max)
    else:  # tried most severe first; the loader checked that some grade always matches
        grade = next(g for g in indicator.grades if g.when is not None and g.when.holds(values))
    return IndicatorResult(indicator.code, indicator.name, indicator.name_en, total, indicator.max_score, grade.grade, grade.name)


def _triggered(adjustment: Adjustment, answers: Mapping[str, int], facts: AssessmentFacts) -> bool:
    for term in adjustment.triggers:
        if term.fact is not None:
            value = getattr(facts, term.fact)
            if (value >= term.at_least) if term.at_least is not None else bool(value):
                return True
        elif term.item is not None and answers.get(term.item) in term.values:
            return True
    return False


def adjust(standard: Standard, base: Level, answers: Mapping[str, int], facts: AssessmentFacts) -> tuple[Level, list[AppliedAdjustment]]:
    """Apply the level-change rules to the preliminary level; every met rule is reported."""

    def record(adj: Adjustment, frm: Level, to: Level, effect: Effect) -> AppliedAdjustment:
        return AppliedAdjustment(adj.code, adj.rule.value, adj.text, adj.clause, frm.code, to.code, effect)

    met = [a for a in standard.adjustments if a.rule != Rule.NO_RAISE_IF_PRELIMINARY_IS and _triggered(a, answers, facts)]
    if not met:
        return base, []
    guard = next(
        (
            a
            for a in standard.adjustments
            if a.rule == Rule.NO_RAISE_IF_PRELIMINARY_IS and a.level is not None and base.rank >= standard.level(a.level).rank
        ),
        None,
    )
    if guard:
        return base, [record(guard, base, base, Effect.GUARD)] + [record(a, base, base, Effect.SUPPRESSED) for a in met]
    setters = [a for a in met if a.rule == Rule.SET_LEVEL]
    if setters:
        target = max((standard.level(a.level) for a in setters if a.level is not None), key=lambda level: level.rank)  # set_level names one
        out = [record(a, base, target, Effect.APPLIED if base != target else Effect.UNCHANGED) for a in setters]
        return target, out + [record(a, target, target, Effect.OVERRIDDEN) for a in met if a.rule != Rule.SET_LEVEL]
    level, out = base, []
    for i, adj in enumerate(met):
        if i and standard.stacking == Stacking.ONCE:
            out.append(record(adj, level, level, Effect.COUNTED_ONCE))
        elif level == standard.last_level:
            out.append(record(adj, level, level, Effect.AT_LAST_LEVEL))
        else:
            raised = standard.levels[level.rank + 1]
            out.append(record(adj, level, raised, Effect.APPLIED))
            level = raised
    return level, out


def score(standard: Standard, answers: Mapping[str, int], facts: AssessmentFacts | None = None) -> Result:
    """Score a complete set of answers (item code → option score) under `standard`."""
    facts = facts or AssessmentFacts()
    check_answers(standard, answers, complete=True)
    indicators = tuple(_grade(ind, answers) for ind in standard.indicators)
    total: int | None = None
    matched: tuple[str, ...] = ()
    if standard.method == Method.SUM_BANDS:
        total = sum(ind.score or 0 for ind in indicators)  # sum_bands indicators all have a score
        band = next(b for b in standard.bands if b.min <= total <= b.max)
        base = standard.level(band.level)
    else:
        table = standard.combination
        assert table is not None  # graded_combination standards have one (the loader requires it)
        by_code = {ind.code: ind.grade for ind in indicators if ind.grade is not None}  # every indicator is graded
        rules = combine(table, {key: by_code[code] for key, code in table.grades.items()})
        matched = tuple(r.id for r in rules)
        base = max((standard.level(r.level) for r in rules), key=lambda level: level.rank)
    final, applied = adjust(standard, base, answers, facts)
    zh, en = explain(standard, indicators, total, base, final, applied, matched)
    return Result(standard.code, indicators, total, base, final, tuple(applied), matched, zh, en)
