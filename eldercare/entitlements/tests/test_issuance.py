"""Monthly issuance against the database: who gets which account, re-runs, stays, exclusions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account, Entry, EntryKind, IssuanceRun, RunStatus
from eldercare.entitlements.services.issuance import issuance_execute, issuance_request
from eldercare.facilities.models import Institution, Stay
from eldercare.tests import builders as testing

from .conftest import MONTH, born

DURING = dt.date(2026, 11, 10)
AFTER = dt.date(2026, 12, 2)


def run_for(region, month=MONTH, today=DURING):
    run = IssuanceRun.objects.create(region=region, month=month)
    return issuance_execute(run_id=run.pk, today=today)


def accounts(**filters):
    return {(a.elder_id, a.benefit): (a.tier, a.issued, a.balance) for a in Account.objects.filter(**filters)}


def test_a_month_for_the_city(city, hz):
    run = run_for(city.city)
    assert run.status == RunStatus.DONE
    assert accounts() == {
        (hz["e85"].pk, "home_care_hours"): ("age_80_89", 180, 180),
        (hz["e92"].pk, "home_care_hours"): ("age_90", 360, 360),
        (hz["poor"].pk, "home_care_hours"): ("care_moderate", 38 * 60, 38 * 60),
    }
    account = Account.objects.get(elder=hz["e85"])
    assert (account.unit, account.region_id, account.expires_on) == ("minutes", city.community.code, dt.date(2026, 11, 30))
    entry = account.entries.get()
    assert (entry.kind, entry.amount, entry.balance_after, entry.key) == (EntryKind.ISSUE, 180, 180, f"issue:{account.pk}")
    assert run.elders_considered == 5
    assert run.accounts_opened == 3
    assert run.summary["benefits"]["hangzhou-2020-47/home_care_hours"] == {"accounts": 3, "amount": 180 + 360 + 38 * 60}
    # Benefits paid per day of a stay wait for the month to end.
    assert run.summary["skipped"] == ["hangzhou-2020-47/institution_subsidy", "hangzhou-2020-47/respite_subsidy"]


def test_re_running_issues_only_what_is_missing(city, hz):
    run_for(city.city)
    before = set(Entry.objects.values_list("pk", flat=True))
    again = run_for(city.city)
    assert again.accounts_opened == 0
    assert set(Entry.objects.values_list("pk", flat=True)) == before
    late = testing.elder(residence=city.community2, birth=born(81), hukou_region=city.community2)
    third = run_for(city.county)
    assert third.accounts_opened == 1
    assert Account.objects.get(elder=late).entries.get().amount == 180
    assert Entry.objects.count() == len(before) + 1


def test_counties_of_the_run_and_only_its_subtree(city, hz):
    far = testing.elder(residence=city.community_far, birth=born(88), hukou_region=city.community_far)
    run_for(city.county)
    assert not Account.objects.filter(elder=far).exists()
    run_for(city.city)
    assert Account.objects.filter(elder=far).exists()


def test_moved_out_before_the_month_gets_nothing(city, hz):
    hz["e85"].status, hz["e85"].status_date = "moved_out", dt.date(2026, 10, 20)
    hz["e85"].save()
    run_for(city.city)
    assert not Account.objects.filter(elder=hz["e85"]).exists()


def test_stay_subsidies_after_the_month_pro_rata(city, hz):
    Stay.objects.create(elder=hz["resident"], facility=hz["institution"], kind="long_term", start=dt.date(2026, 11, 21))
    run_for(city.city, today=DURING)
    assert not Account.objects.filter(elder=hz["resident"]).exists()
    run = run_for(city.city, today=AFTER)
    assert run.summary["skipped"] == []
    account = Account.objects.get(elder=hz["resident"])
    assert (account.benefit, account.unit, account.issued) == ("institution_subsidy", "fen", 200_00)  # 10 of 30 days
    assert account.expires_on is None  # paid to the institution at settlement, never lapses


def test_respite_is_not_issued_on_top_of_the_hours(city, hz):
    centre = Institution.objects.create(name="清波日照中心", kind="day_care", ownership="public", community=city.community)
    Stay.objects.create(elder=hz["poor"], facility=centre, kind="respite", start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 7))
    no_hours = testing.elder(residence=city.community, birth=born(72), hukou_region=city.community)
    from .conftest import assessed

    assessed(no_hours, "moderate")
    Stay.objects.create(elder=no_hours, facility=centre, kind="respite", start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 7))
    run_for(city.city, today=AFTER)
    assert set(Account.objects.filter(elder=hz["poor"]).values_list("benefit", flat=True)) == {"home_care_hours"}
    assert Account.objects.get(elder=no_hours).issued == 5 * 20_00


class TestRequest:
    def test_an_officer_queues_a_run_that_the_task_executes(self, city, hz, personas, django_capture_on_commit_callbacks, monkeypatch):
        from django.utils import timezone

        monkeypatch.setattr(timezone, "localdate", lambda *a: DURING)
        with django_capture_on_commit_callbacks(execute=True):
            run = issuance_request(actor=personas[Role.CIVIL_COUNTY], region=city.county, month=MONTH)
        run.refresh_from_db()
        assert run.status == RunStatus.DONE
        assert run.requested_by == personas[Role.CIVIL_COUNTY]
        assert Account.objects.count() == 3

    @pytest.mark.parametrize("role", [Role.CIVIL_STREET, Role.CENTER_OPERATOR, Role.COMMUNITY_WORKER, Role.CAREGIVER])
    def test_only_city_and_county_offices_issue(self, city, personas, role):
        with pytest.raises(PermissionDenied):
            issuance_request(actor=personas[role], region=city.street, month=MONTH)

    def test_not_outside_the_officers_region(self, city, personas):
        with pytest.raises(PermissionDenied):
            issuance_request(actor=personas[Role.CIVIL_COUNTY], region=city.county_b, month=MONTH)

    @pytest.mark.parametrize("month", [dt.date(2026, 11, 2), dt.date(2030, 1, 1)])
    def test_a_month_is_a_first_day_not_far_ahead(self, city, personas, month):
        with pytest.raises(ValidationError):
            issuance_request(actor=personas[Role.CIVIL_CITY], region=city.city, month=month)
        assert not IssuanceRun.objects.exists()


def test_the_month_start_command(city, hz, capsys, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    call_command("allowances_month", "--month", "2026-11", "--now")
    out = capsys.readouterr().out
    assert "2026-11" in out and "2026-10" in out
    assert Account.objects.filter(month=MONTH).count() == 3
    assert IssuanceRun.objects.filter(status=RunStatus.DONE).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        call_command("allowances_month", "--month", "2026-11")  # queued; the test backend runs tasks at once
    assert IssuanceRun.objects.filter(status=RunStatus.DONE).count() == 4
    assert Account.objects.filter(month=MONTH).count() == 3  # nothing issued twice


def test_facts_are_loaded_for_whoever_a_day_concerns(city, hz):
    import yaml

    from eldercare.entitlements.engine import load_facts_for
    from eldercare.entitlements.policy import POLICIES_DIR, get_policy, parse_policy

    month_end = dt.date(2026, 11, 30)
    shipped = get_policy("hangzhou-2020-47")
    base, by_day = load_facts_for(shipped.benefits.values(), MONTH, region_code=city.city.code)
    assert set(base) == {e.pk for e in hz.values() if hasattr(e, "birth_date")}
    assert by_day[month_end] == {}  # only stay-based benefits look at the month's end, and nobody has a stay
    Stay.objects.create(elder=hz["resident"], facility=hz["institution"], kind="long_term", start=dt.date(2026, 1, 1))
    _, by_day = load_facts_for(shipped.benefits.values(), MONTH, region_code=city.city.code)
    assert set(by_day[month_end]) == {hz["resident"].pk}
    # A monthly benefit that takes its facts at the month's end concerns everyone.
    data = yaml.safe_load((POLICIES_DIR / shipped.file).read_text(encoding="utf-8"))
    data["benefits"]["home_care_hours"]["facts_on"] = "month_end"
    variant = parse_policy(data, shipped.file)
    base, by_day = load_facts_for(variant.benefits.values(), MONTH, region_code=city.city.code)
    assert set(by_day[month_end]) == set(base)
    assert by_day[month_end][hz["e85"].pk].on == month_end
