"""Each number of the seeds' entitlement rules, decided for elders built to sit on each side of it."""

from __future__ import annotations

import datetime as dt

import pytest

from eldercare.entitlements.engine import decide, decide_policy, grant
from eldercare.entitlements.policy import get_policy, policies_for

from .factories import HANGZHOU_COMMUNITY, NANYANG_COMMUNITY, NANYANG_VILLAGE, XIAOSHAN_COMMUNITY, facts, stay

MONTH = dt.date(2026, 11, 1)  # 30 days
MARCH = dt.date(2026, 3, 1)  # 31 days
HZ = get_policy("hangzhou-2020-47")
HOURS = HZ.benefits["home_care_hours"]
INSTITUTION = HZ.benefits["institution_subsidy"]
RESPITE = HZ.benefits["respite_subsidy"]
NY = get_policy("nanyang-2021-37")
NY_CARE = NY.benefits["purchased_home_care"]
NY_MONTH = dt.date(2022, 6, 1)
POOR = ["dibao"]


def hours(f, month=MONTH):
    given = grant(HOURS, f, month)
    return None if given is None else given.amount / 60


def yuan(benefit, f, month=MONTH):
    given = grant(benefit, f, month)
    return None if given is None else given.amount / 100


class TestHangzhouHomeCareHours:
    @pytest.mark.parametrize(("age", "expected"), [(79, None), (80, 3), (85, 3), (89, 3), (90, 6), (101, 6)])
    def test_age_bands(self, age, expected):
        assert hours(facts(MONTH, age=age)) == expected

    def test_age_is_taken_on_the_first_day_of_the_month(self):
        turns_80_on_the_2nd = facts(MONTH, birth_date=dt.date(1946, 11, 2))
        assert turns_80_on_the_2nd.age == 79
        assert hours(turns_80_on_the_2nd) is None
        assert hours(facts(MONTH, birth_date=dt.date(1946, 11, 1))) == 3

    def test_needs_city_hukou_and_residence(self):
        assert hours(facts(MONTH, age=85, hukou="110101001001")) is None
        assert hours(facts(MONTH, age=85, hukou=None)) is None
        assert hours(facts(MONTH, age=85, residence="110101001001", hukou=HANGZHOU_COMMUNITY)) is None
        assert hours(facts(MONTH, age=85, residence=XIAOSHAN_COMMUNITY)) == 3  # anywhere in the city

    @pytest.mark.parametrize("group", ["fp_special", "dibao", "dibao_edge", "expenditure_poor"])
    @pytest.mark.parametrize(("degree", "expected"), [("moderate", 38), ("severe", 52), ("mild", None), ("none", None)])
    def test_disabled_elders_of_poor_households(self, group, degree, expected):
        assert hours(facts(MONTH, age=70, groups=[group], degree=degree)) == expected

    def test_disability_without_a_poor_household_gets_only_the_age_hours(self):
        assert hours(facts(MONTH, age=92, degree="severe")) == 6
        assert hours(facts(MONTH, age=70, degree="severe", groups=["tekun"])) is None

    def test_the_larger_amount_not_the_sum(self):
        assert hours(facts(MONTH, age=92, degree="severe", groups=POOR)) == 52

    def test_not_on_the_register_on_the_first_day(self):
        assert hours(facts(MONTH, age=85, left_on=MONTH)) is None
        assert hours(facts(MONTH, age=85, left_on=MONTH + dt.timedelta(days=3))) == 3

    def test_expiry_and_citations_are_data(self):
        assert HOURS.expiry.months_after == 0
        assert "3小时、6小时" in HOURS.tier("age_80_89").citation
        assert "38小时、52小时" in HOURS.tier("care_moderate").citation


