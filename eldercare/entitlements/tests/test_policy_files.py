"""Policy files are checked on load: a mistake names the file and the entry, never a traceback."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from eldercare.core.datafiles import DataFileError
from eldercare.entitlements.policy import POLICIES_DIR, Basis, Unit, load_policies, parse_policy

FILE = "330100000000-hangzhou-2020-47.yaml"
ORIGINAL = yaml.safe_load((POLICIES_DIR / FILE).read_text(encoding="utf-8"))


def refused(mutate, file: str = FILE) -> DataFileError:
    data = copy.deepcopy(ORIGINAL)
    mutate(data)
    with pytest.raises(DataFileError) as caught:
        parse_policy(data, file)
    return caught.value


def test_shipped_policies_load():
    policies = {p.id: p for p in load_policies()}
    assert set(policies) == {"hangzhou-2020-47", "nanyang-2021-37"}
    hz = policies["hangzhou-2020-47"]
    assert hz.valid_from == dt.date(2020, 11, 10)
    # Dates per benefit: the hours have the file's, the two subsidies their own start.
    dates = {key: (b.valid_from, b.valid_to, bool(b.valid_from_citation)) for key, b in hz.benefits.items()}
    assert dates == {
        "home_care_hours": (dt.date(2020, 11, 10), None, False),
        "institution_subsidy": (dt.date(2021, 1, 1), None, True),
        "respite_subsidy": (dt.date(2021, 1, 1), None, True),
    }
    ny = policies["nanyang-2021-37"]
    assert [(b.valid_from, b.valid_to) for b in ny.benefits.values()] == [(dt.date(2021, 10, 13), dt.date(2023, 12, 31))]
    assert hz.benefits["home_care_hours"].unit == Unit.HOUR
    assert hz.benefits["respite_subsidy"].basis == Basis.STAY_DAY
    # Stored units: hours in minutes, yuan in fen.
    assert [t.amount for t in hz.benefits["home_care_hours"].tiers] == [52 * 60, 38 * 60, 6 * 60, 3 * 60]
    assert hz.benefits["institution_subsidy"].tiers[0].amount == 600_00
    assert [t.amount for t in policies["nanyang-2021-37"].benefits["purchased_home_care"].tiers] == [300_00, 200_00]


def test_every_tier_cites_its_source():
    for policy in load_policies():
        for benefit in policy.benefits.values():
            for tier in benefit.tiers:
                assert "号" in tier.citation, (policy.id, benefit.key, tier.id)


def test_half_hours_are_allowed_but_not_fractions_of_a_minute():
    parsed = parse_policy(_with_amount(2.5), FILE)
    assert parsed.benefits["home_care_hours"].tiers[0].amount == 150
    error = refused(lambda d: d["benefits"]["home_care_hours"]["tiers"][0].update(amount=1.0001))
    assert error.path == "benefits.home_care_hours.tiers[0].amount"


def _with_amount(amount):
    data = copy.deepcopy(ORIGINAL)
    data["benefits"]["home_care_hours"]["tiers"][0]["amount"] = amount
    return data


@pytest.mark.parametrize(
    ("mutate", "path", "code"),
    [
        (lambda d: d.update(colour="red"), "(top)", DataFileError.UNKNOWN_NAME),
        (lambda d: d.pop("valid_from"), "valid_from", DataFileError.MISSING),
        (lambda d: d.update(valid_to=dt.date(2020, 1, 1)), "valid_to", DataFileError.BAD_VALUE),
        (lambda d: d.update(region="3301"), "region", DataFileError.BAD_VALUE),
        (lambda d: d["benefits"]["home_care_hours"].update(unit="day"), "benefits.home_care_hours.unit", DataFileError.UNKNOWN_RULE),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][0].update(amount=-3),
            "benefits.home_care_hours.tiers[0].amount",
            DataFileError.BAD_VALUE,
        ),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][0].update(amount="three"),
            "benefits.home_care_hours.tiers[0].amount",
            DataFileError.BAD_VALUE,
        ),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][0].pop("citation"),
            "benefits.home_care_hours.tiers[0].citation",
            DataFileError.MISSING,
        ),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][0]["when"].update(shoe_size=42),
            "benefits.home_care_hours.tiers[0].when",
            DataFileError.UNKNOWN_RULE,
        ),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][2]["when"].update(age={"min": 90, "max": 80}),
            "benefits.home_care_hours.tiers[2].when.age",
            DataFileError.BAD_VALUE,
        ),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][0]["when"].update(groups_any=["rich"]),
            "benefits.home_care_hours.tiers[0].when.groups_any",
            DataFileError.UNKNOWN_NAME,
        ),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][0]["when"].update(hukou_in=["33"]),
            "benefits.home_care_hours.tiers[0].when.hukou_in",
            DataFileError.BAD_VALUE,
        ),
        (
            lambda d: d["benefits"]["home_care_hours"]["tiers"][1].update(id="care_severe"),
            "benefits.home_care_hours.tiers[1].id",
            DataFileError.DUPLICATE_ITEM,
        ),
        (lambda d: d["benefits"]["institution_subsidy"].pop("stay"), "benefits.institution_subsidy.stay", DataFileError.MISSING),
        (
            lambda d: d["benefits"]["respite_subsidy"].pop("monthly_cap_citation"),
            "benefits.respite_subsidy.monthly_cap_citation",
            DataFileError.MISSING,
        ),
        (lambda d: d["exclusions"][0].update(benefits=["home_care_hours", "pension"]), "exclusions[0].benefits", DataFileError.BAD_VALUE),
    ],
)
def test_mistakes_are_named(mutate, path, code):
    error = refused(mutate)
    assert (error.path, error.code) == (path, code)
    assert FILE in str(error)


def _benefit(key, **changes):
    """A mutation setting (or, with None, removing) entries of one benefit."""

    def mutate(data):
        for name, value in changes.items():
            if value is None:
                data["benefits"][key].pop(name, None)
            else:
                data["benefits"][key][name] = value

    return mutate


def _file_and_benefit(file_changes, key, **changes):
    def mutate(data):
        data.update(file_changes)
        _benefit(key, **changes)(data)

    return mutate


INSTITUTION = "benefits.institution_subsidy"


@pytest.mark.parametrize(
    ("mutate", "path", "code"),
    [
        # Before the file's valid_from (2020-11-10).
        (_benefit("institution_subsidy", valid_from=dt.date(2020, 11, 9)), f"{INSTITUTION}.valid_from", DataFileError.BAD_VALUE),
        # The file starting after the benefit's own start.
        (lambda d: d.update(valid_from=dt.date(2021, 2, 1)), f"{INSTITUTION}.valid_from", DataFileError.BAD_VALUE),
        # After the file's valid_to.
        (
            _file_and_benefit(
                {"valid_to": dt.date(2025, 12, 31)}, "institution_subsidy", valid_to=dt.date(2026, 1, 31), valid_to_citation="x"
            ),
            f"{INSTITUTION}.valid_to",
            DataFileError.BAD_VALUE,
        ),
        (
            _file_and_benefit({"valid_to": dt.date(2020, 12, 31)}, "institution_subsidy"),  # its 2021-01-01 start is after the file's end
            f"{INSTITUTION}.valid_from",
            DataFileError.BAD_VALUE,
        ),
        # Ending before it starts.
        (
            _benefit("institution_subsidy", valid_to=dt.date(2020, 12, 31), valid_to_citation="x"),
            f"{INSTITUTION}.valid_to",
            DataFileError.BAD_VALUE,
        ),
        (_benefit("institution_subsidy", valid_from="2021-01"), f"{INSTITUTION}.valid_from", DataFileError.BAD_VALUE),
        # A date without its citation, an empty citation, a citation without its date.
        (_benefit("institution_subsidy", valid_from_citation=None), f"{INSTITUTION}.valid_from_citation", DataFileError.MISSING),
        (_benefit("institution_subsidy", valid_from_citation=""), f"{INSTITUTION}.valid_from_citation", DataFileError.BAD_VALUE),
        (_benefit("home_care_hours", valid_to=dt.date(2030, 1, 1)), "benefits.home_care_hours.valid_to_citation", DataFileError.MISSING),
        (_benefit("home_care_hours", valid_from_citation="x"), "benefits.home_care_hours.valid_from_citation", DataFileError.BAD_VALUE),
        (_benefit("home_care_hours", valid_until=dt.date(2030, 1, 1)), "benefits.home_care_hours", DataFileError.UNKNOWN_NAME),
    ],
)
def test_bad_benefit_dates_are_named(mutate, path, code):
    error = refused(mutate)
    assert (error.path, error.code) == (path, code)
    assert FILE in str(error)


def test_benefit_dates_inside_the_files_are_accepted():
    data = copy.deepcopy(ORIGINAL)
    data["valid_to"] = dt.date(2025, 12, 31)
    _benefit("institution_subsidy", valid_to=dt.date(2025, 12, 31), valid_to_citation="x")(data)
    _benefit("home_care_hours", valid_from=dt.date(2020, 11, 10), valid_from_citation="y")(data)  # on the file's own day
    parsed = parse_policy(data, FILE)
    institution, hours = parsed.benefits["institution_subsidy"], parsed.benefits["home_care_hours"]
    assert (institution.valid_from, institution.valid_to) == (dt.date(2021, 1, 1), dt.date(2025, 12, 31))
    assert institution.valid_to_citation == "x"
    assert (hours.valid_from, hours.valid_to, hours.valid_from_citation) == (dt.date(2020, 11, 10), dt.date(2025, 12, 31), "y")
    assert parsed.benefits["respite_subsidy"].valid_to == dt.date(2025, 12, 31)  # the file's end, without one of its own


def test_the_file_name_carries_the_region():
    error = refused(lambda d: None, file="411300000000-copy.yaml")
    assert error.path == "region"
