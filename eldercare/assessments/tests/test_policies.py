import datetime as dt
import shutil

import pytest
import yaml

from eldercare.assessments.choices import LevelCode
from eldercare.assessments.policies import POLICIES_DIR, categories_for, reassessment_interval
from eldercare.core.datafiles import DataFileError
from eldercare.core.months import add_months

HANGZHOU = "330100000000"
QINGBO_COMMUNITY = "330102001001"  # 杭州市上城区清波街道清波社区
NANYANG_VILLAGE = "411302100201"  # a village in 南阳市


@pytest.fixture
def policy_dir(tmp_path):
    shutil.copy(POLICIES_DIR / "default.yaml", tmp_path / "default.yaml")
    return tmp_path


def write(directory, name, data):
    (directory / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    "level,category,degree",
    [
        ("intact", "self_caring", "none"),
        ("mild", "semi_disabled", "mild"),
        ("moderate", "disabled", "moderate"),
        ("severe", "disabled", "severe"),
        ("complete_loss", "disabled", "severe"),
    ],
)
def test_platform_default_mapping(level, category, degree):
    found = categories_for(level, QINGBO_COMMUNITY)
    assert (found.care_category, found.disability_degree, found.region) == (category, degree, "default")
    assert "GB/T 42195-2022" in found.citation


def test_the_default_maps_every_level():
    assert {level: categories_for(level, QINGBO_COMMUNITY).region for level in LevelCode.values} == dict.fromkeys(
        LevelCode.values, "default"
    )


def test_the_most_specific_region_wins_level_by_level(policy_dir):
    write(
        policy_dir,
        HANGZHOU,
        {
            "region": HANGZHOU,
            "name": "杭州市",
            "levels": {"mild": {"care_category": "disabled", "disability_degree": "mild", "citation": "测试用杭州文件 第1条"}},
        },
    )
    write(
        policy_dir,
        "330102001000",
        {
            "region": "330102001000",
            "levels": {"mild": {"care_category": "self_caring", "disability_degree": "mild", "citation": "测试用街道文件"}},
        },
    )
    street = categories_for("mild", QINGBO_COMMUNITY, directory=policy_dir)
    assert (street.care_category, street.region) == ("self_caring", "330102001000")
    city = categories_for("mild", "330105001001", directory=policy_dir)  # another district of Hangzhou
    assert (city.care_category, city.citation, city.region) == ("disabled", "测试用杭州文件 第1条", HANGZHOU)
    # Levels the override does not name fall through to the default.
    assert categories_for("moderate", QINGBO_COMMUNITY, directory=policy_dir).region == "default"
    assert categories_for("mild", NANYANG_VILLAGE, directory=policy_dir).region == "default"


def test_reassessment_interval_default_per_standard_and_override(policy_dir):
    general = reassessment_interval("GB/T 42195-2022", QINGBO_COMMUNITY, directory=policy_dir)
    assert (general.months, general.region) == (12, "default")
    assert general.due(dt.date(2024, 3, 1)) == dt.date(2025, 3, 1)
    mzt = reassessment_interval("MZ/T 039-2013", QINGBO_COMMUNITY, directory=policy_dir)
    assert mzt.months == 6 and "4.3.5" in mzt.citation
    write(policy_dir, "411300000000", {"region": "411300000000", "reassessment": {"interval_months": 24, "citation": "测试用南阳文件"}})
    nanyang = reassessment_interval("MZ/T 039-2013", NANYANG_VILLAGE, directory=policy_dir)
    assert (nanyang.months, nanyang.region) == (24, "411300000000")


@pytest.mark.parametrize(
    "data,path",
    [
        (
            {"region": "330100000000", "levels": {"mild": {"care_category": "half", "disability_degree": "mild", "citation": "x"}}},
            "levels.mild.care_category",
        ),
        (
            {
                "region": "330100000000",
                "levels": {"perfect": {"care_category": "self_caring", "disability_degree": "none", "citation": "x"}},
            },
            "levels.perfect",
        ),
        (
            {"region": "330100000000", "levels": {"mild": {"care_category": "disabled", "disability_degree": "mild"}}},
            "levels.mild.citation",
        ),
        ({"region": "330200000000"}, "region"),
        ({"region": "330100000000", "subsidy": 300}, "(top)"),
        ({"region": "330100000000", "reassessment": {"interval_months": 0, "citation": "x"}}, "reassessment.interval_months"),
        (
            {"region": "330100000000", "reassessment": {"by_standard": {"DB33": {"interval_months": 6, "citation": "x"}}}},
            "reassessment.by_standard.DB33",
        ),
    ],
)
def test_a_bad_region_file_is_refused_naming_the_entry(policy_dir, data, path):
    write(policy_dir, HANGZHOU, data)
    with pytest.raises(DataFileError) as info:
        categories_for("mild", QINGBO_COMMUNITY, directory=policy_dir)
    assert info.value.file == f"{HANGZHOU}.yaml" and info.value.path == path, str(info.value)


def test_the_default_must_map_every_level(tmp_path):
    data = yaml.safe_load((POLICIES_DIR / "default.yaml").read_text(encoding="utf-8"))
    del data["levels"]["complete_loss"]
    write(tmp_path, "default", data)
    with pytest.raises(DataFileError, match="complete_loss"):
        categories_for("mild", QINGBO_COMMUNITY, directory=tmp_path)


def test_unknown_level_or_region_code():
    with pytest.raises(ValueError):
        categories_for("fine", QINGBO_COMMUNITY)
    with pytest.raises(ValueError):
        categories_for("mild", "3301")


@pytest.mark.parametrize(
    "start,months,due",
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 8, 31), 6, dt.date(2025, 2, 28)),
        (dt.date(2024, 12, 15), 1, dt.date(2025, 1, 15)),
    ],
)
def test_add_months(start, months, due):
    assert add_months(start, months) == due