class TestHangzhouInstitutionSubsidy:
    def resident(self, *stays, hukou=HANGZHOU_COMMUNITY, degree="moderate", on=None, month=MONTH):
        from eldercare.core.months import month_last_day

        return facts(on or month_last_day(month), age=75, hukou=hukou, degree=degree, stays=tuple(stays))

    def test_full_month_is_600_yuan(self):
        assert yuan(INSTITUTION, self.resident(stay(dt.date(2025, 1, 1), None))) == 600
        assert yuan(INSTITUTION, self.resident(stay(dt.date(2025, 1, 1), None), degree="severe")) == 600

    def test_part_month_pro_rata_by_day(self):
        # 10 of 30 days; 15 of 31 days: 600 × 15 / 31 = 290.32
        assert yuan(INSTITUTION, self.resident(stay(dt.date(2026, 11, 21), None))) == 200
        march = self.resident(stay(dt.date(2026, 3, 17), None), month=MARCH)
        given = grant(INSTITUTION, march, MARCH)
        assert (given.days, given.amount) == (15, 29032)

    def test_overlapping_records_count_each_day_once(self):
        doubled = self.resident(stay(dt.date(2026, 11, 1), dt.date(2026, 11, 20)), stay(dt.date(2026, 11, 11), None))
        assert grant(INSTITUTION, doubled, MONTH).days == 30
        assert yuan(INSTITUTION, doubled) == 600

    def test_leaving_and_death_end_the_days(self):
        assert yuan(INSTITUTION, self.resident(stay(dt.date(2025, 1, 1), dt.date(2026, 11, 3)))) == 60
        died = facts(
            dt.date(2026, 11, 30), age=75, degree="severe", left_on=dt.date(2026, 11, 16), stays=(stay(dt.date(2025, 1, 1), None),)
        )
        assert yuan(INSTITUTION, died) == 300

    @pytest.mark.parametrize("ownership", ["private", "public_private"])
    def test_private_and_publicly_built_privately_run(self, ownership):
        assert yuan(INSTITUTION, self.resident(stay(dt.date(2025, 1, 1), None, ownership=ownership))) == 600

    def test_refused_cases(self):
        forever = dt.date(2025, 1, 1)
        assert yuan(INSTITUTION, self.resident(stay(forever, None, ownership="public"))) is None
        assert yuan(INSTITUTION, self.resident(stay(forever, None), degree="mild")) is None
        assert yuan(INSTITUTION, self.resident(stay(forever, None), degree="")) is None
        assert yuan(INSTITUTION, self.resident(stay(forever, None), hukou=XIAOSHAN_COMMUNITY)) is None
        assert yuan(INSTITUTION, self.resident(stay(forever, None, region=XIAOSHAN_COMMUNITY))) is None
        assert yuan(INSTITUTION, self.resident()) is None

    def test_old_districts_count_by_their_codes(self):
        assert yuan(INSTITUTION, self.resident(stay(dt.date(2025, 1, 1), None), hukou="330103001001")) == 600  # 下城区


class TestHangzhouRespite:
    def respite(self, *ranges, degree="severe", month=MONTH):
        from eldercare.core.months import month_last_day

        stays = tuple(stay(a, b, kind="respite", facility_kind="day_care", ownership="public") for a, b in ranges)
        return facts(month_last_day(month), age=75, degree=degree, stays=stays)

    def test_20_yuan_a_day(self):
        assert yuan(RESPITE, self.respite((dt.date(2026, 11, 3), dt.date(2026, 11, 12)))) == 200

    def test_only_the_first_30_days_of_a_stay_count(self):
        long_stay = self.respite((dt.date(2026, 10, 20), dt.date(2026, 11, 30)))
        given = grant(RESPITE, long_stay, MONTH)
        assert given.days == 18  # day 30 of the stay is 18 Nov (12 days fell in October)
        assert given.amount == 360_00

    def test_capped_at_600_a_month(self):
        # Two stays back to back fill March's 31 days: 620 yuan of days, 600 paid.
        two = self.respite((dt.date(2026, 3, 1), dt.date(2026, 3, 15)), (dt.date(2026, 3, 16), dt.date(2026, 3, 31)), month=MARCH)
        assert grant(RESPITE, two, MARCH).days == 31
        assert yuan(RESPITE, two, MARCH) == 600
        under_cap = self.respite((dt.date(2026, 11, 1), dt.date(2026, 11, 20)), (dt.date(2026, 11, 22), dt.date(2026, 11, 30)))
        assert yuan(RESPITE, under_cap) == 580
        assert RESPITE.monthly_cap == 600_00

    def test_respite_is_in_a_home_care_facility_not_an_institution(self):
        in_institution = facts(
            dt.date(2026, 11, 30), age=75, degree="severe", stays=(stay(dt.date(2026, 11, 3), dt.date(2026, 11, 12), kind="respite"),)
        )
        assert grant(RESPITE, in_institution, MONTH) is None

    def test_not_combined_with_the_free_home_care_hours(self):
        month_end = dt.date(2026, 11, 30)
        stays = (stay(dt.date(2026, 11, 3), dt.date(2026, 11, 12), kind="respite", facility_kind="station", ownership="public"),)
        both = {MONTH: facts(MONTH, age=75, degree="severe", groups=POOR, stays=stays)}
        both[month_end] = facts(month_end, age=75, degree="severe", groups=POOR, stays=stays, birth_date=both[MONTH].birth_date)
        decisions = {d.benefit.key: d for d in decide_policy(HZ, both, MONTH)}
        assert decisions["home_care_hours"].grant.amount == 52 * 60
        assert decisions["respite_subsidy"].grant is None
        assert decisions["respite_subsidy"].excluded_by == "home_care_hours"
        assert "不同时享受" in decisions["respite_subsidy"].reason
        # Without the hours (not a poor household, under 80) the respite subsidy is paid.
        alone = {day: facts(day, age=75, degree="severe", stays=stays) for day in (MONTH, month_end)}
        decisions = {d.benefit.key: d for d in decide_policy(HZ, alone, MONTH)}
        assert decisions["respite_subsidy"].grant.amount == 200_00
        # A benefit already issued for the month keeps its place.
        decisions = {d.benefit.key: d for d in decide_policy(HZ, both, MONTH, issued=frozenset({"respite_subsidy"}))}
        assert decisions["home_care_hours"].excluded_by == "respite_subsidy"
        assert decisions["respite_subsidy"].grant.amount == 200_00


