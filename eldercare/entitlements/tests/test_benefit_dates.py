"""Dates per benefit, through every consumer: issuance, stay days, simulation, the elder's page.

Hangzhou's 杭政办函〔2020〕47号 is in force from “本意见自2020年11月10日起施行”; 二(三)7's free
home-care hours have no date of their own, 二(四)12's institution and respite subsidies start
“自2021年1月1日起”. The dates and amounts below are parsed from the seed text in
test_seed_policies (regular expressions over the document's words), not read from the policy file.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
import yaml

from eldercare.accounts.roles import Role
from eldercare.core.months import month_last_day
from eldercare.entitlements import selectors
from eldercare.entitlements.engine import decide, grant
from eldercare.entitlements.models import Account, IssuanceRun, RunStatus
from eldercare.entitlements.policy import POLICIES_DIR, get_policy, parse_policy
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.entitlements.simulation import Change, simulate
from eldercare.facilities.models import Institution, Stay
from eldercare.tests import builders as testing

from .conftest import assessed
from .factories import facts, granted, stay
from .test_seed_policies import AGE_LO, HOURS_80, HZ_IN_FORCE, HZ_SUBSIDY_START, INSTITUTION_YUAN, RESPITE_DAYS, RESPITE_YUAN

NOVEMBER = HZ_IN_FORCE.replace(day=1)  # 2020-11: in force from the 10th, so the whole month
DECEMBER = dt.date(2020, 12, 1)  # the hours only
JANUARY = HZ_SUBSIDY_START  # 2021-01: the hours and the subsidies
HOURS_KEY, INSTITUTION_KEY = "hangzhou-2020-47/home_care_hours", "hangzhou-2020-47/institution_subsidy"


def after(month: dt.date) -> dt.date:
    """A day after `month` has ended (stay-based benefits are issued then)."""
    return month_last_day(month) + dt.timedelta(days=2)


def run_for(region, month, today):
    return issuance_execute(run_id=IssuanceRun.objects.create(region=region, month=month).pk, today=today)


def issued(elder, month) -> dict[str, int]:
    return dict(Account.objects.filter(elder=elder, month=month).values_list("benefit", "issued"))


@pytest.fixture
def early(city):
    """Elders of 上城区 in late 2020: one aged 80 on 2020-11-01 (the age hours only); one of 75,
    severely disabled, in a private institution since 2020-12-10 (the subsidy only, from January);
    one of 85 who is both."""
    home = Institution.objects.create(name="清波颐养院", kind="institution", ownership="private", community=city.community, beds=100)
    eighty = testing.elder(residence=city.community, birth=NOVEMBER.replace(year=NOVEMBER.year - AGE_LO), hukou_region=city.community)
    resident = testing.elder(residence=city.community, birth=dt.date(1945, 3, 1), hukou_region=city.community)
    both = testing.elder(residence=city.community_b, birth=dt.date(1935, 3, 1), hukou_region=city.community_b)
    for elder in (resident, both):
        assessed(elder, "severe", effective_from=dt.date(2020, 1, 1))
        Stay.objects.create(elder=elder, facility=home, kind="long_term", start=dt.date(2020, 12, 10))
    return {"eighty": eighty, "resident": resident, "both": both, "home": home}


class TestIssuance:
    def test_november_2020_hours_are_issued_from_the_in_force_date(self, city, early):
        run = run_for(city.city, NOVEMBER, today=HZ_IN_FORCE + dt.timedelta(days=5))
        assert run.status == RunStatus.DONE
        assert issued(early["eighty"], NOVEMBER) == {"home_care_hours": HOURS_80 * 60}
        assert issued(early["both"], NOVEMBER) == {"home_care_hours": HOURS_80 * 60}
        assert issued(early["resident"], NOVEMBER) == {}
        account = Account.objects.get(elder=early["eighty"], month=NOVEMBER)
        assert account.expires_on == month_last_day(NOVEMBER)
        # The subsidies are not the month's at all: not waiting for its end either.
        assert run.summary["skipped"] == []
        assert list(run.summary["benefits"]) == [HOURS_KEY]

    def test_december_2020_issues_the_hours_but_no_institution_subsidy(self, city, early):
        run = run_for(city.city, DECEMBER, today=after(DECEMBER))
        assert run.status == RunStatus.DONE
        assert issued(early["both"], DECEMBER) == {"home_care_hours": HOURS_80 * 60}
        assert issued(early["resident"], DECEMBER) == {}  # 22 days in a private institution, before 2021-01-01
        assert list(run.summary["benefits"]) == [HOURS_KEY]

    def test_january_2021_issues_the_600_yuan(self, city, early):
        run = run_for(city.city, JANUARY, today=after(JANUARY))
        assert issued(early["resident"], JANUARY) == {"institution_subsidy": INSTITUTION_YUAN * 100}
        assert issued(early["both"], JANUARY) == {"home_care_hours": HOURS_80 * 60, "institution_subsidy": INSTITUTION_YUAN * 100}
        account = Account.objects.get(elder=early["resident"], month=JANUARY, benefit="institution_subsidy")
        assert account.facility_id == early["home"].pk
        assert run.summary["benefits"][INSTITUTION_KEY] == {"accounts": 2, "amount": 2 * INSTITUTION_YUAN * 100}

    def test_before_the_in_force_date_nothing(self, city, early):
        october = dt.date(2020, 10, 1)
        run = run_for(city.city, october, today=after(october))
        assert (run.status, run.elders_considered, run.accounts_opened) == (RunStatus.DONE, 0, 0)


class TestSimulation:
    def test_only_the_benefits_in_force_are_counted(self, city, early, personas):
        change = [Change("hangzhou-2020-47", "institution_subsidy", "moderate_severe", Decimal(700))]
        (december,) = simulate(actor=personas[Role.CIVIL_COUNTY], region=city.county, month=DECEMBER, changes=change)
        assert set(december.baseline) == set(december.changed) == {HOURS_KEY}
        assert december.baseline[HOURS_KEY].elders == 2
        assert december.affected == 0  # 700 yuan from 2021 changes nothing in December 2020
        (january,) = simulate(actor=personas[Role.CIVIL_COUNTY], region=city.county, month=JANUARY, changes=change)
        assert (january.baseline[INSTITUTION_KEY].elders, january.baseline[INSTITUTION_KEY].amount) == (2, 2 * INSTITUTION_YUAN * 100)
        assert january.changed[INSTITUTION_KEY].amount == 2 * 700_00
        assert january.affected == 2


class TestElderPage:
    def test_the_subsidy_not_yet_in_force_is_listed_with_its_start(self, city, early, personas):
        _, found = selectors.elder_decisions(actor=personas[Role.CIVIL_STREET], elder_id=early["resident"].pk, month=DECEMBER)
        (policy,) = found
        decisions = {d.benefit.key: d for d in policy.decisions}
        institution = decisions["institution_subsidy"]
        assert institution.grant is None
        assert f"in force from {HZ_SUBSIDY_START}: not yet in 2020-12" in institution.reason
        assert "自2021年1月1日起" in institution.reason
        _, found = selectors.elder_decisions(actor=personas[Role.CIVIL_STREET], elder_id=early["resident"].pk, month=JANUARY)
        decisions = {d.benefit.key: d for d in found[0].decisions}
        assert granted(decisions["institution_subsidy"].grant).amount == INSTITUTION_YUAN * 100

    def test_no_policy_before_the_in_force_date(self, city, early, personas):
        _, found = selectors.elder_decisions(actor=personas[Role.CIVIL_STREET], elder_id=early["eighty"].pk, month=dt.date(2020, 10, 1))
        assert found == []


# --- a benefit starting and ending within a month (a variant of the shipped file) -----------------

SHIPPED = get_policy("hangzhou-2020-47")
DATA = yaml.safe_load((POLICIES_DIR / SHIPPED.file).read_text(encoding="utf-8"))


def variant(key: str, **dates):
    data = copy.deepcopy(DATA)
    for name, value in dates.items():
        data["benefits"][key][name] = value
        data["benefits"][key][f"{name}_citation"] = "a test's date"
    return parse_policy(data, SHIPPED.file).benefits[key]


def pro_rata(days: int, month: dt.date) -> int:
    """不满1个月按天折算: the month's 600 yuan (in fen) × days / days in the month, to the fen."""
    return round(Decimal(INSTITUTION_YUAN * 100 * days) / month_last_day(month).day)


