import dataclasses

import pytest

from eldercare.assessments.errors import ScoringError
from eldercare.assessments.facts import AssessmentFacts
from eldercare.assessments.results import Effect
from eldercare.assessments.scoring import check_answers, score
from eldercare.assessments.standards import Stacking

from .cases import GBT_EDGES, gbt_answers


@pytest.mark.parametrize("total", sorted(GBT_EDGES, reverse=True))
def test_every_band_edge_from_real_answers(gbt, total):
    answers, subtotals, level = GBT_EDGES[total]
    result = score(gbt, answers)
    assert [ind.score for ind in result.indicators] == list(subtotals)
    assert result.total == total
    assert result.base_level.code == result.final_level.code == level
    assert result.adjustments == ()
    assert f"总分{total}分" in result.explanation and f"Total {total} of 90" in result.explanation


def test_indicator_maxima_and_result_record(gbt):
    result = score(gbt, gbt_answers(90))
    assert result.indicator_scores() == {
        "self_care": {"score": 32, "max_score": 32, "grade": None, "grade_name": ""},
        "basic_mobility": {"score": 15, "max_score": 15, "grade": None, "grade_name": ""},
        "mental_status": {"score": 28, "max_score": 28, "grade": None, "grade_name": ""},
        "perception_social": {"score": 15, "max_score": 15, "grade": None, "grade_name": ""},
    }
    assert result.explanation_zh[-1] == "最终等级：能力完好"
    assert result.explanation_en[-1] == "Final level: capability intact"


def test_coma_is_complete_loss_whatever_the_score(gbt):
    # C.4, not the B.3.9 note (which says 重度失能): see the scoring module's docstring.
    result = score(gbt, gbt_answers(90), AssessmentFacts(coma=True))
    assert (result.base_level.code, result.final_level.code) == ("intact", "complete_loss")
    [adj] = result.adjustments
    assert (adj.code, adj.effect, adj.clause) == ("coma", Effect.APPLIED, "附录C C.4")
    assert "直接评定为能力完全丧失（完全失能）" in result.explanation


@pytest.mark.parametrize("fact", ["dementia", "mental_disorder"])
def test_diagnosed_dementia_or_mental_disorder_raises_one_level(gbt, fact):
    result = score(gbt, gbt_answers(66), AssessmentFacts(**{fact: True}))
    assert (result.base_level.code, result.final_level.code) == ("mild", "moderate")
    [adj] = result.adjustments
    assert adj.code == "dementia_or_mental_disorder" and adj.effect == Effect.APPLIED
    assert "F00～F03" in adj.text


def test_two_care_risk_events_in_thirty_days_raise_one_level_one_does_not(gbt):
    assert score(gbt, gbt_answers(46), AssessmentFacts(care_risk_events=1)).final_level.code == "moderate"
    result = score(gbt, gbt_answers(46), AssessmentFacts(care_risk_events=2))
    assert result.final_level.code == "severe"
    assert [a.code for a in result.adjustments] == ["care_risk_events"]


def test_several_raise_conditions_raise_exactly_one_level(gbt):
    result = score(gbt, gbt_answers(89), AssessmentFacts(dementia=True, mental_disorder=True, care_risk_events=5))
    assert (result.base_level.code, result.final_level.code) == ("mild", "moderate")
    assert [(a.code, a.effect) for a in result.adjustments] == [
        ("dementia_or_mental_disorder", Effect.APPLIED),
        ("care_risk_events", Effect.COUNTED_ONCE),
    ]
    assert "只提高一个等级" in result.explanation


def test_a_raise_never_goes_past_the_last_level(gbt):
    result = score(gbt, gbt_answers(29), AssessmentFacts(dementia=True, care_risk_events=3))
    assert (result.base_level.code, result.final_level.code) == ("complete_loss", "complete_loss")
    assert [a.effect for a in result.adjustments] == [Effect.AT_LAST_LEVEL, Effect.COUNTED_ONCE]
    # From severe, one raise reaches the last level.
    assert score(gbt, gbt_answers(30), AssessmentFacts(dementia=True)).final_level.code == "complete_loss"


def test_coma_overrides_the_raise_rules(gbt):
    result = score(gbt, gbt_answers(66), AssessmentFacts(coma=True, dementia=True))
    assert result.final_level.code == "complete_loss"
    assert [(a.code, a.effect) for a in result.adjustments] == [
        ("coma", Effect.APPLIED),
        ("dementia_or_mental_disorder", Effect.OVERRIDDEN),
    ]


def test_per_condition_stacking_is_data_and_still_capped(gbt):
    stacked = dataclasses.replace(gbt, stacking=Stacking.PER_CONDITION)
    both = AssessmentFacts(dementia=True, care_risk_events=2)
    assert score(stacked, gbt_answers(89), both).final_level.code == "severe"
    result = score(stacked, gbt_answers(45), both)
    assert result.final_level.code == "complete_loss"
    assert [a.effect for a in result.adjustments] == [Effect.APPLIED, Effect.AT_LAST_LEVEL]


def test_missing_answers_are_listed(gbt):
    answers = gbt_answers(90)
    del answers["bathing"], answers["transport"]
    with pytest.raises(ScoringError) as info:
        score(gbt, answers)
    assert info.value.code == ScoringError.MISSING_ANSWERS
    assert info.value.details["codes"] == ["bathing", "transport"]
    assert "B.1.3 洗澡" in str(info.value) and "B.4.4 使用交通工具外出" in str(info.value)
    check_answers(gbt, answers, complete=False)  # a partial save is fine


def test_unknown_item_codes_are_refused(gbt):
    with pytest.raises(ScoringError) as info:
        score(gbt, {**gbt_answers(90), "smartphone_use": 2, "adl": 1})
    assert info.value.code == ScoringError.UNKNOWN_ITEMS
    assert info.value.details["codes"] == ["adl", "smartphone_use"]
    with pytest.raises(ScoringError):
        check_answers(gbt, {"smartphone_use": 2}, complete=False)


@pytest.mark.parametrize(
    "item,value",
    [("stairs", 4), ("aggression", 2), ("consciousness", -1), ("eating", "4"), ("vision", True), ("memory", 2.0)],
)
def test_a_score_that_is_not_an_option_score_is_refused(gbt, item, value):
    with pytest.raises(ScoringError) as info:
        score(gbt, {**gbt_answers(90), item: value})
    assert info.value.code == ScoringError.INVALID_SCORE
    assert info.value.details["codes"] == [item]
    assert "不是该项目的选项分值" in str(info.value) and "not option scores" in str(info.value)


@pytest.mark.parametrize("facts", [{"coma": "yes"}, {"care_risk_events": -1}, {"care_risk_events": True}, {"falls": 2}])
def test_bad_facts_are_refused(facts):
    with pytest.raises(ScoringError) as info:
        AssessmentFacts.from_mapping(facts)
    assert info.value.code == ScoringError.INVALID_FACTS


def test_errors_are_validation_errors_with_a_plain_message(gbt):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        score(gbt, {})
    assert info.value.messages == [str(info.value)]
