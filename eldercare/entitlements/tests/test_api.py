"""The entitlements API: who may read what, the explanation, spending through the API, runs,
what-if and settlement with its Excel export. Expectations are written out by hand."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account, IssuanceRun
from eldercare.entitlements.services.issuance import issuance_execute

from .conftest import MONTH

R = Role
# GET /elders/<e85 in 清波社区>/decisions: 200 for the region's readers with VIEW_ENTITLEMENTS;
# 404 for the elder and family personas (not their record); 403 for roles without the capability.
DECISIONS = {
    R.SYSTEM_ADMIN: 200,
    R.CIVIL_CITY: 200,
    R.CIVIL_COUNTY: 200,
    R.CIVIL_STREET: 200,
    R.CENTER_OPERATOR: 200,
    R.COMMUNITY_WORKER: 200,
    R.CARE_ADVISOR: 200,
    R.FAMILY_DOCTOR: 403,
    R.PROVIDER_ADMIN: 403,
    R.CAREGIVER: 403,
    R.VOLUNTEER: 403,
    R.ELDER: 404,
    R.FAMILY: 404,
    R.ASSESSOR: 403,
}


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


@pytest.mark.parametrize("role", list(Role))
def test_who_reads_an_elders_decisions(client, hz, personas, role):
    client.force_login(personas[role])
    response = client.get(f"/api/entitlements/elders/{hz['e85'].pk}/decisions?month=2026-11")
    assert response.status_code == DECISIONS[role]


def test_a_decision_explained(client, hz, personas):
    client.force_login(personas[R.CIVIL_STREET])
    body = client.get(f"/api/entitlements/elders/{hz['e85'].pk}/decisions?month=2026-11").json()
    hours = next(d for d in body["decisions"] if d["benefit"] == "home_care_hours")
    assert (hours["granted"], hours["tier"], hours["amount"], hours["amount_label"]) == (True, "age_80_89", 180, "3 小时")
    assert "3小时、6小时" in hours["citation"]
    institution = next(d for d in body["decisions"] if d["benefit"] == "institution_subsidy")
    assert institution["granted"] is False
    assert "入住" in institution["reason"]


def test_health_facts_are_hidden_from_centre_operators(client, hz, personas):
    url = f"/api/entitlements/elders/{hz['poor'].pk}/decisions?month=2026-11"
    client.force_login(personas[R.CIVIL_STREET])
    facts = [c["fact"] for d in client.get(url).json()["decisions"] for t in d["tiers"] for c in t["checks"]]
    assert any("中度" in f for f in facts)
    client.force_login(personas[R.CENTER_OPERATOR])
    body = client.get(url).json()
    facts = [c["fact"] for d in body["decisions"] for t in d["tiers"] for c in t["checks"]]
    assert not any("中度" in f for f in facts)
    assert any("健康信息" in f for f in facts)
    hours = next(d for d in body["decisions"] if d["benefit"] == "home_care_hours")
    assert hours["amount"] == 38 * 60  # the outcome itself is theirs to act on


def test_a_bad_month_is_422(client, hz, personas):
    client.force_login(personas[R.CIVIL_STREET])
    response = client.get(f"/api/entitlements/elders/{hz['e85'].pk}/decisions?month=November")
    assert response.status_code == 422
    assert response.json()["code"] == "entitlements.month_format"


def test_spending_through_the_api(client, city, hz, personas, provider):
    issuance_execute(run_id=IssuanceRun.objects.create(region=city.city, month=MONTH).pk, today=dt.date(2026, 11, 2))
    account = Account.objects.get(elder=hz["e85"])
    client.force_login(personas[R.CENTER_OPERATOR])
    spend = {"amount": 120, "key": "order-1", "on": "2026-11-12", "provider": provider.pk, "value": 80_00, "reference": "order:1"}
    first = post(client, f"/api/entitlements/accounts/{account.pk}/spend", spend)
    assert first.status_code == 201
    assert (first.json()["amount"], first.json()["balance_after"]) == (-120, 60)
    assert post(client, f"/api/entitlements/accounts/{account.pk}/spend", spend).json()["id"] == first.json()["id"]
    too_much = post(client, f"/api/entitlements/accounts/{account.pk}/spend", {**spend, "key": "order-2", "amount": 61})
    assert too_much.status_code == 422
    assert too_much.json()["code"] == "entitlements.insufficient"
    back = post(client, f"/api/entitlements/entries/{first.json()['id']}/reverse", {"key": "undo-1", "reason": "取消"})
    assert (back.status_code, back.json()["balance_after"]) == (201, 180)
    detail = client.get(f"/api/entitlements/accounts/{account.pk}").json()
    assert [e["kind"] for e in detail["entries"]] == ["issue", "spend", "reverse"]
    client.force_login(personas[R.ELDER])
    assert client.get(f"/api/entitlements/accounts/{account.pk}").status_code == 404  # not their account
    client.force_login(personas[R.VOLUNTEER])
    assert client.get(f"/api/entitlements/accounts/{account.pk}").status_code == 403


def test_runs_simulation_and_settlement(client, city, hz, personas, provider, django_capture_on_commit_callbacks, monkeypatch):
    from django.utils import timezone

    client.force_login(personas[R.CIVIL_CITY])
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 11, 2))
    with django_capture_on_commit_callbacks(execute=True):
        queued = post(client, "/api/entitlements/runs", {"region": city.city.code, "month": "2026-11"})
    assert queued.status_code == 202
    run = client.get(f"/api/entitlements/runs/{queued.json()['id']}").json()
    assert (run["status"], run["accounts_opened"]) == ("done", 3)

    what_if = post(
        client,
        "/api/entitlements/simulate",
        {
            "region": city.county.code,
            "month": "2026-11",
            "changes": [{"policy": "hangzhou-2020-47", "benefit": "home_care_hours", "tier": "age_80_89", "amount": "4"}],
        },
    )
    assert what_if.status_code == 200
    (county,) = what_if.json()
    figures = county["benefits"][0]
    assert (figures["baseline_amount"], figures["changed_amount"], county["affected"]) == ((3 + 6 + 38) * 60, (4 + 6 + 38) * 60, 1)

    account = Account.objects.get(elder=hz["e85"])
    client.force_login(personas[R.CENTER_OPERATOR])
    post(
        client,
        f"/api/entitlements/accounts/{account.pk}/spend",
        {"amount": 60, "key": "o1", "on": "2026-11-12", "provider": provider.pk, "value": 40_00},
    )
    client.force_login(personas[R.CIVIL_CITY])
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 12, 2))
    prepared = post(client, "/api/entitlements/settlements", {"region": city.city.code, "month": "2026-11"})
    assert prepared.status_code == 201
    body = prepared.json()
    assert (body["total"], body["lines"][0]["payee"], body["lines"][0]["quantity"]) == (40_00, provider.name, 60)
    locked = post(client, f"/api/entitlements/settlements/{body['id']}/lock", {})
    assert locked.json()["status"] == "locked"
    export = client.get(f"/api/entitlements/settlements/{body['id']}/export")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    summary = [row for row in book["结算汇总"].iter_rows(values_only=True)]
    assert summary[3][0] == provider.name and summary[3][7] == 40
    records = [row for row in book["结算明细"].iter_rows(values_only=True)]
    assert records[1][2] == hz["e85"].name and records[1][3] == hz["e85"].id_masked
    client.force_login(personas[R.CIVIL_STREET])
    assert client.get(f"/api/entitlements/settlements/{body['id']}").status_code == 403


def test_the_policies_are_published(client, personas):
    client.force_login(personas[R.ELDER])
    body = client.get("/api/entitlements/policies").json()["items"]
    ids = {p["id"] for p in body}
    assert ids == {"hangzhou-2020-47", "nanyang-2021-37"}
    hours = next(b for p in body for b in p["benefits"] if b["key"] == "home_care_hours")
    assert [t["amount_label"] for t in hours["tiers"]] == ["52 小时", "38 小时", "6 小时", "3 小时"]
    # Each benefit publishes the dates it is in force, with the clause that sets them (杭政办函〔2020〕47号:
    # the document from 2020-11-10, the institution subsidy from 2021-01-01 by 二(四)12).
    assert (hours["valid_from"], hours["valid_from_citation"]) == ("2020-11-10", "")
    institution = next(b for p in body for b in p["benefits"] if b["valid_from"] == "2021-01-01")
    assert "自2021年1月1日起" in institution["valid_from_citation"]
