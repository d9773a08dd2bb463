"""The facts an assessor records beside the scored items: the inputs of the level-change rules.

GB/T 42195-2022 takes them from Annex A (A.5.11 昏迷, A.4.1 疾病诊断, A.2.14 近30天内照护风险事件),
MZ/T 039-2013 from A.2.13 and A.2.14. A standard's YAML names them in `trigger.when_any`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from .errors import ScoringError


@dataclass(frozen=True)
class AssessmentFacts:
    coma: bool = False  # 昏迷
    dementia: bool = False  # 确诊痴呆 F00～F03
    mental_disorder: bool = False  # 精神科专科医生诊断的其他精神和行为障碍 F04～F99
    # 近30天内照护风险事件次数 (跌倒、噎食、自杀、自伤、走失…), all types summed.
    care_risk_events: int = 0

    @classmethod
    def from_mapping(cls, data: Mapping | None) -> AssessmentFacts:
        data = dict(data or {})
        unknown = set(data) - set(FACT_TYPES)
        if unknown:
            raise ScoringError(ScoringError.INVALID_FACTS, problem=", ".join(sorted(unknown)))
        for name, value in data.items():
            if FACT_TYPES[name] == "bool" and not isinstance(value, bool):
                raise ScoringError(ScoringError.INVALID_FACTS, problem=f"{name}={value!r}")
            if FACT_TYPES[name] == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ScoringError(ScoringError.INVALID_FACTS, problem=f"{name}={value!r}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


# Field name → "bool" or "int" (annotations are strings under `from __future__ import annotations`).
FACT_TYPES: dict[str, str] = {f.name: str(f.type) for f in fields(AssessmentFacts)}
