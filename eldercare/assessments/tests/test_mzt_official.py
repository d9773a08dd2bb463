"""MZ/T 039-2013 checked against its official text.

O1: the published PDF of MZ/T 039—2013 (民政部 2013-08-29 发布, 2013-10-01 实施), public repository
catyee/CGAS, path 01-OlderEvaluation.pdf, commit 3b7ffbeff297c13b47cb61837ec8298b8017a4cc (see
standards/SOURCES.md §8). Every expected value below is written out from O1 by hand, page cited
(printed page numbers), and never read from the YAML under test.
"""

import copy
import itertools

import pytest
import yaml

from eldercare.assessments.choices import Reason
from eldercare.assessments.facts import AssessmentFacts
from eldercare.assessments.results import Effect
from eldercare.assessments.scoring import score
from eldercare.assessments.standards import STANDARDS_DIR, ReassessmentEvent, parse_standard
from eldercare.core.datafiles import DataFileError

from .cases import mzt_answers

# 附录B (O1 pp.7–12): item → (number, name, option scores).
OFFICIAL_ITEMS = {
    "eating": ("B.1.1", "进食", {10, 5, 0}),
    "bathing": ("B.1.2", "洗澡", {5, 0}),
    "grooming": ("B.1.3", "修饰", {5, 0}),
    "dressing": ("B.1.4", "穿衣", {10, 5, 0}),
    "bowel_control": ("B.1.5", "大便控制", {10, 5, 0}),
    "urine_control": ("B.1.6", "小便控制", {10, 5, 0}),
    "toileting": ("B.1.7", "如厕", {10, 5, 0}),
    "bed_chair_transfer": ("B.1.8", "床椅转移", {15, 10, 5, 0}),
    "walking": ("B.1.9", "平地行走", {15, 10, 5, 0}),
    "stairs": ("B.1.10", "上下楼梯", {10, 5, 0}),
    "cognition": ("B.2.1", "认知功能", {0, 1, 2}),
    "aggression": ("B.2.2", "攻击行为", {0, 1, 2}),
    "depression": ("B.2.3", "抑郁症状", {0, 1, 2}),
    "consciousness": ("B.3.1", "意识水平", {0, 1, 2, 3}),
    "vision": ("B.3.2", "视力", {0, 1, 2, 3, 4}),
    "hearing": ("B.3.3", "听力", {0, 1, 2, 3, 4}),
    "communication": ("B.3.4", "沟通交流", {0, 1, 2, 3}),
    "living_ability": ("B.4.1", "生活能力", {0, 1, 2, 3, 4}),
    "work_ability": ("B.4.2", "工作能力", {0, 1, 2, 3, 4}),
    "time_space_orientation": ("B.4.3", "时间/空间定向", {0, 1, 2, 3, 4}),
    "person_orientation": ("B.4.4", "人物定向", {0, 1, 2, 3, 4}),
    "social_interaction": ("B.4.5", "社会交往能力", {0, 1, 2, 3, 4}),
}

# Option wordings O1 prints that the transcriptions disputed or that carry a rule.
OFFICIAL_WORDING = {
    ("stairs", 5): "需部分帮助（需他人搀扶，或扶着楼梯、使用拐杖等）",  # p.8
    ("hearing", 2): "正常交流有些困难，需在安静的环静或大声说话才能听到",  # p.10, “环静” as printed
    ("living_ability", 1): "除个人生活自理外，能做家务，但欠好，家庭事务安排欠条理",  # p.11
    ("cognition", 2): "已确诊为认知障碍，如老年痴呆",  # p.9
}
COMA_OPTION = "（若评定为昏迷，直接评定为重度失能，可不进行以下项目的评估）"  # B.3.1 3分, p.10


def adl_grade(total: int) -> int:  # 表2 (p.3): 100 / 65-95 / 45-60 / ≤40
    return 0 if total == 100 else 1 if total >= 65 else 2 if total >= 45 else 3


def mental_grade(total: int) -> int:  # 表3 (p.3): 0 / 1 / 2-3 / 4-6
    return 0 if total == 0 else 1 if total == 1 else 2 if total <= 3 else 3


def social_grade(total: int) -> int:  # 表5 (pp.3–4): 0-2 / 3-7 / 8-13 / 14-20
    return 0 if total <= 2 else 1 if total <= 7 else 2 if total <= 13 else 3


