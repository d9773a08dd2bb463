"""Wording and finish (issue 14): names instead of ids on the settlement page, labels that say what
they count, a region picker instead of 12-digit codes, the admin in Chinese, the site's icon and
404 page, and a paginated, filtered beds list."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.urls import clear_url_caches
from django.utils import translation

from eldercare.accounts.roles import Role
from eldercare.devices.models import BedRecord, HomeCareBed
from eldercare.entitlements.models import IssuanceRun, Settlement, SettlementLine, Unit
from eldercare.facilities.models import Institution
from eldercare.providers.creditcode import check_character
from eldercare.providers.models import Provider
from eldercare.tests.builders import ElderFactory, UserFactory

R = Role


def page(client, user, url, status=200, **extra) -> str:
    client.force_login(user)
    translation.activate("zh-hans")
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", **extra)
    assert response.status_code == status, response.status_code
    return response.content.decode()


# ---------------------------------------------------------------- entitlements


def test_the_settlement_names_the_policy_and_the_benefit(client, city, personas, settings):
    home = Institution.objects.create(name="清波颐养院", kind="institution", ownership="private", community=city.community, beds=100)
    settlement = Settlement.objects.create(region=city.county, month=dt.date(2026, 10, 1), prepared_by=personas[R.CIVIL_COUNTY])
    SettlementLine.objects.create(
        settlement=settlement,
        facility=home,
        policy="hangzhou-2020-47",
        benefit="institution_subsidy",
        unit=Unit.FEN,
        quantity=60000,
        amount=60000,
        records=1,
        elders=1,
    )
    html = page(client, personas[R.CIVIL_COUNTY], f"/entitlements/settlements/{settlement.pk}/")
    assert "入住社会办养老机构补助" in html  # the benefit's name, from the policy file
    assert "杭州市" in html  # the policy's title
    assert '<span class="muted small code-id">hangzhou-2020-47 / institution_subsidy</span>' in html  # the id, secondary
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"/entitlements/settlements/{settlement.pk}/").content.decode()
    assert "subsidy for living in a private institution" in english and "入住社会办养老机构补助" not in english


def test_a_line_of_a_removed_policy_still_shows_its_ids(client, city, personas):
    home = Institution.objects.create(name="颐养院", kind="institution", ownership="private", community=city.community, beds=10)
    settlement = Settlement.objects.create(region=city.county, month=dt.date(2026, 10, 1), prepared_by=personas[R.CIVIL_COUNTY])
    SettlementLine.objects.create(
        settlement=settlement, facility=home, policy="gone-2001-1", benefit="old", unit=Unit.FEN, quantity=1, amount=1, records=1, elders=1
    )
    html = page(client, personas[R.CIVIL_COUNTY], f"/entitlements/settlements/{settlement.pk}/")
    assert "gone-2001-1" in html and "old" in html


def test_the_runs_table_says_elders_considered_not_approved(client, city, personas):
    IssuanceRun.objects.create(region=city.county, month=dt.date(2026, 10, 1), elders_considered=12)
    html = page(client, personas[R.CIVIL_COUNTY], "/entitlements/")
    assert "纳入核算人数" in html
    assert "核定人数" not in html


def test_the_region_picker_lists_names_in_scope_and_posts_a_code(client, city, personas, django_capture_on_commit_callbacks):
    officer = personas[R.CIVIL_COUNTY]
    html = page(client, officer, "/entitlements/")
    assert '<optgroup label="街道（乡镇）">' in html
    assert f'<option value="{city.street.code}">清波街道（上城区）</option>' in html
    assert f'<option value="{city.county.code}" selected>上城区</option>' in html  # the officer's own region first
    assert "拱墅区" not in html and "米市巷街道" not in html  # another county is not offered
    assert "330102001001" not in html  # communities are not offered: a run covers a subtree
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/entitlements/", {"action": "issue", "run-region": city.street.code, "run-month": "2026-11"})
    assert response.status_code == 302
    assert IssuanceRun.objects.get().region == city.street


def test_the_region_picker_refuses_another_region(client, city, personas):
    client.force_login(personas[R.CIVIL_COUNTY])
    translation.activate("zh-hans")
    response = client.post("/entitlements/", {"action": "issue", "run-region": city.county_b.code, "run-month": "2026-11"})
    assert response.status_code == 200  # the form again, with its error
    assert "选择一个有效的选项" in response.content.decode()
    assert not IssuanceRun.objects.exists()


def test_the_what_if_page_takes_the_picker(client, city, personas):
    url = f"/entitlements/simulate/?region={city.county_b.code}&month=2026-11&tier=hangzhou-2020-47|home_care_hours|age_80_89&amount=4"
    html = page(client, personas[R.CIVIL_COUNTY], url)
    assert "选择一个有效的选项" in html


# ---------------------------------------------------------------- wording


def test_the_regions_table_heads_its_names_as_regions(client, city, personas):
    html = page(client, personas[R.CIVIL_COUNTY], f"/regions/{city.county.code}/")
    assert "区划名称" in html
    assert ">姓名<" not in html


def test_no_select_offers_an_untranslated_empty_choice(client, city, personas):
    from django.db.models.utils import get_blank_choice_label

    from eldercare.console.forms_orders import AssignForm

    translation.activate("zh-hans")
    assert str(get_blank_choice_label()) == "请选择…"
    html = str(AssignForm()["caregiver"])  # a model choice field that names no empty label of its own
    assert "Select an option" not in html and "请选择…" in html


def test_a_disclosure_is_a_triangle_not_a_plus():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static" / "console" / "console.css").read_text()
    assert 'details.subform > summary::before { content: "+"' not in css
    assert 'input[type="datetime-local"]' in css


# ---------------------------------------------------------------- admin


def test_the_admin_lists_the_platforms_records_in_chinese(client, city):
    root = UserFactory.create(username="root", role=Role.SYSTEM_ADMIN, is_superuser=True, is_staff=True)
    html = page(client, root, "/admin/")
    assert "智慧养老服务平台 · 后台管理" in html
    for section in ("老年人档案", "能力评估", "补贴与津贴", "上门服务", "智能设备与紧急呼叫", "审计日志", "登录防护", "后台任务"):
        assert section in html, section
    for model in ("老年人", "津贴流水", "服务工单", "紧急呼叫与告警", "家庭养老床位", "月度结算"):
        assert model in html, model
    assert "Audit log" not in html and "Axes" not in html


def test_the_admin_never_shows_or_searches_a_full_id_number(client, city):
    root = UserFactory.create(username="root", role=Role.SYSTEM_ADMIN, is_superuser=True, is_staff=True)
    elder = ElderFactory.create(residence=city.community, name="王秀英", phone="13800001234")
    listing = page(client, root, "/admin/elders/elder/")
    assert "王秀英" in listing and elder.id_masked in listing
    assert elder.id_number not in listing
    found = page(client, root, f"/admin/elders/elder/?q={elder.id_number}")
    assert "王秀英" not in found.split("</form>", 2)[-1]  # no row: the ID number is not searchable
    detail = page(client, root, f"/admin/elders/elder/{elder.pk}/change/")
    assert elder.id_number not in detail and "13800001234" not in detail
    assert "保存" not in detail  # read only


def test_the_ledger_is_read_only_in_the_admin(client, city):
    root = UserFactory.create(username="root", role=Role.SYSTEM_ADMIN, is_superuser=True, is_staff=True)
    listing = page(client, root, "/admin/entitlements/entry/")
    assert "/admin/entitlements/entry/add/" not in listing  # no "add" button on an append-only table
    page(client, root, "/admin/entitlements/entry/add/", status=403)
    page(client, root, "/admin/core/auditseal/add/", status=403)


# ---------------------------------------------------------------- the site


def test_the_favicon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


@pytest.fixture
def debug_urls(settings):
    """The URLconf as the demo (DEBUG on) builds it."""
    import eldercare.urls

    settings.DEBUG = True
    importlib.reload(eldercare.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(eldercare.urls)
    clear_url_caches()


def test_an_unknown_address_in_debug_gets_the_friendly_page(client, personas, debug_urls):
    html = page(client, personas[R.CIVIL_STREET], "/no-such-page/", status=404)
    assert "返回首页" in html or "Back to the home page" in html
    assert "URLconf" not in html and "admin/" not in html


def test_the_catch_all_still_appends_the_slash(client, personas, debug_urls):
    client.force_login(personas[R.CIVIL_STREET])
    response = client.get("/regions")
    assert response.status_code == 301 and response["Location"] == "/regions/"


# ---------------------------------------------------------------- beds


def _provider(region) -> Provider:
    first17 = "91330102MA27UW301"
    return Provider.objects.create(name="清波居家养老服务有限公司", credit_code=first17 + check_character(first17), region=region)


def test_the_beds_list_is_paginated_and_filtered(client, city, personas, settings):
    settings.ELDERCARE_PAGE_SIZE = 5
    provider = _provider(city.county)
    for i in range(7):
        elder = ElderFactory.create(residence=city.community if i < 4 else city.community2)
        HomeCareBed.objects.create(elder=elder, provider=provider, contract_number=f"C{i:03}", starts=dt.date(2025, 1, 1))
    ended = HomeCareBed.objects.create(
        elder=ElderFactory.create(residence=city.community),
        provider=provider,
        contract_number="OLD",
        starts=dt.date(2024, 1, 1),
        ends=dt.date(2024, 12, 31),
    )
    BedRecord.objects.create(
        bed=HomeCareBed.objects.get(contract_number="C000"),
        kind="inspection",
        on=dt.date(2026, 1, 1),
        note="ok",
        by=personas[R.CIVIL_COUNTY],
    )
    officer = personas[R.CIVIL_COUNTY]
    first = page(client, officer, "/beds/")
    assert len(re.findall(r'href="/beds/\d+/"', first)) == 5  # a page, not every bed
    assert "第 1 页，共 2 页" in first and "共 7 张床位" in first
    assert "OLD" not in first  # ended contracts are not in the default (current) list
    second = page(client, officer, "/beds/?page=2")
    assert "C000" in second  # the inspected bed comes last
    street = page(client, officer, f"/beds/?street={city.street2.code}")
    assert "C004" in street and "C000" not in street
    assert "清波街道（上城区）" in street and "湖滨街道（上城区）" in street  # the streets that have beds
    ended_page = page(client, officer, "/beds/?status=ended")
    assert ended.contract_number in ended_page and "C001" not in ended_page
    never = page(client, officer, "/beds/?status=never")
    assert "C000" not in never and "C001" in never
    bad = page(client, officer, "/beds/?street=330105001000&page=abc")  # another street: refused as a choice, the list unfiltered
    assert "选择一个有效的选项" in bad


def test_every_admin_list_opens(client, city):
    from django.contrib import admin

    root = UserFactory.create(username="root", role=Role.SYSTEM_ADMIN, is_superuser=True, is_staff=True)
    IssuanceRun.objects.create(region=city.county, month=dt.date(2026, 10, 1), elders_considered=12)
    client.force_login(root)
    for model in admin.site._registry:
        meta = model._meta
        response = client.get(f"/admin/{meta.app_label}/{meta.model_name}/")
        assert response.status_code == 200, (meta.label, response.status_code)
    runs = page(client, root, "/admin/entitlements/issuancerun/")
    assert "纳入核算人数" in runs and "核定人数" not in runs
