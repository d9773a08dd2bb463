"""Hand-worked answer sets. Each GB/T 42195-2022 case lists every item's score with the
indicator subtotals worked out in the comment; pairs (89/90, 65/66 …) differ in one item."""

from __future__ import annotations

GBT = "GB/T 42195-2022"
MZT = "MZ/T 039-2013"

SELF_CARE = ("eating", "grooming", "bathing", "dressing_upper", "dressing_lower", "urine_control", "bowel_control", "toileting")
MOBILITY = ("bed_mobility", "bed_chair_transfer", "walking", "stairs")
MENTAL = (
    "time_orientation",
    "place_orientation",
    "person_orientation",
    "memory",
    "comprehension",
    "expression",
    "aggression",
    "depression",
    "consciousness",
)
PERCEPTION = ("vision", "hearing", "daily_affairs", "transport", "social_interaction")


def gbt(self_care, mobility, mental, perception) -> dict[str, int]:
    """Answers from four tuples of scores, in item order (B.1.1…B.4.5)."""
    answers: dict[str, int] = {}
    for codes, scores in ((SELF_CARE, self_care), (MOBILITY, mobility), (MENTAL, mental), (PERCEPTION, perception)):
        answers.update(zip(codes, scores, strict=True))
    return answers


# total → (answers, subtotals per indicator, base level)
GBT_EDGES = {
    # Everything independent: 32 + 15 + 28 + 15.
    90: (gbt((4,) * 8, (4, 4, 4, 3), (4, 4, 4, 4, 4, 4, 1, 1, 2), (2, 2, 4, 3, 4)), (32, 15, 28, 15), "intact"),
    # B.3.6 表达能力 3 (needs more time): 32 + 15 + 27 + 15.
    89: (gbt((4,) * 8, (4, 4, 4, 3), (4, 4, 4, 4, 4, 3, 1, 1, 2), (2, 2, 4, 3, 4)), (32, 15, 27, 15), "mild"),
    # 4+3+2+3+2+3+3+3 = 23; 3+3+3+1 = 10; 3+3+4+3+3+3+1+0+2 = 22; 2+2+2+2+3 = 11 → 66.
    66: (gbt((4, 3, 2, 3, 2, 3, 3, 3), (3, 3, 3, 1), (3, 3, 4, 3, 3, 3, 1, 0, 2), (2, 2, 2, 2, 3)), (23, 10, 22, 11), "mild"),
    # As 66 but B.4.1 视力 1 (large print only): PS 10 → 65.
    65: (gbt((4, 3, 2, 3, 2, 3, 3, 3), (3, 3, 3, 1), (3, 3, 4, 3, 3, 3, 1, 0, 2), (1, 2, 2, 2, 3)), (23, 10, 22, 10), "moderate"),
    # 3+2+1+2+1+2+2+1 = 14; 2+2+2+1 = 7; 2+2+3+2+3+3+1+1+2 = 19; 1+1+1+1+2 = 6 → 46.
    46: (gbt((3, 2, 1, 2, 1, 2, 2, 1), (2, 2, 2, 1), (2, 2, 3, 2, 3, 3, 1, 1, 2), (1, 1, 1, 1, 2)), (14, 7, 19, 6), "moderate"),
    # As 46 but B.3.8 抑郁症状 0 (negative mood this month): MS 18 → 45.
    45: (gbt((3, 2, 1, 2, 1, 2, 2, 1), (2, 2, 2, 1), (2, 2, 3, 2, 3, 3, 1, 0, 2), (1, 1, 1, 1, 2)), (14, 7, 18, 6), "severe"),
    # 2+1+0+1+1+1+2+1 = 9; 2+1+1+0 = 4; 2+1+2+2+2+2+1+1+2 = 15; 1+1+0+0+0 = 2 → 30.
    30: (gbt((2, 1, 0, 1, 1, 1, 2, 1), (2, 1, 1, 0), (2, 1, 2, 2, 2, 2, 1, 1, 2), (1, 1, 0, 0, 0)), (9, 4, 15, 2), "severe"),
    # As 30 but B.3.7 攻击行为 0 (aggression this month): MS 14 → 29.
    29: (gbt((2, 1, 0, 1, 1, 1, 2, 1), (2, 1, 1, 0), (2, 1, 2, 2, 2, 2, 0, 1, 2), (1, 1, 0, 0, 0)), (9, 4, 14, 2), "complete_loss"),
    # Fully dependent, unresponsive: every item at its lowest option.
    0: (gbt((0,) * 8, (0,) * 4, (0,) * 9, (0,) * 5), (0, 0, 0, 0), "complete_loss"),
}