def sensory_grades(c: int, v: int, h: int, m: int) -> set[int]:
    """Every grade whose 表4 (p.3) description fits; c 意识, v 视力, h 听力, m 沟通."""
    fits = set()
    if c == 0 and v <= 1 and h <= 1 and m == 0:
        fits.add(0)
    if c == 0 and (2 in (v, h) or m == 1):
        fits.add(1)
    if (c == 0 and (3 in (v, h) or m == 2)) or (c == 1 and v <= 3 and h <= 3 and m <= 2):
        fits.add(2)
    if (c in (0, 1) and (4 in (v, h) or m == 3)) or c in (2, 3):
        fits.add(3)
    return fits


def official_levels(adl: int, mental: int, sensory: int, social: int) -> set[str]:
    """The levels 5.2.1 表6 with 附录D (card and 注1–3, p.14) allows for a grade combination."""
    others = (mental, sensory, social)
    if adl == 0:  # 表6 能力完好 / 轻度失能; the card also shades 社会参与 3 for 轻度失能
        return {"intact"} if mental == sensory == 0 and social <= 1 else {"mild"}
    if adl == 1:  # 附录D 注2: both criteria, no precedence
        levels = set()
        if any(g <= 1 for g in others):
            levels.add("mild")
        if all(g == 2 for g in others) or 3 in others:
            levels.add("moderate")
        return levels
    if adl == 2:  # 附录D 注3
        return {"severe"} if all(g == 2 for g in others) or 3 in others else {"moderate"}
    return {"severe"}  # 表6: 日常生活活动的分级为3


def totals(codes) -> set[int]:
    sums = {0}
    for code in codes:
        sums = {s + x for s in sums for x in OFFICIAL_ITEMS[code][2]}
    return sums


def test_title_levels_and_indicator_names(mzt):
    assert (mzt.code, mzt.title, mzt.title_en) == ("MZ/T 039-2013", "老年人能力评估", "Ability assessment for older adults")
    assert [level.name for level in mzt.levels] == ["能力完好", "轻度失能", "中度失能", "重度失能"]  # 表6
    assert [i.name for i in mzt.indicators] == ["日常生活活动", "精神状态", "感知觉与沟通", "社会参与"]  # 3.1, 表1
    assert [len(i.items) for i in mzt.indicators] == [10, 3, 4, 5]  # 3.2: 22 二级指标
    for indicator in mzt.indicators:
        assert [g.name for g in sorted(indicator.grades, key=lambda g: g.grade)] == ["能力完好", "轻度受损", "中度受损", "重度受损"]


def test_items_numbers_names_and_option_scores(mzt):
    assert set(mzt.items) == set(OFFICIAL_ITEMS)
    for code, (number, name, scores) in OFFICIAL_ITEMS.items():
        item = mzt.items[code]
        assert (item.number, item.name, set(item.scores)) == (number, name, scores), code
    for (code, points), text in OFFICIAL_WORDING.items():
        assert mzt.items[code].option(points).text == text
    assert mzt.items["consciousness"].option(3).text.endswith(COMA_OPTION)


def test_indicator_clauses(mzt):
    adl, mental, sensory, social = mzt.indicators
    for indicator, clause in ((adl, "5.1.1 表2"), (mental, "5.1.2 表3"), (sensory, "5.1.3 表4"), (social, "5.1.4 表5")):
        assert indicator.grading_clause.startswith(clause)
    assert mzt.combination.clause.startswith("5.2.1 表6")
    assert (mzt.assessors_required, mzt.assessors_clause, mzt.assessors_verified) == (2, "4.3.1", True)  # 4.3.1, p.2


@pytest.mark.parametrize(
    "index,codes,grade_of,maximum",
    [
        (0, list(OFFICIAL_ITEMS)[:10], adl_grade, 100),
        (1, list(OFFICIAL_ITEMS)[10:13], mental_grade, 6),
        (3, list(OFFICIAL_ITEMS)[17:], social_grade, 20),
    ],
)
def test_total_score_bands(mzt, index, codes, grade_of, maximum):
    indicator = mzt.indicators[index]
    reachable = totals(codes)
    assert (indicator.max_score, max(reachable)) == (maximum, maximum)
    for total in reachable:
        (band,) = [g for g in indicator.grades if g.min <= total <= g.max]
        assert band.grade == grade_of(total), (indicator.code, total)


def test_band_edges_end_to_end(mzt):
    answers = mzt_answers(0, 0, 0, 0)
    assert score(mzt, {**answers, "stairs": 5}).indicators[0].grade == 1  # 95
    assert score(mzt, {**answers, "cognition": 2, "aggression": 2}).indicators[1].grade == 3  # 4: 4-6
    assert score(mzt, {**answers, "cognition": 1, "aggression": 2}).indicators[1].grade == 2  # 3: 2-3


