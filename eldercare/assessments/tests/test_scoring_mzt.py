import itertools

import pytest
import yaml

from eldercare.assessments.errors import ScoringError
from eldercare.assessments.facts import AssessmentFacts
from eldercare.assessments.results import Effect
from eldercare.assessments.scoring import score
from eldercare.assessments.standards import STANDARDS_DIR, combine

from .cases import ADL_BY_GRADE, mzt_answers


def grades(result) -> tuple[int, ...]:
    return tuple(ind.grade for ind in result.indicators)


@pytest.mark.parametrize(
    "changes,total,grade",
    [
        ({}, 100, 0),
        ({"stairs": 5}, 95, 1),  # 表2: 65–95 轻度受损
        ({"grooming": 5}, 65, 1),  # from the grade-1 set (65) …
        ({"grooming": 0}, 60, 2),  # … one item lower: 45–60 中度受损
        ({"stairs": 5, "bed_chair_transfer": 5}, 45, 2),  # from the grade-3 set (40)
        ({"stairs": 0}, 40, 3),  # ≤40 重度受损
    ],
)
def test_adl_band_edges(mzt, changes, total, grade):
    base = ADL_BY_GRADE[0] if total >= 95 else ADL_BY_GRADE[1] if total >= 60 else ADL_BY_GRADE[3]
    answers = {**mzt_answers(0, 0, 0, 0), **base, **changes}
    adl = score(mzt, answers).indicators[0]
    assert (adl.code, adl.score, adl.grade) == ("adl", total, grade)


@pytest.mark.parametrize(
    "items,total,grade",
    [((0, 0, 0), 0, 0), ((1, 0, 0), 1, 1), ((1, 1, 0), 2, 2), ((1, 1, 1), 3, 2), ((1, 2, 1), 4, 3), ((2, 2, 2), 6, 3)],
)
def test_mental_state_bands(mzt, items, total, grade):
    answers = {**mzt_answers(0, 0, 0, 0), **dict(zip(("cognition", "aggression", "depression"), items, strict=True))}
    mental = score(mzt, answers).indicators[1]
    assert (mental.score, mental.grade) == (total, grade)


@pytest.mark.parametrize(
    "consciousness,vision,hearing,communication,grade",
    [
        (0, 1, 1, 0, 0),
        (0, 0, 2, 0, 1),
        (0, 0, 0, 1, 1),
        (0, 3, 0, 0, 2),
        (0, 3, 2, 0, 2),  # fits 中度 and 轻度: the more severe grade
        (0, 0, 0, 2, 2),
        (1, 0, 0, 0, 2),  # 嗜睡 with nothing worse than 3/3/2
        (1, 4, 0, 0, 3),
        (0, 0, 0, 3, 3),
        (2, 0, 0, 0, 3),  # 昏睡
    ],
)
def test_perception_and_communication_rules(mzt, consciousness, vision, hearing, communication, grade):
    sensory = {"consciousness": consciousness, "vision": vision, "hearing": hearing, "communication": communication}
    result = score(mzt, {**mzt_answers(0, 0, 0, 0), **sensory})
    assert result.indicators[2].grade == grade and result.indicators[2].score is None


@pytest.mark.parametrize(
    "total,grade",
    [(2, 0), (3, 1), (7, 1), (8, 2), (13, 2), (14, 3), (20, 3)],
)
def test_social_participation_bands(mzt, total, grade):
    items = ("living_ability", "work_ability", "time_space_orientation", "person_orientation", "social_interaction")
    scores = [min(4, max(0, total - 4 * i)) for i in range(5)]
    answers = {**mzt_answers(0, 0, 0, 0), **dict(zip(items, scores, strict=True))}
    social = score(mzt, answers).indicators[3]
    assert (social.score, social.grade) == (total, grade)


