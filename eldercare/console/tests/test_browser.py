"""The console in a real browser: log in, filter the list, open a record.

Screenshots land in var/screenshots/ for a human to look at.
"""

import datetime as dt
import io
import re

import pytest
from django.utils import translation
from openpyxl import Workbook

from eldercare.accounts.roles import Role
from eldercare.elders import excel, idnumber
from eldercare.elders.models import Contact, DisabilityLevel, LivingStatus, PriorityGroup, Relation
from eldercare.tests.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS  # noqa: F401
from eldercare.tests.builders import PASSWORD, ElderFactory, UserFactory, add_group, build_city

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bad_workbook(t, registered: str) -> bytes:
    """Three rows: one good, one already registered, one with a wrong check character."""
    wb = Workbook()
    ws = wb.active
    ws.append(excel.TEMPLATE_HEADERS)
    good = idnumber.build("330102", dt.date(1950, 6, 1), 21)
    ws.append(["张三丰", good, t.community.code, "", "13800005678", "清波街2号", "独居"])
    ws.append(["王秀英", registered, t.community.code])
    ws.append(["李四", good[:17] + ("0" if good[17] != "0" else "1"), t.community_b.code])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()




@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_finds_and_opens_an_elder(live_server, browser_settings):
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import FilePayload, expect, sync_playwright

    # All data first: once Playwright's event loop runs in this thread, Django refuses ORM calls here.
    # Chinese, as a civil-affairs office would enter it (audit rows keep the language they were written in).
    translation.activate("zh-hans")
    t = build_city()
    UserFactory(username="qingbo", display_name="陈清波", role=Role.CIVIL_STREET, region=t.street)
    wang = ElderFactory.create(
        residence=t.community,
        name="王秀英",
        birth=dt.date(1942, 3, 7),
        seq=2,
        phone="13800001234",
        address="清波街11号",
        living_status=LivingStatus.ALONE,
    )
    add_group(wang, PriorityGroup.DIBAO)
    add_group(wang, PriorityGroup.DISABLED, DisabilityLevel.MODERATE)
    Contact.objects.create(
        elder=wang, name="王小明", relation=Relation.CHILD, phone="13900002222", phone_masked="139****2222", is_guardian=True
    )
    others = [
        ("李建国", 1951, 1),
        ("赵桂兰", 1938, 2),
        ("钱德明", 1944, 3),
        ("孙美华", 1958, 4),
        ("周玉珍", 1930, 6),
        ("吴振华", 1947, 7),
        ("郑淑芬", 1962, 8),
        ("冯国强", 1941, 9),
    ]
    for i, (name, year, seq) in enumerate(others):  # odd sequence: a man, even: a woman
        ElderFactory(
            residence=t.community if i % 2 else t.community_b,
            name=name,
            birth=dt.date(year, i + 2, 10 + i),
            seq=seq,
            phone=f"1390000{i:04d}" if i % 2 else "",
            living_status=LivingStatus.ALONE if i % 3 == 0 else LivingStatus.WITH_FAMILY,
        )
    ElderFactory(residence=t.community2, name="胡外街")  # another street: never shown

    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str, *, full_page: bool = True) -> None:
        # Measure the page only once it has fully arrived and its fonts are in.
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        page.screenshot(path=SHOTS / name, full_page=full_page)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.goto(f"{live_server.url}/")
            expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
            shot(page, "01-login.png")
            page.get_by_label("用户名").fill("qingbo")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()

            expect(page.get_by_role("heading", level=1)).to_contain_text("陈清波")
            expect(page.locator(".stat-number").first).to_have_text("9")
            expect(page.locator(".stat-number").nth(1)).to_have_text("5")
            shot(page, "02-home.png")

            page.get_by_role("navigation", name="主菜单").get_by_role("link", name="老年人档案").click()
            expect(page.locator(".result-count")).to_contain_text("9")
            expect(page.get_by_text("胡外街")).to_have_count(0)
            shot(page, "03-list.png")

            page.get_by_label("居住状况").select_option(LivingStatus.ALONE)
            page.get_by_label("年龄", exact=True).select_option("80-89")
            page.get_by_role("button", name="查询").click()
            expect(page).to_have_url(re.compile(r"living_status=alone.*age_band=80-89|age_band=80-89.*living_status=alone"))
            expect(page.locator(".elder-table tbody tr")).not_to_have_count(0)
            expect(page.get_by_role("link", name="王秀英")).to_be_visible()
            shot(page, "04-list-filtered.png")

            page.get_by_role("link", name="王秀英").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("王秀英")
            expect(page.locator("#groups").get_by_text("失能（中度）")).to_be_visible()
            expect(page.locator("#record").get_by_text(wang.id_masked)).to_be_visible()
            shot(page, "05-detail.png")

            page.get_by_role("button", name="查看完整号码").click()
            expect(page.locator(".alert-reveal")).to_contain_text(wang.id_number)
            shot(page, "06-detail-revealed.png", full_page=False)

            page.get_by_role("button", name="English").click()
            expect(page.get_by_role("heading", name="Basic information")).to_be_visible()
            shot(page, "07-detail-english.png")

            page.get_by_text("Add a priority group").click()
            page.locator("#id_grp-group").select_option(PriorityGroup.DIBAO)
            page.locator("#id_grp-valid_from").fill("2025-01-01")
            page.locator("#id_grp-valid_to").fill("2024-12-31")
            page.get_by_role("button", name="Add the group").click()
            expect(page.locator("#id_grp-valid_to_error_1")).to_contain_text("the end date is before the start date")
            page.locator("#groups").scroll_into_view_if_needed()
            shot(page, "07b-group-form-error.png", full_page=False)

            page.goto(f"{live_server.url}/regions/")
            expect(page.get_by_role("heading", level=1)).to_contain_text("清波街道")
            shot(page, "08-regions-english.png")

            page.goto(f"{live_server.url}/elders/new/")
            page.locator("#id_name").fill("张秀英")
            page.locator("#id_id_number").fill(wang.id_number[:17] + ("0" if wang.id_number[17] != "0" else "1"))
            page.locator("#id_residence").select_option(t.community.code)
            page.get_by_role("button", name="Register", exact=True).click()
            expect(page.locator("#id_id_number_error_1")).to_contain_text("wrong check character")
            shot(page, "09-create-error-english.png")

            page.get_by_role("button", name="简体中文").click()
            page.goto(f"{live_server.url}/elders/import/")
            page.locator("#id_file").set_input_files(
                files=[FilePayload(name="elders.xlsx", mimeType=XLSX, buffer=bad_workbook(t, wang.id_number))]
            )
            page.get_by_role("button", name="检查并导入").click()
            expect(page.get_by_role("heading", name="未导入任何数据")).to_be_visible()
            expect(page.locator(".import-report tbody tr")).to_have_count(2)
            shot(page, "10-import-errors.png")
        finally:
            browser.close()
