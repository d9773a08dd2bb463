"""What scoring returns: plain frozen records, ready to store as JSON and to print."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .standards import Level


class Effect(enum.StrEnum):
    APPLIED = "applied"  # changed the level
    UNCHANGED = "unchanged"  # set the level it already had
    COUNTED_ONCE = "counted_once"  # a further raise condition: one raise in all
    AT_LAST_LEVEL = "at_last_level"
    OVERRIDDEN = "overridden"  # a level set directly (coma) wins over raises
    SUPPRESSED = "suppressed"  # a guard rule: the preliminary level is not raised
    GUARD = "guard"  # the guard rule itself


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    name: str
    name_en: str
    score: int | None  # the items' sum; None where the grade comes from rules
    max_score: int | None
    grade: int | None = None  # graded_combination only
    grade_name: str = ""

    def to_dict(self) -> dict:
        return {"score": self.score, "max_score": self.max_score, "grade": self.grade, "grade_name": self.grade_name}


@dataclass(frozen=True)
class AppliedAdjustment:
    code: str
    rule: str
    text: str
    clause: str
    from_level: str
    to_level: str
    effect: Effect

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "rule": self.rule,
            "text": self.text,
            "clause": self.clause,
            "from": self.from_level,
            "to": self.to_level,
            "effect": self.effect.value,
        }


@dataclass(frozen=True)
class Result:
    standard: str
    indicators: tuple[IndicatorResult, ...]
    total: int | None  # sum_bands only
    base_level: Level
    final_level: Level
    adjustments: tuple[AppliedAdjustment, ...]
    matched_rules: tuple[str, ...]  # combination-table rules (graded_combination)
    explanation_zh: tuple[str, ...]
    explanation_en: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return "\n".join(f"{zh}\n  {en}" for zh, en in zip(self.explanation_zh, self.explanation_en, strict=True))

    def indicator_scores(self) -> dict[str, dict]:
        return {ind.code: ind.to_dict() for ind in self.indicators}