@pytest.mark.parametrize(
    "adl,mental,sensory,social,level,rules",
    [
        (0, 0, 0, 0, "intact", ("L0",)),
        (0, 0, 0, 1, "intact", ("L0",)),
        (0, 1, 0, 0, "mild", ("L1a",)),
        (0, 0, 0, 2, "mild", ("L1a",)),
        (1, 0, 0, 0, "mild", ("L1b",)),
        (1, 2, 2, 2, "moderate", ("L2a",)),
        (1, 3, 0, 0, "moderate", ("L1b", "L2a")),  # conflict: most severe
        (2, 1, 0, 0, "moderate", ("L2b",)),
        (2, 2, 2, 2, "severe", ("L3b",)),
        (2, 3, 1, 0, "severe", ("L2b", "L3c")),  # conflict: most severe
        (3, 0, 0, 0, "severe", ("L3a",)),
        (0, 0, 0, 3, "mild", ("P1",)),  # gap: platform rule
        (2, 0, 0, 0, "moderate", ("P2",)),  # gap: platform rule
        (2, 1, 1, 1, "moderate", ("P2",)),  # gap: platform rule
    ],
)
def test_combination_table(mzt, adl, mental, sensory, social, level, rules):
    result = score(mzt, mzt_answers(adl, mental, sensory, social))
    assert grades(result) == (adl, mental, sensory, social)
    assert result.base_level.code == result.final_level.code == level
    assert result.matched_rules == rules
    if rules[0].startswith("P"):
        assert "未覆盖此分级组合" in result.explanation and "platform's rule" in result.explanation
    if len(rules) > 1:
        assert "取最重者" in result.explanation


def test_literal_table_gaps_and_conflicts_are_the_documented_ones_and_resolution_is_monotone(mzt):
    table = mzt.combination
    raw = yaml.safe_load((STANDARDS_DIR / "mzt_039_2013.yaml").read_text(encoding="utf-8"))["combination_table"]
    keys = list(table.grades)
    gaps, conflicts, level = [], 0, {}
    for combo in itertools.product(range(4), repeat=4):
        values = dict(zip(keys, combo, strict=True))
        literal = [r for r in table.rules if r.when.holds(values)]
        gaps += [] if literal else [list(combo)]
        conflicts += len({r.level for r in literal}) > 1
        level[combo] = max(mzt.level(r.level).rank for r in combine(table, values))
    assert gaps == raw["known_gaps"]
    assert conflicts == sum(c["count"] for c in raw["known_conflicts"])
    for combo, rank in level.items():
        for i in range(4):
            if combo[i] < 3:
                worse = combo[:i] + (combo[i] + 1,) + combo[i + 1 :]
                assert level[worse] >= rank, (combo, worse)


def test_coma_skips_the_rest_of_b3_and_is_severe(mzt):
    answers = mzt_answers(0, 0, 0, 0)
    answers["consciousness"] = 3
    for code in ("vision", "hearing", "communication"):
        del answers[code]
    result = score(mzt, answers)
    assert result.indicators[2].grade == 3
    assert result.final_level.code == "severe"
    assert [(a.code, a.effect) for a in result.adjustments] == [("coma", Effect.APPLIED)]
    # Only the rest of B.3 may be skipped, and only for coma.
    del answers["social_interaction"]
    with pytest.raises(ScoringError) as info:
        score(mzt, answers)
    assert info.value.details["codes"] == ["social_interaction"]
    answers["consciousness"] = 2
    with pytest.raises(ScoringError) as info:
        score(mzt, answers)
    assert info.value.details["codes"] == ["vision", "hearing", "communication", "social_interaction"]


def test_coma_fact_also_sets_severe(mzt):
    result = score(mzt, mzt_answers(0, 0, 0, 0), AssessmentFacts(coma=True))
    assert (result.base_level.code, result.final_level.code) == ("intact", "severe")


def test_diagnosed_cognitive_impairment_in_the_answers_raises_one_level(mzt):
    answers = {**mzt_answers(1, 0, 0, 0), "cognition": 2}  # 已确诊为认知障碍 (mental total 2 → grade 2)
    result = score(mzt, answers)
    assert result.base_level.code == "mild"
    assert result.final_level.code == "moderate"
    assert [a.code for a in result.adjustments] == ["cognitive_or_mental_illness"]


def test_raise_rules_count_once(mzt):
    result = score(mzt, mzt_answers(1, 0, 0, 0), AssessmentFacts(dementia=True, care_risk_events=2))
    assert result.final_level.code == "moderate"
    assert [a.effect for a in result.adjustments] == [Effect.APPLIED, Effect.COUNTED_ONCE]


def test_severe_preliminary_level_is_not_changed_by_the_clauses(mzt):
    result = score(mzt, mzt_answers(3, 0, 0, 0), AssessmentFacts(mental_disorder=True, care_risk_events=4))
    assert result.final_level.code == "severe"
    assert [(a.code, a.effect) for a in result.adjustments] == [
        ("cap", Effect.GUARD),
        ("cognitive_or_mental_illness", Effect.SUPPRESSED),
        ("accidents_30d", Effect.SUPPRESSED),
    ]
