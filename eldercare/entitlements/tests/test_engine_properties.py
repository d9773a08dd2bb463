"""Properties of the engine over generated elders: the explained path and the fast path agree, a
grant names the first tier whose every check passed, and amounts never exceed their caps."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from eldercare.core.months import month_last_day
from eldercare.elders.models import LivingStatus, PriorityGroup
from eldercare.entitlements.engine import decide, grant
from eldercare.entitlements.policy import Basis, load_policies

from .factories import HANGZHOU_COMMUNITY, NANYANG_COMMUNITY, XIAOSHAN_COMMUNITY, facts, stay

BENEFITS = [b for p in load_policies() for b in p.benefits.values()]
# Around Hangzhou's two starts (the file's 2020-11-10, the subsidies' 2021-01-01) and Nanyang's end.
MONTHS = [dt.date(2020, 11, 1), dt.date(2020, 12, 1), dt.date(2021, 1, 1), dt.date(2022, 2, 1), dt.date(2023, 7, 1), dt.date(2026, 11, 1)]

stays = st.lists(
    st.builds(
        lambda start, length, kind, facility, ownership, where: stay(
            start,
            None if length is None else start + dt.timedelta(days=length),
            kind=kind,
            facility_kind=facility,
            ownership=ownership,
            region=where,
        ),
        start=st.dates(dt.date(2020, 9, 1), dt.date(2026, 11, 30)),
        length=st.none() | st.integers(0, 60),
        kind=st.sampled_from(["long_term", "respite"]),
        facility=st.sampled_from(["institution", "day_care", "station"]),
        ownership=st.sampled_from(["public", "private", "public_private"]),
        where=st.sampled_from([HANGZHOU_COMMUNITY, XIAOSHAN_COMMUNITY]),
    ),
    min_size=0,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    benefit=st.sampled_from(BENEFITS),
    month=st.sampled_from(MONTHS),
    age=st.integers(60, 105),
    residence=st.sampled_from([HANGZHOU_COMMUNITY, XIAOSHAN_COMMUNITY, NANYANG_COMMUNITY]),
    hukou=st.sampled_from(["same", None, "110101001001", "330103001001"]),
    rural=st.booleans(),
    living=st.sampled_from(LivingStatus.values),
    groups=st.sets(st.sampled_from(PriorityGroup.values), max_size=3),
    degree=st.sampled_from(["", "none", "mild", "moderate", "severe"]),
    category=st.sampled_from(["", "self_caring", "semi_disabled", "disabled"]),
    stays=stays,
)
def test_explained_and_fast_paths_agree(benefit, month, age, residence, hukou, rural, living, groups, degree, category, stays):
    day = month if benefit.facts_on == "month_start" else month_last_day(month)
    f = facts(
        day,
        age=age,
        residence=residence,
        hukou=hukou,
        rural=rural,
        living_status=living,
        groups=groups,
        degree=degree,
        category=category,
        stays=tuple(stays),
    )
    fast = grant(benefit, f, month)
    decision = decide(benefit, f, month)
    assert decision.grant == fast
    if not benefit.in_force(month):
        assert fast is None  # whatever the tiers say
        assert "not yet in" in decision.reason or "no longer in" in decision.reason
        return
    passed = [t.tier for t in decision.tiers if t.ok]
    if fast is not None:
        assert fast.tier == passed[0]  # the first tier that holds, and only tiers that hold
        assert fast.amount > 0
        if benefit.monthly_cap is not None:
            assert fast.amount <= benefit.monthly_cap
        if benefit.basis == Basis.MONTHLY:
            assert fast.amount == fast.tier.amount
        else:
            first, last = benefit.days_in_force(month)
            assert fast.days is not None
            assert 0 < fast.days <= (last - first).days + 1  # only days the benefit is in force count
            if benefit.basis == Basis.STAY_MONTH:
                assert fast.amount <= fast.tier.amount
    elif benefit.basis == Basis.MONTHLY:
        assert passed == []
