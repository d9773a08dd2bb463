"""Entitlement pages in the console: the elder's entitlements explained, the allowances office's
runs, settlements and what-if; plus a real browser's look at them (screenshots in var/screenshots)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account, IssuanceRun, Settlement, SettlementStatus
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.entitlements.services.ledger import allowance_spend
from eldercare.tests.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

from .conftest import MONTH

R = Role


@pytest.fixture
def issued(city, hz):
    issuance_execute(run_id=IssuanceRun.objects.create(region=city.city, month=MONTH).pk, today=dt.date(2026, 11, 2))


@pytest.fixture
def november(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 11, 20))


def page(client, user, url, status=200):
    client.force_login(user)
    translation.activate("zh-hans")
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == status
    return response.content.decode() if status == 200 else ""


def test_the_record_shows_this_months_allowances(client, hz, personas, issued, november):
    html = page(client, personas[R.CIVIL_STREET], f"/elders/{hz['e85'].pk}/")
    assert "津贴与补贴" in html
    assert "3 小时" in html
    assert "应享待遇及依据" in html
    html = page(client, personas[R.FAMILY_DOCTOR], f"/elders/{hz['e85'].pk}/")
    assert "津贴与补贴" not in html


def test_the_explanation_page(client, hz, personas, issued, november):
    html = page(client, personas[R.CIVIL_STREET], f"/elders/{hz['poor'].pk}/entitlements/?month=2026-11")
    assert "可享受" in html and "38 小时" in html
    assert "逐条核对的条件" in html
    assert "杭政办函〔2020〕47号" in html
    assert "能力评估失能程度为中度" in html  # the condition that granted it
    page(client, personas[R.FAMILY_DOCTOR], f"/elders/{hz['poor'].pk}/entitlements/", status=403)


def test_elders_see_their_own_in_large_type(client, hz, personas, issued, november):
    own = hz["e85"]
    own.user = personas[R.ELDER]
    own.save()
    html = page(client, personas[R.ELDER], f"/elders/{own.pk}/entitlements/")
    assert 'class="senior"' in html
    assert "3 小时" in html
    assert "逐条核对的条件" not in html  # the plain answer, not the officers' checklist
    page(client, personas[R.ELDER], f"/elders/{hz['e92'].pk}/entitlements/", status=404)


def test_the_allowances_office(client, city, hz, personas, provider, django_capture_on_commit_callbacks, november, monkeypatch):
    page(client, personas[R.CIVIL_STREET], "/entitlements/", status=403)
    officer = personas[R.CIVIL_COUNTY]
    html = page(client, officer, "/entitlements/")
    assert "按月发放" in html and "月末结算" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/entitlements/", {"action": "issue", "run-region": city.county.code, "run-month": "2026-11"})
    assert response.status_code == 302
    assert IssuanceRun.objects.get().accounts_opened == 3
    account = Account.objects.get(elder=hz["e85"])
    allowance_spend(
        actor=personas[R.CENTER_OPERATOR], account=account, amount=120, key="o1", on=dt.date(2026, 11, 12), provider=provider, value=80_00
    )
    early = client.post("/entitlements/", {"action": "settle", "settle-region": city.county.code, "settle-month": "2026-11"})
    assert "尚未结束" in early.content.decode()
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 12, 2))
    response = client.post("/entitlements/", {"action": "settle", "settle-region": city.county.code, "settle-month": "2026-11"})
    settlement = Settlement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/entitlements/settlements/{settlement.pk}/"
    html = page(client, officer, f"/entitlements/settlements/{settlement.pk}/")
    assert provider.name in html and "80元" in html
    client.post(f"/entitlements/settlements/{settlement.pk}/lock/")
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.LOCKED
    export = client.get(f"/entitlements/settlements/{settlement.pk}/export.xlsx")
    rows = list(load_workbook(io.BytesIO(export.content))["结算明细"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == hz["e85"].name


def test_what_if_page(client, city, hz, personas, november):
    url = f"/entitlements/simulate/?region={city.county.code}&month=2026-11&tier=hangzhou-2020-47|home_care_hours|age_80_89&amount=4"
    html = page(client, personas[R.CIVIL_COUNTY], url)
    assert "上城区" in html
    assert "47 小时" in html and "48 小时" in html  # 3 + 6 + 38 now, 4 + 6 + 38 after




@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_entitlement_pages_in_a_browser(live_server, settings):
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    from eldercare.tests import builders as testing
    from eldercare.tests.builders import PASSWORD

    from .conftest import assessed, born

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    translation.activate("zh-hans")
    t = testing.build_city()
    testing.user("county", Role.CIVIL_COUNTY, t.county)
    elder_user = testing.user("wang", Role.ELDER)
    wang = testing.elder(residence=t.community, name="王秀英", birth=born(72), hukou_region=t.community, groups=(("dibao", ""),))
    wang.user = elder_user
    wang.save()
    assessed(wang, "severe")
    for i, age in enumerate((81, 85, 88, 91, 95)):
        testing.elder(residence=t.community_b if i % 2 else t.community2, name=f"老人{i}", birth=born(age), hukou_region=t.community)
    today = dt.date.today().replace(day=1)
    issuance_execute(run_id=IssuanceRun.objects.create(region=t.city, month=today).pk)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for username, path, name in (
                ("county", f"/elders/{wang.pk}/entitlements/", "40-entitlements-officer.png"),
                ("county", "/entitlements/", "41-allowances-office.png"),
                (
                    "county",
                    f"/entitlements/simulate/?region={t.county.code}&month={today:%Y-%m}&tier=hangzhou-2020-47|home_care_hours|age_80_89&amount=4",
                    "42-what-if.png",
                ),
                ("wang", f"/elders/{wang.pk}/entitlements/", "43-entitlements-elder.png"),
            ):
                context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                tab = context.new_page()
                tab.goto(f"{live_server.url}/accounts/login/")
                tab.get_by_label("用户名").fill(username)
                tab.get_by_label("密码").fill(PASSWORD)
                tab.get_by_role("button", name="登录").click()
                tab.wait_for_url(f"{live_server.url}/")
                tab.goto(f"{live_server.url}{path}")
                tab.wait_for_load_state("load")
                tab.evaluate("document.fonts.ready")
                assert tab.title()
                if name == "43-entitlements-elder.png":
                    size = tab.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
                    assert size >= 22  # age-friendly type
                    assert "52 小时" in tab.content()
                if name == "42-what-if.png":
                    assert "上城区" in tab.content()
                tab.screenshot(path=SHOTS / name, full_page=True)
                context.close()
        finally:
            browser.close()
