"""What-if: a changed number, its monthly cost and the elders it touches, per county; no account moves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account
from eldercare.entitlements.simulation import Change, simulate
from eldercare.tests import builders as testing

from .conftest import MONTH, born

HOURS = "hangzhou-2020-47/home_care_hours"


def test_three_hours_become_four_for_80_to_89(city, hz, personas):
    testing.elder(residence=city.community_far, birth=born(83), hukou_region=city.community_far)  # 拱墅区
    results = simulate(
        actor=personas[Role.CIVIL_CITY],
        region=city.city,
        month=MONTH,
        changes=[Change("hangzhou-2020-47", "home_care_hours", "age_80_89", Decimal(4))],
    )
    by_county = {r.name: r for r in results}
    assert set(by_county) == {"上城区", "拱墅区"}
    shangcheng = by_county["上城区"]
    assert (shangcheng.baseline[HOURS].elders, shangcheng.baseline[HOURS].amount) == (3, (3 + 6 + 38) * 60)
    assert (shangcheng.changed[HOURS].elders, shangcheng.changed[HOURS].amount) == (3, (4 + 6 + 38) * 60)
    assert shangcheng.affected == 1
    gongshu = by_county["拱墅区"]
    assert (gongshu.baseline[HOURS].amount, gongshu.changed[HOURS].amount, gongshu.affected) == (180, 240, 1)
    assert not Account.objects.exists()


def test_a_new_age_band_reaches_more_elders(city, hz, personas):
    # Raising 38 h to 40.5 h touches only the 低保 elder with moderate disability.
    results = simulate(
        actor=personas[Role.CIVIL_COUNTY],
        region=city.county,
        month=MONTH,
        changes=[Change("hangzhou-2020-47", "home_care_hours", "care_moderate", Decimal("40.5"))],
    )
    (county,) = results
    assert county.changed[HOURS].amount - county.baseline[HOURS].amount == 150
    assert county.affected == 1


@pytest.mark.parametrize(
    "change",
    [
        Change("hangzhou-2020-47", "home_care_hours", "age_99", Decimal(4)),
        Change("nowhere", "home_care_hours", "age_80_89", Decimal(4)),
        Change("hangzhou-2020-47", "home_care_hours", "age_80_89", Decimal(0)),
        Change("hangzhou-2020-47", "home_care_hours", "age_80_89", Decimal("0.001")),
    ],
)
def test_bad_changes_are_refused(city, personas, change):
    with pytest.raises(ValidationError):
        simulate(actor=personas[Role.CIVIL_CITY], region=city.city, month=MONTH, changes=[change])


def test_only_officers_who_fund_allowances_and_in_their_region(city, personas):
    change = [Change("hangzhou-2020-47", "home_care_hours", "age_80_89", Decimal(4))]
    with pytest.raises(PermissionDenied):
        simulate(actor=personas[Role.CIVIL_STREET], region=city.street, month=MONTH, changes=change)
    with pytest.raises(PermissionDenied):
        simulate(actor=personas[Role.CIVIL_COUNTY], region=city.county_b, month=MONTH, changes=change)