class TestNanyang:
    def yuan(self, **kw):
        return yuan(NY_CARE, facts(NY_MONTH, residence=NANYANG_COMMUNITY, **kw), NY_MONTH)

    def test_300_for_disabled_200_for_semi_disabled(self):
        assert self.yuan(age=70, groups=["dibao"], category="disabled") == 300
        assert self.yuan(age=70, groups=["tekun"], category="semi_disabled") == 200
        assert self.yuan(age=70, groups=["dibao"], category="self_caring") is None

    def test_special_hardship_means_these_households(self):
        assert self.yuan(age=70, groups=["fp_special"], category="disabled") == 300
        assert self.yuan(age=82, category="disabled") == 300  # 高龄
        assert self.yuan(age=70, living_status="alone", category="semi_disabled") == 200  # 独居
        assert self.yuan(age=70, category="disabled") is None
        assert self.yuan(age=79, groups=["dibao_edge"], category="disabled") is None

    def test_urban_only(self):
        assert (
            yuan(NY_CARE, facts(NY_MONTH, residence=NANYANG_VILLAGE, rural=True, groups=["dibao"], category="disabled"), NY_MONTH) is None
        )

    def test_in_force_for_the_plan_years_only(self):
        assert NY in policies_for(NANYANG_COMMUNITY, NY_MONTH)
        assert NY in policies_for("411300000000", dt.date(2023, 12, 1))
        assert NY not in policies_for(NANYANG_COMMUNITY, dt.date(2024, 1, 1))
        assert NY not in policies_for(NANYANG_COMMUNITY, dt.date(2021, 9, 1))
        assert NY not in policies_for(HANGZHOU_COMMUNITY, NY_MONTH)
        assert HZ in policies_for("330000000000", MONTH)  # a province's run includes its cities' policies


class TestExplanations:
    def test_a_grant_names_its_tier_and_the_facts(self):
        decision = decide(HOURS, facts(MONTH, age=85), MONTH)
        assert decision.grant.tier.id == "age_80_89"
        assert "3 小时" in decision.reason
        age_tier = next(t for t in decision.tiers if t.tier.id == "age_80_89")
        assert age_tier.ok
        assert any("85周岁" in c.fact and c.ok for c in age_tier.checks)

    def test_a_refusal_shows_each_failed_check(self):
        decision = decide(HOURS, facts(MONTH, age=70, hukou="110101001001", groups=["dibao"], degree="mild"), MONTH)
        assert decision.grant is None
        assert "不符合任何一档" in decision.reason
        severe = next(t for t in decision.tiers if t.tier.id == "care_severe")
        failed = [c for c in severe.checks if not c.ok]
        assert {c.requirement.split(" /")[0] for c in failed} == {"户籍在 3301", "能力评估失能程度为重度"}
        assert any("110101001001" in c.fact for c in failed)
        assert any("轻度" in c.fact for c in failed)

    def test_no_stay_is_the_reason(self):
        decision = decide(INSTITUTION, facts(dt.date(2026, 11, 30), degree="severe"), MONTH)
        assert "无符合条件的入住" in decision.reason