class TestDaysInForce:
    def test_a_stay_begun_earlier_counts_from_the_benefits_first_day(self):
        institution = variant("institution_subsidy", valid_from=dt.date(2021, 1, 15))
        resident = facts(month_last_day(JANUARY), age=75, degree="severe", stays=(stay(dt.date(2020, 12, 20), None),))
        given = granted(grant(institution, resident, JANUARY))
        assert given.days == 17  # 15–31 January
        assert given.amount == pro_rata(17, JANUARY)
        # A stay that ended before the benefit started: nothing, and the reason gives the dates.
        gone = facts(month_last_day(JANUARY), age=75, degree="severe", stays=(stay(dt.date(2021, 1, 2), dt.date(2021, 1, 10)),))
        assert grant(institution, gone, JANUARY) is None
        assert "自2021-01-15起" in decide(institution, gone, JANUARY).reason

    def test_a_stay_counts_until_the_benefits_last_day(self):
        june, july = dt.date(2021, 6, 1), dt.date(2021, 7, 1)
        institution = variant("institution_subsidy", valid_to=dt.date(2021, 6, 15))
        assert institution.valid_from == HZ_SUBSIDY_START  # its own start stays
        resident = facts(month_last_day(june), age=75, degree="severe", stays=(stay(dt.date(2021, 1, 1), None),))
        given = granted(grant(institution, resident, june))
        assert (given.days, given.amount) == (15, pro_rata(15, june))
        later = facts(month_last_day(july), age=75, degree="severe", stays=resident.stays)
        assert grant(institution, later, july) is None
        reason = decide(institution, later, july).reason
        assert "执行至2021-06-15，2021年7月已停止（a test's date）" in reason
        assert "in force until 2021-06-15: no longer in 2021-07" in reason

    def test_respite_days_are_the_stays_days_within_the_benefits_dates(self):
        # “30天以内” counts the stay's own days (the file's reading: days 1–30 of a stay); days before the
        # benefit's start are days of the stay but are not paid.
        respite = variant("respite_subsidy", valid_from=dt.date(2021, 1, 15))
        stays = (stay(dt.date(2021, 1, 1), dt.date(2021, 1, 31), kind="respite", facility_kind="day_care", ownership="public"),)
        given = granted(grant(respite, facts(month_last_day(JANUARY), age=75, degree="severe", stays=stays), JANUARY))
        assert given.days == RESPITE_DAYS - 14  # 15–30 January: days 15 to 30 of the stay
        assert given.amount == given.days * RESPITE_YUAN * 100

    def test_a_monthly_benefit_counts_the_whole_month_it_starts_in(self):
        # The month rule of the file's own dates: in force on any day of it, the whole month.
        hours = variant("home_care_hours", valid_from=dt.date(2021, 3, 20))
        march, february = dt.date(2021, 3, 1), dt.date(2021, 2, 1)
        assert granted(grant(hours, facts(march, age=AGE_LO), march)).amount == HOURS_80 * 60
        assert grant(hours, facts(february, age=AGE_LO), february) is None
        assert "in force from 2021-03-20: not yet in 2021-02" in decide(hours, facts(february, age=AGE_LO), february).reason
