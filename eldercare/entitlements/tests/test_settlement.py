"""Month-end settlement: provider lines from spends, facility lines from stay subsidies; locking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account, IssuanceRun, SettlementStatus
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.entitlements.services.ledger import allowance_adjust, allowance_reverse, allowance_spend
from eldercare.entitlements.services.settlement import settlement_lock, settlement_prepare
from eldercare.facilities.models import Stay
from eldercare.providers.models import Provider
from eldercare.tests.builders import error_codes

from .conftest import MONTH, provider_code

AFTER = dt.date(2026, 12, 3)


@pytest.fixture
def month_done(city, hz, provider, personas):
    """November issued after its end (hours and the institution subsidy), then services delivered:
    the provider spent 2 h for e85 and 10 h for poor; one hour of poor's is reversed; a second
    provider spent 1 h for e92."""
    Stay.objects.create(elder=hz["resident"], facility=hz["institution"], kind="long_term", start=dt.date(2026, 11, 16))
    issuance_execute(run_id=IssuanceRun.objects.create(region=city.city, month=MONTH).pk, today=AFTER)
    operator = personas[Role.CENTER_OPERATOR]
    other = Provider.objects.create(name="湖滨助老服务社", credit_code=provider_code("52330102MJ9X1234X"), region=city.county)
    account = {e: Account.objects.get(elder=hz[e], benefit="home_care_hours") for e in ("e85", "e92", "poor")}

    def use(elder, minutes, key, who=provider):
        return allowance_spend(
            actor=operator,
            account=account[elder],
            amount=minutes,
            key=key,
            on=dt.date(2026, 11, 20),
            provider=who,
            value=minutes * 40_00 // 60,
        )

    use("e85", 120, "s1")
    use("poor", 600, "s2")
    wrong = use("poor", 60, "s3")
    allowance_reverse(actor=operator, spend=wrong, key="r3", reason="未上门 / not delivered")
    use("e92", 60, "s4", who=other)
    return {"operator": operator, "other": other, "account": account}


def lines(settlement):
    return {
        (str(line.provider or line.facility), line.benefit): (line.quantity, line.amount, line.records, line.elders)
        for line in settlement.lines.all()
    }


def test_what_the_government_owes(city, hz, provider, personas, month_done):
    settlement = settlement_prepare(actor=personas[Role.CIVIL_CITY], region=city.city, month=MONTH, today=AFTER)
    assert lines(settlement) == {
        (provider.name, "home_care_hours"): (720, 480_00, 2, 2),  # 12 h at 40 yuan; the reversed hour is not owed
        ("湖滨助老服务社", "home_care_hours"): (60, 40_00, 1, 1),
        ("清波颐养院", "institution_subsidy"): (300_00, 300_00, 1, 1),  # 15 of 30 days of 600 yuan
    }
    assert settlement.total == 480_00 + 40_00 + 300_00
    assert settlement.status == SettlementStatus.OPEN


def test_a_county_settles_its_own_elders(city, hz, personas, month_done):
    settlement = settlement_prepare(actor=personas[Role.CIVIL_COUNTY], region=city.county, month=MONTH, today=AFTER)
    assert settlement.total == 480_00 + 40_00 + 300_00  # all of them live in 上城区
    with pytest.raises(PermissionDenied):
        settlement_prepare(actor=personas[Role.CIVIL_COUNTY], region=city.city, month=MONTH, today=AFTER)
    with pytest.raises(PermissionDenied):
        settlement_prepare(actor=personas[Role.CENTER_OPERATOR], region=city.street, month=MONTH, today=AFTER)


def test_not_before_the_month_ends(city, personas):
    with pytest.raises(ValidationError):
        settlement_prepare(actor=personas[Role.CIVIL_CITY], region=city.city, month=MONTH, today=dt.date(2026, 11, 30))


def test_preparing_again_follows_the_ledger_and_locking_freezes_it(city, hz, provider, personas, month_done):
    officer = personas[Role.CIVIL_CITY]
    settlement_prepare(actor=officer, region=city.city, month=MONTH, today=AFTER)
    e85 = month_done["account"]["e85"]
    allowance_spend(
        actor=month_done["operator"], account=e85, amount=60, key="s5", on=dt.date(2026, 11, 28), provider=provider, value=40_00
    )
    settlement = settlement_prepare(actor=officer, region=city.city, month=MONTH, today=AFTER)
    assert lines(settlement)[(provider.name, "home_care_hours")] == (780, 520_00, 3, 2)
    locked = settlement_lock(actor=officer, settlement=settlement)
    assert (locked.status, locked.locked_by, locked.total) == (SettlementStatus.LOCKED, officer, 520_00 + 40_00 + 300_00)
    with pytest.raises(ValidationError) as refused:
        allowance_spend(
            actor=month_done["operator"], account=e85, amount=1, key="s6", on=dt.date(2026, 11, 28), provider=provider, value=67
        )
    assert error_codes(refused.value) == {"entitlements.settled"}
    with pytest.raises(ValidationError):
        allowance_adjust(actor=officer, account=e85, amount=60, key="a1", reason="补发")
    with pytest.raises(ValidationError):
        settlement_lock(actor=officer, settlement=locked)
    with pytest.raises(ValidationError):
        settlement_prepare(actor=officer, region=city.city, month=MONTH, today=AFTER)
    # A county under the locked city cannot be settled again for the month: that would pay twice.
    with pytest.raises(ValidationError) as refused:
        settlement_prepare(actor=personas[Role.CIVIL_COUNTY], region=city.county, month=MONTH, today=AFTER)
    assert error_codes(refused.value) == {"entitlements.overlapping_settlement"}
