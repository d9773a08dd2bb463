"""Each number and date of the seeds' entitlement rules, decided for elders built to sit on each side of it.

The expectations come from the seed text below (copied from /work/shared/seeds, checked against the
files when they are there), parsed with regular expressions, not from the policy files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest

from eldercare.core.months import month_last_day
from eldercare.elders.models import PriorityGroup
from eldercare.entitlements.engine import decide, decide_policy, grant
from eldercare.entitlements.policy import POLICIES_DIR, get_policy, policies_for

from .factories import HANGZHOU_COMMUNITY, NANYANG_COMMUNITY, NANYANG_VILLAGE, XIAOSHAN_COMMUNITY, facts, granted, stay

# --- the seeds' words ---------------------------------------------------------------------------
# Seed 003: 杭政办函〔2020〕47号. Seed 001: 宛政办〔2021〕37号. Seed 004: 北京市民政局 政策解读.
SEED_003_7 = (  # 二(三)7
    "7.深化居家养老服务基本保障制度。建立养老服务电子津贴制度,为具有本市户籍并居住在本市的80至89周岁老年人、90周岁以上老年人"
    "分别提供每月3小时、6小时的免费居家养老服务,为具有本市户籍并居住在本市的计划生育特殊家庭和最低生活保障家庭、最低生活保障边缘家庭、"
    "支出型贫困基本生活救助家庭中的中、重度失能(失智)老年人分别提供每月38小时、52小时的免费居家养老服务。"
)
SEED_003_12 = (  # 二(四)12
    "自2021年1月1日起,具有上城区、下城区、江干区、拱墅区、西湖区、滨江区、杭州钱塘新区、杭州西湖风景名胜区户籍的中、重度失能(失智)老年人"
    "入住主城区社会办养老机构(含公建民营)的,给予每人每月600元补助,不满1个月按天折算;在居家养老服务机构中进行托养服务(30天以内)的,"
    "给予每人每天20元补助,每月不超过600元(本补助与政府购买免费居家养老服务不同时享受),其他地区结合当地社会经济发展实际情况确定。"
)
SEED_003_END = "本意见自2020年11月10日起施行,由市民政局负责牵头组织实施。\n杭州市人民政府办公厅\n2020年10月9日"
SEED_001_NOTICE = (
    "《南阳市社区居家养老服务体系建设三年行动方案(2021—2023年)》已经市政府同意,现印发给你们,请认真组织抓好落实。\n2021年10月13日"
)
SEED_001_GOAL = (  # 二
    "力争到2023年底,全市至少建设63个养老服务中心(1个市级养老服务中心、17个县级养老服务中心、45个街道〔城关镇〕综合养老服务中心)、"
    "421个社区日间照料中心、1000个居家养老服务站点"
)
SEED_001_3_3_1 = (  # 三(三)1
    "1.建设内容:以县(市、区)为单位,对所有城市特殊困难家庭(低保、高龄、独居、失能、计划生育特殊困难家庭等)和其他有社会化养老需求的老年人"
    "进行家庭适老化改造,配备必要的设施设备和电子信息服务系统。"
)
SEED_001_3_3_4 = (  # 三(三)4(1)
    "4.人员配备:(1)对城市特殊困难家庭采取政府购买服务的方式,按照失能老年人每人每月300元标准、半失能老年人每人每月200元标准,"
    "委托专业养老服务机构上门入户提供居家养老服务。"
)
SEED_001_4_1_4 = "4.完成城市经济困难家庭(城镇特困、低保、计划生育困难家庭)失能、半失能、失智老年人的家庭养老床位改造的调查摸底工作;"
SEED_004 = "目前北京市共有80歲及以上高齡老年人69.8萬"

SEED_TEXT = {
    "003": (SEED_003_7, SEED_003_12, SEED_003_END),
    "001": (SEED_001_NOTICE, SEED_001_GOAL, SEED_001_3_3_1, SEED_001_3_3_4, SEED_001_4_1_4),
    "004": (SEED_004,),
}
SEEDS_DIR = Path(os.environ.get("ELDERCARE_SEEDS", "/work/shared/seeds"))


def seed_match(text: str, pattern: str) -> re.Match[str]:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern} is not in the seed text"
    return found


def seed_date(text: str, pattern: str) -> dt.date:
    year, month, day = seed_match(text, pattern).groups()
    return dt.date(int(year), int(month), int(day))


def seed_numbers(text: str, pattern: str) -> tuple[int, ...]:
    return tuple(int(n) for n in seed_match(text, pattern).groups())


# 二(三)7: the age bands and their hours; the households and the 中/重度 hours.
AGE_LO, AGE_HI, AGE_90, HOURS_80, HOURS_90 = seed_numbers(
    SEED_003_7, r"(\d+)至(\d+)周岁老年人、(\d+)周岁以上老年人分别提供每月(\d+)小时、(\d+)小时"
)
HOURS_MODERATE, HOURS_SEVERE = seed_numbers(SEED_003_7, r"中、重度失能\(失智\)老年人分别提供每月(\d+)小时、(\d+)小时")
HZ_HOUSEHOLDS = re.split(r"和|、", seed_match(SEED_003_7, r"本市的(计划生育特殊家庭.*?)中的中、重度").group(1))
# 二(四)12: the start, the monthly subsidy, the respite days, per-day amount and monthly cap.
HZ_SUBSIDY_START = seed_date(SEED_003_12, r"自(\d{4})年(\d+)月(\d+)日起")
(INSTITUTION_YUAN,) = seed_numbers(SEED_003_12, r"给予每人每月(\d+)元补助,不满1个月按天折算")
RESPITE_DAYS, RESPITE_YUAN, RESPITE_CAP = seed_numbers(SEED_003_12, r"托养服务\((\d+)天以内\)的,给予每人每天(\d+)元补助,每月不超过(\d+)元")
# The document's own start (二(三)7 has none of its own).
HZ_IN_FORCE = seed_date(SEED_003_END, r"本意见自(\d{4})年(\d+)月(\d+)日起施行")
# Seed 001: the notice's date, the plan's years, the purchase amounts and the list of households.
NY_NOTICE_DATE = seed_date(SEED_001_NOTICE, r"\n(\d{4})年(\d+)月(\d+)日$")
NY_FIRST_YEAR, NY_LAST_YEAR = seed_numbers(SEED_001_NOTICE, r"行动方案\((\d{4})—(\d{4})年\)")
NY_DISABLED_YUAN, NY_SEMI_YUAN = seed_numbers(SEED_001_3_3_4, r"失能老年人每人每月(\d+)元标准、半失能老年人每人每月(\d+)元标准")
NY_SPECIAL_HARDSHIP = seed_match(SEED_001_3_3_1, r"城市特殊困难家庭\((.*?)等\)").group(1).split("、")

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
        assert HOURS.expiry is not None
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
        given = granted(grant(INSTITUTION, march, MARCH))
        assert (given.days, given.amount) == (15, 29032)

    def test_overlapping_records_count_each_day_once(self):
        doubled = self.resident(stay(dt.date(2026, 11, 1), dt.date(2026, 11, 20)), stay(dt.date(2026, 11, 11), None))
        assert granted(grant(INSTITUTION, doubled, MONTH)).days == 30
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
        given = granted(grant(RESPITE, long_stay, MONTH))
        assert given.days == 18  # day 30 of the stay is 18 Nov (12 days fell in October)
        assert given.amount == 360_00

    def test_capped_at_600_a_month(self):
        # Two stays back to back fill March's 31 days: 620 yuan of days, 600 paid.
        two = self.respite((dt.date(2026, 3, 1), dt.date(2026, 3, 15)), (dt.date(2026, 3, 16), dt.date(2026, 3, 31)), month=MARCH)
        assert granted(grant(RESPITE, two, MARCH)).days == 31
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
        assert granted(decisions["home_care_hours"].grant).amount == 52 * 60
        assert decisions["respite_subsidy"].grant is None
        assert decisions["respite_subsidy"].excluded_by == "home_care_hours"
        assert "不同时享受" in decisions["respite_subsidy"].reason
        # Without the hours (not a poor household, under 80) the respite subsidy is paid.
        alone = {day: facts(day, age=75, degree="severe", stays=stays) for day in (MONTH, month_end)}
        decisions = {d.benefit.key: d for d in decide_policy(HZ, alone, MONTH)}
        assert granted(decisions["respite_subsidy"].grant).amount == 200_00
        # A benefit already issued for the month keeps its place.
        decisions = {d.benefit.key: d for d in decide_policy(HZ, both, MONTH, issued=frozenset({"respite_subsidy"}))}
        assert decisions["home_care_hours"].excluded_by == "respite_subsidy"
        assert granted(decisions["respite_subsidy"].grant).amount == 200_00


class TestNanyang:
    def yuan(self, month=NY_MONTH, **kw):
        return yuan(NY_CARE, facts(month, residence=NANYANG_COMMUNITY, **kw), month)

    def test_amounts_are_the_seeds(self):
        # 三(三)4(1): 失能 300, 半失能 200 a month.
        assert (NY_DISABLED_YUAN, NY_SEMI_YUAN) == (300, 200)
        assert self.yuan(age=70, groups=["dibao"], category="disabled") == NY_DISABLED_YUAN
        assert self.yuan(age=70, groups=["dibao"], category="semi_disabled") == NY_SEMI_YUAN
        assert self.yuan(age=70, groups=["dibao"], category="self_caring") is None
        assert self.yuan(age=70, groups=["dibao"], category="") is None  # no assessment in force

    def test_the_citations_carry_the_seeds_numbers(self):
        for tier in NY_CARE.tiers:
            assert f"失能老年人每人每月{NY_DISABLED_YUAN}元标准、半失能老年人每人每月{NY_SEMI_YUAN}元标准" in tier.citation
            assert "城市特殊困难家庭(" + "、".join(NY_SPECIAL_HARDSHIP) + "等)" in tier.citation

    def test_urban_only(self):
        assert (
            yuan(NY_CARE, facts(NY_MONTH, residence=NANYANG_VILLAGE, rural=True, groups=["dibao"], category="disabled"), NY_MONTH) is None
        )


class TestNanyangSpecialHardshipHouseholds:
    """三(三)1: “城市特殊困难家庭(低保、高龄、独居、失能、计划生育特殊困难家庭等)”, entry by entry."""

    # How the platform recognises each entry of the seed's list (高龄's age is the platform's reading:
    # the seed gives none; seed 004 counts “80歲及以上高齡老年人”).
    HIGH_AGE = seed_numbers(SEED_004, r"(\d+)歲及以上高齡")[0]
    ENTRY: dict[str, dict[str, Any]] = {
        "低保": {"groups": ["dibao"]},
        "高龄": {"age": HIGH_AGE},
        "独居": {"living_status": "alone"},
        "失能": {"category": "disabled"},
        "计划生育特殊困难家庭": {"groups": ["fp_special"]},
    }
    # An elder in none of the entries: 70, living with family, no group.
    NONE = {"age": 70, "living_status": "with_family", "groups": []}

    def yuan(self, **kw):
        return yuan(NY_CARE, facts(NY_MONTH, residence=NANYANG_COMMUNITY, **{**self.NONE, **kw}), NY_MONTH)

    def test_the_entries_are_the_seeds_list(self):
        assert NY_SPECIAL_HARDSHIP == ["低保", "高龄", "独居", "失能", "计划生育特殊困难家庭"]
        assert list(self.ENTRY) == NY_SPECIAL_HARDSHIP
        assert self.HIGH_AGE == 80

    @pytest.mark.parametrize("entry", NY_SPECIAL_HARDSHIP)
    def test_each_entry_alone_makes_a_semi_disabled_elder_eligible(self, entry):
        if entry == "失能":
            # A 失能 elder is in the list by that entry alone: the 失能 amount, with no other entry.
            assert self.yuan(**self.ENTRY[entry]) == NY_DISABLED_YUAN
        else:
            assert self.yuan(category="semi_disabled", **self.ENTRY[entry]) == NY_SEMI_YUAN
            assert self.yuan(category="disabled", **self.ENTRY[entry]) == NY_DISABLED_YUAN

    def test_without_an_entry_a_semi_disabled_elder_gets_nothing(self):
        assert self.yuan(category="semi_disabled") is None

    def test_every_disabled_urban_elder_is_in_the_list(self):
        # 失能 is an entry: no household condition left for the 失能 tier.
        assert self.yuan(category="disabled") == NY_DISABLED_YUAN
        assert self.yuan(category="disabled", groups=["dibao_edge"]) == NY_DISABLED_YUAN

    @pytest.mark.parametrize("group", sorted(set(PriorityGroup.values) - {"dibao", "fp_special"}))
    def test_groups_not_in_the_list_do_not_count(self, group):
        # 特困 (named only in 四(一)4's 城市经济困难家庭), 低保边缘, 支出型贫困, 重度残疾, 失智, and the
        # registry's 失能 group (every assessed degree, 轻度 too) on a 半失能 elder; 孤寡 (the list names none).
        assert group in {"tekun", "dibao_edge", "expenditure_poor", "severe_handicap", "dementia", "disabled", "gugua"}
        assert self.yuan(category="semi_disabled", groups=[group]) is None

    def test_tekun_is_named_in_another_set_not_in_this_list(self):
        assert "特困" not in "、".join(NY_SPECIAL_HARDSHIP)
        assert "城镇特困" in SEED_001_4_1_4 and "城市经济困难家庭" in SEED_001_4_1_4

    def test_high_age_boundary(self):
        assert self.yuan(category="semi_disabled", age=self.HIGH_AGE - 1) is None
        assert self.yuan(category="semi_disabled", age=self.HIGH_AGE) == NY_SEMI_YUAN
        # Taken on the first day of the month: turning 80 on the 2nd counts from the next month.
        turns_on_the_2nd = facts(
            NY_MONTH, residence=NANYANG_COMMUNITY, birth_date=dt.date(NY_MONTH.year - self.HIGH_AGE, 6, 2), category="semi_disabled"
        )
        assert yuan(NY_CARE, turns_on_the_2nd, NY_MONTH) is None

    def test_living_alone_means_alone_not_with_a_spouse(self):
        assert self.yuan(category="semi_disabled", living_status="empty_nest") is None


class TestDates:
    """Every date of the two files, from the clause that gives it, with a month on each side."""

    def test_hangzhou_starts_on_the_in_force_date(self):
        # “本意见自2020年11月10日起施行”: the document, and 二(三)7's hours with it (no date of their own).
        assert HZ_IN_FORCE == dt.date(2020, 11, 10)
        assert HZ.valid_from == HZ_IN_FORCE
        assert (HOURS.valid_from, HOURS.valid_to, HOURS.valid_from_citation) == (HZ_IN_FORCE, None, "")
        month_before = (HZ_IN_FORCE.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        assert HZ not in policies_for(HANGZHOU_COMMUNITY, month_before)
        assert HZ in policies_for(HANGZHOU_COMMUNITY, HZ_IN_FORCE.replace(day=1))

    def test_hangzhou_subsidies_start_on_the_date_of_clause_12(self):
        assert HZ_SUBSIDY_START == dt.date(2021, 1, 1)
        assert HZ_IN_FORCE < HZ_SUBSIDY_START
        # 二(四)12's date heads the one sentence that grants both subsidies: each cites it, in the
        # seed's words, in a quote that runs from the date to the subsidy's own amount.
        for benefit, amount in ((INSTITUTION, f"每月{INSTITUTION_YUAN}元补助"), (RESPITE, f"每天{RESPITE_YUAN}元补助")):
            assert (benefit.valid_from, benefit.valid_to) == (HZ_SUBSIDY_START, None)
            assert "二(四)12" in benefit.valid_from_citation
            quoted = re.findall("“([^”]*)”", benefit.valid_from_citation)
            assert any(q.startswith("自2021年1月1日起") and amount in q and q in SEED_003_12 for q in quoted), benefit.key
        december = (HZ_SUBSIDY_START - dt.timedelta(days=1)).replace(day=1)
        assert [b.key for b in HZ.benefits_in_force(december)] == ["home_care_hours"]
        assert [b.key for b in HZ.benefits_in_force(HZ_SUBSIDY_START)] == ["home_care_hours", "institution_subsidy", "respite_subsidy"]

    def test_a_stay_across_the_start_is_paid_from_the_start_only(self):
        january = HZ_SUBSIDY_START
        start, end = HZ_SUBSIDY_START - dt.timedelta(days=12), HZ_SUBSIDY_START + dt.timedelta(days=9)
        resident = facts(month_last_day(january), age=75, degree="severe", stays=(stay(start, end),))
        given = granted(grant(INSTITUTION, resident, january))
        days_in_january = month_last_day(january).day
        assert given.days == 10  # 1–10 January; the December days fall before the policy
        assert given.amount == round(INSTITUTION_YUAN * 100 * 10 / days_in_january)
        respite = facts(
            month_last_day(january),
            age=75,
            degree="severe",
            stays=(stay(start, end, kind="respite", facility_kind="day_care", ownership="public"),),
        )
        assert granted(grant(RESPITE, respite, january)).amount == 10 * RESPITE_YUAN * 100
        # December: the policy is in force (its hours are), the stay subsidies are not.
        december = (january - dt.timedelta(days=1)).replace(day=1)
        assert HZ in policies_for(HANGZHOU_COMMUNITY, december)
        in_december = facts(month_last_day(december), age=75, degree="severe", stays=(stay(start, end),))
        assert grant(INSTITUTION, in_december, december) is None

    def test_hangzhou_hours_from_the_in_force_date(self):
        # 二(三)7 has no date of its own, so it runs from “本意见自2020年11月10日起施行”: November 2020
        # (in force from its 10th: the whole month, facts on the 1st) and December 2020 are issued.
        november = HZ_IN_FORCE.replace(day=1)
        october = (november - dt.timedelta(days=1)).replace(day=1)
        for month in (november, dt.date(2020, 12, 1), HZ_SUBSIDY_START):
            assert hours(facts(month, age=AGE_LO), month) == HOURS_80
            assert hours(facts(month, age=AGE_90), month) == HOURS_90
            assert hours(facts(month, age=70, groups=POOR, degree="severe"), month) == HOURS_SEVERE
        assert hours(facts(october, age=AGE_LO), october) is None
        text = (POLICIES_DIR / HZ.file).read_text(encoding="utf-8")
        assert "NOT issued" not in text  # the old note on a gap is gone with the gap

    def test_hangzhou_has_no_end_date(self):
        # The seed names a start (“本意见自2020年11月10日起施行”) and no end (checked on the whole
        # document in test_the_seed_text_here_is_the_seeds).
        assert HZ.valid_to is None
        assert HZ in policies_for(HANGZHOU_COMMUNITY, dt.date(2035, 1, 1))

    def test_nanyang_starts_with_the_notice(self):
        assert NY_NOTICE_DATE == dt.date(2021, 10, 13)
        assert NY.valid_from == NY_NOTICE_DATE
        assert NY not in policies_for(NANYANG_COMMUNITY, dt.date(2021, 9, 1))
        assert NY in policies_for(NANYANG_COMMUNITY, NY_NOTICE_DATE.replace(day=1))
        # The platform decides by month: October 2021 counts in full, facts taken on 1 October.
        october = NY_NOTICE_DATE.replace(day=1)
        given = yuan(NY_CARE, facts(october, residence=NANYANG_COMMUNITY, groups=["dibao"], category="disabled"), october)
        assert given == NY_DISABLED_YUAN

    def test_nanyang_ends_with_the_plans_last_year(self):
        assert (NY_FIRST_YEAR, NY_LAST_YEAR) == (2021, 2023)
        assert "力争到2023年底" in SEED_001_GOAL
        last_day = dt.date(NY_LAST_YEAR, 12, 31)
        assert NY.valid_to == last_day
        assert NY in policies_for(NANYANG_COMMUNITY, last_day.replace(day=1))
        assert NY in policies_for("411300000000", last_day.replace(day=1))
        assert NY not in policies_for(NANYANG_COMMUNITY, last_day + dt.timedelta(days=1))
        assert NY not in policies_for(NANYANG_COMMUNITY, dt.date(2026, 1, 1))

    def test_policies_apply_to_their_own_region(self):
        assert NY not in policies_for(HANGZHOU_COMMUNITY, NY_MONTH)
        assert HZ not in policies_for(NANYANG_COMMUNITY, MONTH)
        assert HZ in policies_for("330000000000", MONTH)  # a province's run includes its cities' policies


class TestNumbersAreTheSeeds:
    """The amounts, hours, days and caps of 二(三)7 and 二(四)12, parsed from the seed."""

    def test_parsed_numbers(self):
        assert (AGE_LO, AGE_HI, AGE_90, HOURS_80, HOURS_90) == (80, 89, 90, 3, 6)
        assert (HOURS_MODERATE, HOURS_SEVERE) == (38, 52)
        assert (INSTITUTION_YUAN, RESPITE_DAYS, RESPITE_YUAN, RESPITE_CAP) == (600, 30, 20, 600)

    def test_age_bands(self):
        assert hours(facts(MONTH, age=AGE_LO - 1)) is None
        assert hours(facts(MONTH, age=AGE_LO)) == HOURS_80
        assert hours(facts(MONTH, age=AGE_HI)) == HOURS_80
        assert AGE_HI + 1 == AGE_90  # 90周岁以上 includes 90
        assert hours(facts(MONTH, age=AGE_90)) == HOURS_90

    @pytest.mark.parametrize(("degree", "expected"), [("moderate", HOURS_MODERATE), ("severe", HOURS_SEVERE)])
    def test_households_of_clause_7(self, degree, expected):
        group_of = {
            "计划生育特殊家庭": "fp_special",
            "最低生活保障家庭": "dibao",
            "最低生活保障边缘家庭": "dibao_edge",
            "支出型贫困基本生活救助家庭": "expenditure_poor",
        }
        assert list(group_of) == HZ_HOUSEHOLDS
        for group in group_of.values():
            assert hours(facts(MONTH, age=70, groups=[group], degree=degree)) == expected
        assert hours(facts(MONTH, age=70, groups=["tekun"], degree=degree)) is None

    def test_stay_subsidies(self):
        assert INSTITUTION.tier("moderate_severe").amount == INSTITUTION_YUAN * 100
        assert RESPITE.tier("moderate_severe").amount == RESPITE_YUAN * 100
        assert RESPITE.monthly_cap == RESPITE_CAP * 100
        assert RESPITE.stay is not None
        assert RESPITE.stay.max_days_per_stay == RESPITE_DAYS
        # Day 30 of a stay counts, day 31 does not: a stay from 1 March to 31 March counts 30 days.
        march = facts(
            month_last_day(MARCH),
            age=75,
            degree="moderate",
            stays=(stay(MARCH, month_last_day(MARCH), kind="respite", facility_kind="day_care", ownership="public"),),
        )
        assert granted(grant(RESPITE, march, MARCH)).days == RESPITE_DAYS

    def test_quotes_in_the_citations_are_the_documents_words(self):
        for policy, seed in ((HZ, "003"), (NY, "001")):
            for text in citations(policy):
                quoted = re.findall("“([^”]*)”", text)
                assert quoted, text
                for words in quoted:
                    assert any(words in clause for clause in SEED_TEXT[seed]), words

    def test_every_quote_in_the_files_is_seed_text(self):
        every_clause = [clause for clauses in SEED_TEXT.values() for clause in clauses]
        for policy in (HZ, NY):
            text = (POLICIES_DIR / policy.file).read_text(encoding="utf-8")
            quoted = re.findall("“([^”]*)”", text)
            assert len(quoted) > 5
            for words in quoted:
                assert any(words in clause for clause in every_clause), (policy.file, words)

    @pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="the seed documents are not on this machine")
    def test_the_seed_text_here_is_the_seeds(self):
        files = {path.name[:3]: path.read_text(encoding="utf-8") for path in SEEDS_DIR.glob("*.txt")}
        for seed, clauses in SEED_TEXT.items():
            for clause in clauses:
                assert clause in files[seed], (seed, clause[:30])
        # Neither document sets an end or expiry date of its own (Nanyang's end is its plan's years).
        for seed in ("001", "003"):
            assert not re.search("有效期|废止|截止|截至|届满", files[seed])


class TestNanyangAfterThePlan:
    """What the platform does once no policy covers Nanyang (the file's note under valid_to)."""

    @pytest.fixture
    def nanyang(self, db):
        from eldercare.regions.models import Level
        from eldercare.tests import builders as testing

        from .conftest import assessed

        city = testing.RegionFactory.create(code="411300000000", name="南阳市", level=Level.CITY)
        county = testing.RegionFactory.create(code="411302000000", name="宛城区", level=Level.COUNTY, parent=city)
        street = testing.RegionFactory.create(code="411302001000", name="东关街道", level=Level.STREET, parent=county)
        community = testing.RegionFactory.create(code=NANYANG_COMMUNITY, name="测试社区", level=Level.COMMUNITY, parent=street)
        elder = testing.elder(residence=community, birth=dt.date(1950, 3, 1), groups=(("dibao", ""),))
        assessed(elder, "severe", effective_from=dt.date(2021, 1, 1))
        return city, elder

    def run(self, region, month, today):
        from eldercare.entitlements.models import IssuanceRun
        from eldercare.entitlements.services.issuance import issuance_execute

        return issuance_execute(run_id=IssuanceRun.objects.create(region=region, month=month).pk, today=today)

    def test_the_last_month_is_issued_and_nothing_after(self, nanyang):
        from eldercare.entitlements.models import Account, EntryKind, RunStatus

        city, elder = nanyang
        last_month = dt.date(NY_LAST_YEAR, 12, 1)
        after = dt.date(NY_LAST_YEAR + 1, 1, 1)
        december = self.run(city, last_month, today=dt.date(NY_LAST_YEAR + 1, 1, 5))
        assert december.status == RunStatus.DONE
        account = Account.objects.get(elder=elder, month=last_month)
        assert (account.policy, account.benefit, account.tier) == ("nanyang-2021-37", "purchased_home_care", "disabled")
        assert account.issued == NY_DISABLED_YUAN * 100
        assert account.expires_on == dt.date(NY_LAST_YEAR, 12, 31)  # months_after 0: the plan's last day

        january = self.run(city, after, today=dt.date(NY_LAST_YEAR + 1, 1, 5))
        assert january.status == RunStatus.DONE
        assert (january.elders_considered, january.accounts_opened) == (0, 0)
        assert january.summary == {"benefits": {}, "skipped": []}
        assert january.error == ""
        assert not Account.objects.filter(month__gte=after).exists()

        from eldercare.entitlements.services.ledger import accounts_expire

        assert accounts_expire(today=dt.date(NY_LAST_YEAR, 12, 31)) == 0  # still valid on its last day
        assert accounts_expire(today=after) == 1
        account.refresh_from_db()
        assert account.balance == 0
        expiry = account.entries.get(kind=EntryKind.EXPIRE)
        assert expiry.amount == -NY_DISABLED_YUAN * 100
        elder.refresh_from_db()
        assert elder.status == "active"  # the elder stays on the register


def citations(policy):
    for benefit in policy.benefits.values():
        yield from (t.citation for t in benefit.tiers)
        yield from (c for c in (benefit.valid_from_citation, benefit.valid_to_citation) if c)
        if benefit.monthly_cap is not None:
            yield benefit.monthly_cap_citation
        if benefit.stay is not None and benefit.stay.max_days_per_stay is not None:
            yield benefit.stay.citation
    yield from (e.citation for e in policy.exclusions)


class TestExplanations:
    def test_a_grant_names_its_tier_and_the_facts(self):
        decision = decide(HOURS, facts(MONTH, age=85), MONTH)
        assert granted(decision.grant).tier.id == "age_80_89"
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

    def test_a_benefit_not_yet_in_force_says_from_when_and_why(self):
        # December 2020: eligible for 二(四)12's subsidy in every way, but it starts “自2021年1月1日起”.
        december = (HZ_SUBSIDY_START - dt.timedelta(days=1)).replace(day=1)
        resident = facts(month_last_day(december), age=75, degree="severe", stays=(stay(dt.date(2020, 6, 1), None),))
        decision = decide(INSTITUTION, resident, december)
        assert decision.grant is None
        assert f"自{HZ_SUBSIDY_START}起" in decision.reason and "2020年12月尚未施行" in decision.reason
        assert f"in force from {HZ_SUBSIDY_START}: not yet in 2020-12" in decision.reason
        assert "“自2021年1月1日起," in decision.reason  # the clause's words, from the citation
        assert [t.ok for t in decision.tiers] == [True]  # what the elder will get once it starts
        january = facts(month_last_day(HZ_SUBSIDY_START), age=75, degree="severe", stays=resident.stays)
        assert granted(decide(INSTITUTION, january, HZ_SUBSIDY_START).grant).amount == INSTITUTION_YUAN * 100

    def test_no_stay_is_the_reason(self):
        decision = decide(INSTITUTION, facts(dt.date(2026, 11, 30), degree="severe"), MONTH)
        assert "无符合条件的入住" in decision.reason
