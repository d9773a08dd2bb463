"""Spending, reversing, adjusting and expiring allowances; the ledger is append-only and a balance
never goes below zero, however the requests arrive."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account, Entry, EntryKind, IssuanceRun
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.entitlements.services.ledger import accounts_expire, allowance_adjust, allowance_reverse, allowance_spend
from eldercare.providers.models import Provider
from eldercare.tests import builders as testing
from eldercare.tests.builders import error_codes

from .conftest import MONTH, born, provider_code

SERVICE_DAY = dt.date(2026, 11, 12)


@pytest.fixture
def account(city, hz, provider):
    issuance_execute(run_id=IssuanceRun.objects.create(region=city.city, month=MONTH).pk, today=dt.date(2026, 11, 2))
    return Account.objects.get(elder=hz["e85"])  # 180 minutes, 清波社区


@pytest.fixture
def operator(personas):
    return personas[Role.CENTER_OPERATOR]  # 清波街道


PRICE_PER_HOUR = 40_00  # fen: what the test provider is paid for an hour of service


def spend(account, actor, minutes, key, on=SERVICE_DAY, provider=None):
    from eldercare.providers.models import Provider

    provider = provider or Provider.objects.get()
    value = minutes * PRICE_PER_HOUR // 60 if isinstance(minutes, int) and not isinstance(minutes, bool) else 0
    return allowance_spend(
        actor=actor, account=account, amount=minutes, key=key, on=on, provider=provider, value=value, reference=f"order:{key}"
    )


def balance(account) -> int:
    account.refresh_from_db()
    return account.balance


class TestSpend:
    def test_spends_down_to_zero_and_no_further(self, account, operator):
        first = spend(account, operator, 120, "o1")
        assert (first.kind, first.amount, first.balance_after, first.reference) == (EntryKind.SPEND, -120, 60, "order:o1")
        spend(account, operator, 60, "o2")
        assert balance(account) == 0
        with pytest.raises(ValidationError) as refused:
            spend(account, operator, 30, "o3")
        assert error_codes(refused.value) == {"entitlements.insufficient"}
        assert balance(account) == 0
        assert sum(account.entries.values_list("amount", flat=True)) == 0

    def test_a_retried_request_returns_the_first_entry(self, account, operator):
        first = spend(account, operator, 60, "same")
        again = spend(account, operator, 60, "same")
        assert again.pk == first.pk
        assert balance(account) == 120

    def test_a_key_is_not_reused_for_something_else(self, account, operator):
        spend(account, operator, 60, "k")
        with pytest.raises(ValidationError) as refused:
            spend(account, operator, 30, "k")
        assert error_codes(refused.value) == {"entitlements.key_reused"}
        assert balance(account) == 120

    @pytest.mark.parametrize(
        "change",
        [
            {"reference": "order:another"},
            {"value": 1},
            {"provider": "other"},
        ],
    )
    def test_a_key_must_match_the_whole_request(self, account, operator, provider, change):
        """Same key and amount, another provider, value or reference: a different request, refused."""
        first = spend(account, operator, 60, "k")
        other = provider
        if change.get("provider"):
            other = Provider.objects.create(name="另一家服务商", credit_code=provider_code("91330102MA27UW302"), region=provider.region)
        request = {"reference": first.reference, "value": -first.value, "provider": other} | {
            k: v for k, v in change.items() if k != "provider"
        }
        with pytest.raises(ValidationError) as refused:
            allowance_spend(actor=operator, account=account, amount=60, key="k", on=SERVICE_DAY, **request)
        assert error_codes(refused.value) == {"entitlements.key_reused"}
        assert balance(account) == 120
        assert account.entries.filter(kind=EntryKind.SPEND).count() == 1

    @pytest.mark.parametrize("amount", [0, -60, 1.5, True])
    def test_amounts_are_positive_whole_units(self, account, operator, amount):
        with pytest.raises(ValidationError):
            spend(account, operator, amount, "bad")

    def test_hours_carry_the_value_the_provider_is_paid(self, account, operator, provider):
        with pytest.raises(ValidationError) as refused:
            allowance_spend(actor=operator, account=account, amount=60, key="v", on=SERVICE_DAY, provider=provider)
        assert error_codes(refused.value) == {"entitlements.value"}
        entry = spend(account, operator, 90, "w")
        assert (entry.provider, entry.value) == (provider, -60_00)

    @pytest.mark.parametrize("day", [dt.date(2026, 10, 31), dt.date(2026, 12, 1)])
    def test_only_within_the_accounts_period(self, account, operator, day):
        with pytest.raises(ValidationError) as refused:
            spend(account, operator, 60, "late", on=day)
        assert error_codes(refused.value) == {"entitlements.not_valid_on"}

    def test_scope_and_capability(self, city, account, personas):
        outsider = testing.user("centre-far", Role.CENTER_OPERATOR, city.street_b)
        with pytest.raises(PermissionDenied):
            spend(account, outsider, 60, "x")
        with pytest.raises(PermissionDenied):
            spend(account, personas[Role.CIVIL_STREET], 60, "y")  # officers issue; they do not spend
        with pytest.raises(PermissionDenied):
            spend(account, personas[Role.CAREGIVER], 60, "z")  # until an order links them to the elder
        assert balance(account) == 180


class TestReverse:
    def test_gives_back_once(self, account, operator):
        used = spend(account, operator, 90, "o1")
        back = allowance_reverse(actor=operator, spend=used, key="r1", reason="服务取消")
        assert (back.kind, back.amount, back.reverses_id, back.balance_after) == (EntryKind.REVERSE, 90, used.pk, 180)
        assert allowance_reverse(actor=operator, spend=used, key="r1", reason="服务取消").pk == back.pk
        with pytest.raises(ValidationError):
            allowance_reverse(actor=operator, spend=used, key="r2", reason="again")
        with pytest.raises(ValidationError):
            allowance_reverse(actor=operator, spend=back, key="r3", reason="a reversal is not a spend")
        assert balance(account) == 180

    def test_a_reversal_key_names_its_spend(self, account, operator):
        """The key of one reversal, reused on another spend of the same amount, is refused: the
        second spend stays to be reversed under its own key."""
        first, second = spend(account, operator, 60, "o1"), spend(account, operator, 60, "o2")
        allowance_reverse(actor=operator, spend=first, key="r1", reason="服务取消")
        with pytest.raises(ValidationError) as refused:
            allowance_reverse(actor=operator, spend=second, key="r1", reason="服务取消")
        assert error_codes(refused.value) == {"entitlements.key_reused"}
        assert not Entry.objects.filter(reverses=second).exists()
        assert allowance_reverse(actor=operator, spend=second, key="r2", reason="服务取消").reverses_id == second.pk
        assert balance(account) == 180


class TestAdjust:
    def test_up_and_down_but_not_below_zero(self, account, personas, operator):
        county = personas[Role.CIVIL_COUNTY]
        allowance_adjust(actor=county, account=account, amount=60, key="a1", reason="复核补发")
        account.refresh_from_db()
        assert (account.issued, account.balance) == (240, 240)
        spend(account, operator, 200, "o1")
        with pytest.raises(ValidationError):
            allowance_adjust(actor=county, account=account, amount=-60, key="a2", reason="多发收回")
        allowance_adjust(actor=county, account=account, amount=-40, key="a3", reason="多发收回")
        assert balance(account) == 0
        with pytest.raises(PermissionDenied):
            allowance_adjust(actor=operator, account=account, amount=60, key="a4", reason="no")


class TestExpire:
    def test_unused_hours_lapse_after_the_month(self, account, operator, hz):
        spend(account, operator, 60, "o1")
        assert accounts_expire(today=dt.date(2026, 11, 30)) == 0
        assert accounts_expire(today=dt.date(2026, 12, 1)) == 3  # three hour accounts were issued
        assert balance(account) == 0
        lapse = account.entries.get(kind=EntryKind.EXPIRE)
        assert (lapse.amount, lapse.balance_after) == (-120, 0)
        assert accounts_expire(today=dt.date(2026, 12, 1)) == 0

    def test_a_reversal_after_expiry_lapses_again(self, account, operator):
        used = spend(account, operator, 60, "o1")
        accounts_expire(today=dt.date(2026, 12, 1))
        allowance_reverse(actor=operator, spend=used, key="r1", reason="投诉核实未服务")
        assert balance(account) == 60
        assert accounts_expire(today=dt.date(2026, 12, 2)) == 1
        assert balance(account) == 0
        assert account.entries.filter(kind=EntryKind.EXPIRE).count() == 2


def test_the_ledger_is_append_only(account):
    entry = account.entries.get()
    entry.amount = 999
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        Entry.objects.filter(pk=entry.pk).update(amount=999)
    with pytest.raises(TypeError):
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get(pk=entry.pk).amount == 180


def test_the_database_refuses_a_negative_balance(account):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL")
@pytest.mark.django_db(transaction=True)
class TestRacesOnPostgres:
    def test_two_caregivers_spend_the_last_hour_at_once(self, city, personas, provider):
        elder = testing.elder(residence=city.community, birth=born(85), hukou_region=city.community)
        issuance_execute(run_id=IssuanceRun.objects.create(region=city.county, month=MONTH).pk, today=dt.date(2026, 11, 2))
        account = Account.objects.get(elder=elder)
        operator = personas[Role.CENTER_OPERATOR]
        spend(account, operator, 120, "first-two-hours")
        other = testing.user("centre-2", Role.CENTER_OPERATOR, city.street)

        outcomes, barrier = [], threading.Barrier(2)

        def draw(actor, key):
            try:
                barrier.wait()
                outcomes.append(("ok", spend(account, actor, 60, key).pk))
            except ValidationError as exc:
                outcomes.append(("refused", str(exc)))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=draw, args=(who, key)) for who, key in ((operator, "a"), (other, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
        assert "余额不足" in next(text for kind, text in outcomes if kind == "refused")
        account.refresh_from_db()
        assert account.balance == 0
        assert list(account.entries.order_by("pk").values_list("balance_after", flat=True)) == [180, 60, 0]

    def test_two_runs_of_the_same_month_open_each_account_once(self, city, hz):
        runs = [IssuanceRun.objects.create(region=region, month=MONTH) for region in (city.city, city.county)]
        barrier = threading.Barrier(2)

        def execute(run):
            try:
                barrier.wait()
                issuance_execute(run_id=run.pk, today=dt.date(2026, 11, 2))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=execute, args=(run,)) for run in runs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert Account.objects.count() == 3
        assert Entry.objects.count() == 3
        assert sum(run.accounts_opened for run in IssuanceRun.objects.all()) == 3  # each counted once, by its opener