def gbt_answers(total: int) -> dict[str, int]:
    return dict(GBT_EDGES[total][0])


# MZ/T 039-2013: canned item answers giving each indicator grade.
ADL_BY_GRADE = {
    # 100: all independent.
    0: {
        "eating": 10, "bathing": 5, "grooming": 5, "dressing": 10, "bowel_control": 10,
        "urine_control": 10, "toileting": 10, "bed_chair_transfer": 15, "walking": 15, "stairs": 10,
    },
    # 65: 10+0+5+5+10+5+5+10+10+5.
    1: {
        "eating": 10, "bathing": 0, "grooming": 5, "dressing": 5, "bowel_control": 10,
        "urine_control": 5, "toileting": 5, "bed_chair_transfer": 10, "walking": 10, "stairs": 5,
    },
    # 45: 5+0+0+5+10+5+5+5+5+5.
    2: {
        "eating": 5, "bathing": 0, "grooming": 0, "dressing": 5, "bowel_control": 10,
        "urine_control": 5, "toileting": 5, "bed_chair_transfer": 5, "walking": 5, "stairs": 5,
    },
    # 40: as grade 2 with stairs 0.
    3: {
        "eating": 5, "bathing": 0, "grooming": 0, "dressing": 5, "bowel_control": 10,
        "urine_control": 5, "toileting": 5, "bed_chair_transfer": 5, "walking": 5, "stairs": 0,
    },
}  # fmt: skip
MENTAL_BY_GRADE = {  # totals 0, 1, 2, 4 (cognition 0/1 only: 2 would trigger the raise rule)
    0: {"cognition": 0, "aggression": 0, "depression": 0},
    1: {"cognition": 1, "aggression": 0, "depression": 0},
    2: {"cognition": 1, "aggression": 1, "depression": 0},
    3: {"cognition": 1, "aggression": 2, "depression": 1},
}
SENSORY_BY_GRADE = {
    0: {"consciousness": 0, "vision": 1, "hearing": 1, "communication": 0},
    1: {"consciousness": 0, "vision": 2, "hearing": 0, "communication": 0},
    2: {"consciousness": 0, "vision": 3, "hearing": 0, "communication": 0},
    3: {"consciousness": 0, "vision": 4, "hearing": 0, "communication": 0},
}
SOCIAL_BY_GRADE = {  # totals 2, 7, 13, 14
    0: {"living_ability": 1, "work_ability": 1, "time_space_orientation": 0, "person_orientation": 0, "social_interaction": 0},
    1: {"living_ability": 2, "work_ability": 2, "time_space_orientation": 1, "person_orientation": 1, "social_interaction": 1},
    2: {"living_ability": 3, "work_ability": 3, "time_space_orientation": 3, "person_orientation": 2, "social_interaction": 2},
    3: {"living_ability": 3, "work_ability": 3, "time_space_orientation": 3, "person_orientation": 3, "social_interaction": 2},
}


def mzt_answers(adl: int, mental: int, sensory: int, social: int) -> dict[str, int]:
    return {**ADL_BY_GRADE[adl], **MENTAL_BY_GRADE[mental], **SENSORY_BY_GRADE[sensory], **SOCIAL_BY_GRADE[social]}
