import copy

import pytest
import yaml

from eldercare.assessments.choices import LevelCode, StandardCode
from eldercare.assessments.standards import FILES, STANDARDS_DIR, Method, get_standard, load_standard_file, parse_standard
from eldercare.core.datafiles import DataFileError


def raw(name: str) -> dict:
    return yaml.safe_load((STANDARDS_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture
def gbt_data():
    return copy.deepcopy(raw("gbt_42195_2022.yaml"))


@pytest.fixture
def mzt_data():
    return copy.deepcopy(raw("mzt_039_2013.yaml"))


def assert_refused(data, code: str, path: str) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        parse_standard(data, "broken.yaml")
    assert (info.value.code, info.value.path) == (code, path), str(info.value)
    assert str(info.value).startswith(f"broken.yaml: {path}: ")
    return info.value


def test_both_standards_load(gbt, mzt):
    assert (gbt.method, len(gbt.indicators), len(gbt.items), gbt.total_max) == (Method.SUM_BANDS, 4, 26, 90)
    assert [i.max_score for i in gbt.indicators] == [32, 15, 28, 15]
    assert [level.code for level in gbt.levels] == ["intact", "mild", "moderate", "severe", "complete_loss"]
    assert [(b.min, b.max) for b in gbt.bands] == [(90, 90), (66, 89), (46, 65), (30, 45), (0, 29)]
    assert (mzt.method, len(mzt.indicators), len(mzt.items)) == (Method.GRADED_COMBINATION, 4, 22)
    assert [level.code for level in mzt.levels] == ["intact", "mild", "moderate", "severe"]
    assert (gbt.assessors_required, mzt.assessors_required, mzt.assessors_clause) == (2, 2, "4.3.1")
    assert not gbt.assessors_verified and mzt.assessors_verified
    assert get_standard("GB/T 42195-2022") is gbt  # cached


def test_the_records_vocabulary_covers_every_standard():
    assert set(StandardCode.values) == set(FILES)
    for code in FILES:
        assert {level.code for level in get_standard(code).levels} <= set(LevelCode.values)


def test_an_unknown_standard_is_a_key_error():
    with pytest.raises(KeyError):
        get_standard("DB33/T 2021")


def test_loading_a_file_names_it(tmp_path, gbt_data):
    gbt_data["bands"][0]["level"] = "perfect"
    path = tmp_path / "gbt_copy.yaml"
    path.write_text(yaml.safe_dump(gbt_data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"^gbt_copy\.yaml: bands\[0\]\.level: 未知的level“perfect”"):
        load_standard_file(path)


def test_duplicate_item_codes(gbt_data):
    gbt_data["indicators"][3]["items"][4]["code"] = "eating"
    assert_refused(gbt_data, DataFileError.DUPLICATE_ITEM, "indicators[3].items[4].code")


def test_option_score_outside_the_indicator_range(gbt_data):
    gbt_data["indicators"][0]["items"][0]["options"][0]["score"] = 40
    assert_refused(gbt_data, DataFileError.SCORE_OUT_OF_RANGE, "indicators[0].items[0].options[0].score")


def test_item_maxima_must_add_up(gbt_data):
    gbt_data["indicators"][1]["max_score"] = 16
    assert_refused(gbt_data, DataFileError.BAD_VALUE, "indicators[1].max_score")
    gbt_data["indicators"][1]["max_score"] = 15
    gbt_data["total_score"]["max"] = 100
    assert_refused(gbt_data, DataFileError.BAD_VALUE, "total_score")


@pytest.mark.parametrize(
    "band,field,value,detail",
    [(1, "min", 67, "total 66 → no band"), (1, "max", 90, "total 90 → 2 bands"), (4, "min", 1, "total 0 → no band")],
)
def test_bands_must_tile_the_total_range(gbt_data, band, field, value, detail):
    gbt_data["bands"][band][field] = value
    error = assert_refused(gbt_data, DataFileError.BANDS_NOT_TILING, "bands")
    assert detail in str(error)


def test_indicator_grade_bands_must_cover_every_reachable_total(mzt_data):
    mzt_data["indicators"][0]["grading"]["bands"][1]["max"] = 90  # 95 now falls in no band
    error = assert_refused(mzt_data, DataFileError.BANDS_NOT_TILING, "indicators[0].grading.bands")
    assert "total 95" in str(error)


def test_unknown_adjustment_rule(gbt_data):
    gbt_data["adjustments"][1]["rule"] = "raise_two_levels"
    error = assert_refused(gbt_data, DataFileError.UNKNOWN_RULE, "adjustments[1].rule")
    assert "raise_one_level" in str(error)


def test_unknown_fact_or_item_in_a_trigger(gbt_data, mzt_data):
    gbt_data["adjustments"][2]["trigger"]["when_any"][0]["fact"] = "falls"
    assert_refused(gbt_data, DataFileError.UNKNOWN_NAME, "adjustments[2].trigger.when_any[0].fact")
    mzt_data["adjustments"][0]["trigger"]["when_any"][2]["in"] = [3]
    assert_refused(mzt_data, DataFileError.BAD_VALUE, "adjustments[0].trigger.when_any[2].in")


def test_unknown_scoring_method_and_stacking(gbt_data):
    gbt_data["adjustment_semantics"]["stacking"] = "unresolved"
    assert_refused(gbt_data, DataFileError.UNKNOWN_RULE, "adjustment_semantics.stacking")
    gbt_data["method"] = "weighted"
    assert_refused(gbt_data, DataFileError.UNKNOWN_RULE, "method")


def test_missing_entry(gbt_data):
    del gbt_data["title_en"]
    assert_refused(gbt_data, DataFileError.MISSING, "title_en")


def test_combination_table_must_resolve_every_combination(mzt_data):
    table = mzt_data["combination_table"]
    table["supplementary_rules"] = [r for r in table["supplementary_rules"] if r["id"] != "P2"]
    error = assert_refused(mzt_data, DataFileError.UNRESOLVED, "combination_table.rules")
    assert "(2, 0, 0, 0)" in str(error)


def test_combination_rules_name_known_grades(mzt_data):
    mzt_data["combination_table"]["rules"][0]["when"]["iadl"] = [0]
    assert_refused(mzt_data, DataFileError.BAD_VALUE, "combination_table.rules[0].when.iadl")


def test_grading_rules_must_cover_every_answer_combination(mzt_data):
    bands = mzt_data["indicators"][2]["grading"]["bands"]
    mzt_data["indicators"][2]["grading"]["bands"] = [b for b in bands if b["grade"] != 0]
    assert_refused(mzt_data, DataFileError.UNRESOLVED, "indicators[2].grading.bands")


def test_skips_must_name_items_of_the_same_indicator(mzt_data):
    mzt_data["indicators"][2]["items"][0]["options"][3]["skips"] = ["stairs"]
    assert_refused(mzt_data, DataFileError.UNKNOWN_NAME, "items.consciousness.options.skips")