def test_perception_and_communication_follow_table_4(mzt):
    """All 400 answer combinations: the grade is one 表4 allows; where it allows two (54 cases),
    the scorer takes the more severe, which 表4 does not say (SOURCES.md §8, still open)."""
    base, ambiguous = mzt_answers(0, 0, 0, 0), 0
    for c, v, h, m in itertools.product(range(4), range(5), range(5), range(4)):
        fits = sensory_grades(c, v, h, m)
        assert fits, (c, v, h, m)
        answers = {**base, "consciousness": c, "vision": v, "hearing": h, "communication": m}
        grade = score(mzt, answers).indicators[2].grade
        assert grade in fits and grade == max(fits), (c, v, h, m)
        ambiguous += len(fits) > 1
    assert ambiguous == 54


def test_level_follows_table_6_and_annex_d(mzt):
    """All 256 grade combinations: the preliminary level is what 表6 with 附录D gives; only the 30
    ADL-1 combinations fitting both 轻度 and 中度 remain the platform's choice (中度)."""
    open_cases = []
    for combo in itertools.product(range(4), repeat=4):
        result = score(mzt, mzt_answers(*combo))
        assert tuple(i.grade for i in result.indicators) == combo
        allowed = official_levels(*combo)
        assert result.base_level.code in allowed, combo
        if len(allowed) > 1:
            open_cases.append(combo)
            assert result.base_level.code == "moderate"
    assert len(open_cases) == 30 and {c[0] for c in open_cases} == {1}


@pytest.mark.parametrize(
    "combo,level", [((0, 0, 0, 3), "mild"), ((2, 0, 0, 0), "moderate"), ((2, 1, 2, 2), "moderate"), ((2, 1, 0, 3), "severe")]
)
def test_annex_d_settles_the_gaps_and_the_adl_2_conflicts(mzt, combo, level):
    assert score(mzt, mzt_answers(*combo)).base_level.code == level


def test_coma_is_severe_whatever_the_grades(mzt):
    """表6 注1 and C.3 第3条: 处于昏迷状态者，直接评定为重度失能; B.3.1 3分 lets B.3 stop there."""
    answers = {**mzt_answers(0, 0, 0, 0), "consciousness": 3}
    for code in ("vision", "hearing", "communication"):
        del answers[code]
    result = score(mzt, answers)
    assert (result.final_level.code, result.adjustments[0].code, result.adjustments[0].effect) == ("severe", "coma", Effect.APPLIED)
    coma = next(a for a in mzt.adjustments if a.code == "coma")
    assert "表6 注1" in coma.clause and "C.3" in coma.clause
    assert score(mzt, mzt_answers(0, 0, 0, 0), AssessmentFacts(coma=True)).final_level.code == "severe"


@pytest.mark.parametrize(
    "answers,facts,final",
    [
        ({}, {"dementia": True}, "moderate"),  # 注2 ① 确诊为认知障碍/痴呆
        ({}, {"mental_disorder": True}, "moderate"),  # 注2 ② 确诊为精神疾病
        ({"cognition": 2}, {}, "moderate"),  # B.2.1 已确诊为认知障碍
        ({"cognition": 1}, {}, "mild"),  # a failed screen is no diagnosis
        ({}, {"care_risk_events": 2}, "moderate"),  # 注2 ③ 2次及以上意外事件, any types together
        ({}, {"care_risk_events": 1}, "mild"),
        ({}, {"dementia": True, "mental_disorder": True, "care_risk_events": 3}, "moderate"),  # 之一: one level
    ],
)
def test_note_2_raises_one_level(mzt, answers, facts, final):
    result = score(mzt, {**mzt_answers(1, 0, 0, 0), **answers}, AssessmentFacts(**facts))
    assert (result.base_level.code, result.final_level.code) == ("mild", final)


def test_note_2_clauses_and_the_cap(mzt):
    clauses = {a.code: a.clause for a in mzt.adjustments}
    assert "表6 注2 ①②" in clauses["cognitive_or_mental_illness"] and "表6 注2 ③" in clauses["accidents_30d"]
    # C.3 第4条: a preliminary 重度失能 is not raised (there is nothing above it either).
    result = score(mzt, mzt_answers(3, 0, 0, 0), AssessmentFacts(dementia=True, care_risk_events=2))
    assert result.final_level.code == "severe" and result.adjustments[0].effect == Effect.GUARD


def test_reassessment_interval_and_change_of_condition(mzt, gbt):
    """4.3.5 (p.2): 每6个月定期评估一次；出现特殊情况导致能力发生变化时，应进行即时评估。"""
    rules = mzt.reassessment
    assert (rules.clause, rules.interval_months) == ("4.3.5", 6)
    change = rules.trigger("change_of_condition")
    assert (change.event, change.clause, change.reason) == (ReassessmentEvent.ABILITY_CHANGED, "4.3.5", Reason.CHANGE_OF_CONDITION)
    assert change.concerns({}, {})  # any assessment in force
    assert gbt.reassessment is None


def test_regaining_consciousness_calls_for_a_new_assessment(mzt):
    """表6 注1 (p.4): 处于昏迷状态者，直接评定为重度失能。若意识转为清醒，需重新进行评估。"""
    note = mzt.reassessment.trigger("regained_consciousness")
    assert (note.event, note.clause, note.reason) == (ReassessmentEvent.CONSCIOUSNESS_REGAINED, "5.2.1 表6 注1", Reason.CHANGE_OF_CONDITION)
    assert "若意识转为清醒，需重新进行评估" in note.text
    # It concerns an assessment that found the elder in coma, by the item or by the fact …
    assert note.concerns({"consciousness": 3}, {}) and note.concerns({}, {"coma": True})
    assert not note.concerns({"consciousness": 0}, {"coma": False})
    assert not note.concerns({"consciousness": 2}, {})  # 昏睡 is not 昏迷
    # … and fires when the elder is observed 神志清醒 (B.3.1 0分).
    assert note.fired_by("consciousness", 0)
    assert not any(note.fired_by("consciousness", s) for s in (1, 2, 3)) and not note.fired_by("vision", 0)


@pytest.fixture
def mzt_data():
    return copy.deepcopy(yaml.safe_load((STANDARDS_DIR / "mzt_039_2013.yaml").read_text(encoding="utf-8")))


def refusal(data) -> tuple[str, str, str]:
    """What the loader says of a broken standard: (its code, the entry's path, the message)."""
    with pytest.raises(DataFileError) as info:
        parse_standard(data, "broken.yaml")
    return info.value.code, info.value.path, str(info.value)


def trigger_of(data, code: str) -> tuple[int, dict]:
    triggers = data["reassessment"]["triggers"]
    index = next(i for i, t in enumerate(triggers) if t["code"] == code)
    return index, triggers[index]


@pytest.mark.parametrize(
    "change,code,path",
    [
        (lambda t: t.update(event="woke_up"), DataFileError.UNKNOWN_RULE, "event"),
        (lambda t: t.update(reason="whenever"), DataFileError.UNKNOWN_NAME, "reason"),
        (lambda t: t.pop("observed"), DataFileError.MISSING, "observed"),
        (lambda t: t["observed"].update(item="alertness"), DataFileError.UNKNOWN_NAME, "observed.item"),
        (lambda t: t["observed"].update({"in": [5]}), DataFileError.BAD_VALUE, "observed.in"),
        (lambda t: t["applies_if"]["when_any"][0].update(fact="asleep"), DataFileError.UNKNOWN_NAME, "applies_if.when_any[0].fact"),
        (lambda t: t.pop("applies_if"), DataFileError.MISSING, "applies_if"),
        (lambda t: t.pop("clause"), DataFileError.MISSING, "clause"),
    ],
)
def test_loader_refuses_a_bad_reassessment_trigger(mzt_data, change, code, path):
    index, trigger = trigger_of(mzt_data, "regained_consciousness")
    change(trigger)
    where = f"reassessment.triggers[{index}].{path}"
    found, at, message = refusal(mzt_data)
    assert (found, at) == (code, where), message
    assert message.startswith(f"broken.yaml: {where}: ")


def test_loader_refuses_a_bad_reassessment_section(mzt_data):
    mzt_data["reassessment"]["interval_months"] = 0
    found, at, message = refusal(mzt_data)
    assert (found, at) == (DataFileError.BAD_VALUE, "reassessment.interval_months"), message
    assert message.startswith("broken.yaml: reassessment.interval_months: ")
    mzt_data["reassessment"]["interval_months"] = 6
    mzt_data["reassessment"]["triggers"].append(dict(mzt_data["reassessment"]["triggers"][0]))
    where = f"reassessment.triggers[{len(mzt_data['reassessment']['triggers']) - 1}].code"
    found, at, message = refusal(mzt_data)
    assert (found, at) == (DataFileError.BAD_VALUE, where), message
    assert message.startswith(f"broken.yaml: {where}: ")
