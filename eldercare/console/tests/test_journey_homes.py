"""Issue 14's journeys in the homes area, in a real browser, from login to the end of the job:

- a centre operator sets an elder's preferred caregiver and a standing order for them;
- a family books respite care (喘息服务) for their elder;
- a caregiver, on a phone, accepts tomorrow's task;
- an elder books a service and rates a delivered one on the age-friendly home.

Each page passes axe-core (no serious violations); the elder's and family's pages also keep the
age-friendly rules: type of at least 20px, buttons at least 44px high, contrast at WCAG AAA.
Screenshots land in var/screenshots/journeys/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.elders.models import Contact
from eldercare.homecare.models import Channel, Order, OrderStatus, Preference, Recurrence
from eldercare.homecare.services import orders as o
from eldercare.homecare.tests.conftest import svc as svc  # noqa: F401  # the provider, caregivers, prices and elder
from eldercare.tests.browser import PHONE, assert_accessible, chromium, login, shot  # noqa: F401

R = Role
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The age-friendly rules the elder's and family's pages keep (issue 14: large type, high contrast,
# simple steps with big targets).
MIN_FONT_PX = 20
MIN_TARGET_PX = 44


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def tomorrow_at(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(tomorrow(), dt.time(hour)))


def menu(page):
    return page.locator("nav.sidenav")


def assert_age_friendly(page, *, base_font: bool = False) -> None:
    """axe-core's serious violations, then the age-friendly rules: every visible button in the
    page's content at least 44px high, WCAG AAA contrast (axe's color-contrast-enhanced, off by
    default), and on a home the base type of at least 20px."""
    from axe_playwright_python.sync_playwright import Axe

    assert_accessible(page)
    if base_font:
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= MIN_FONT_PX, f"{page.url}: base font {size}px"
    heights = page.evaluate(
        """() => [...document.querySelectorAll('main .btn, main button')]
             .filter(el => el.offsetParent !== null)
             .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect().height])"""
    )
    assert heights, f"{page.url}: no buttons found"
    small = [(text, h) for text, h in heights if h < MIN_TARGET_PX]
    assert not small, f"{page.url}: buttons under {MIN_TARGET_PX}px: {small}"
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": ["color-contrast-enhanced"]}}).response
    ran = {r["id"] for kind in ("passes", "violations", "incomplete") for r in results[kind]}
    assert "color-contrast-enhanced" in ran
    assert not results["violations"], f"{page.url}: " + "; ".join(
        f"{n['target']}: {n['failureSummary']}" for v in results["violations"] for n in v["nodes"][:5]
    )


# ------------------------------------------------------------------ a. the centre operator


def test_an_operator_creates_a_standing_order_for_the_preferred_caregiver(live_server, browser_settings, svc, personas):
    from playwright.sync_api import expect

    elder = svc.elder
    with chromium() as browser:
        page = login(browser, live_server, "centre")
        menu(page).get_by_role("link", name="老年人档案").click()
        page.get_by_label("姓名或身份证号码").fill("王秀英")
        page.get_by_role("button", name="查询").click()
        page.get_by_role("link", name="王秀英").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("王秀英")
        assert_accessible(page)
        page.get_by_role("link", name="长期服务").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("王秀英的长期服务")
        shot(page, "journeys/operator-01-standing.png")
        assert_accessible(page)

        preferred = page.locator("#preferred")
        preferred.get_by_label("指定护理员").select_option(label="李护理（清波居家养老服务中心）")
        preferred.get_by_role("button", name="保存指定护理员").click()
        expect(page.locator("#preferred")).to_contain_text("李护理（清波居家养老服务中心）")
        assert_accessible(page)

        new = page.locator("#new")
        new.get_by_label("服务项目").select_option("clean_home")
        new.get_by_label("周二").check()
        new.get_by_label("周五").check()
        new.get_by_label("开始时间").fill("09:00")
        new.get_by_label("上门时段长度（分钟）").fill("120")
        expect(new.get_by_label("指定护理员")).to_have_value(str(svc.li.pk))  # the preference just set
        new.get_by_role("button", name="设置长期服务").click()
        expect(page.get_by_text("长期服务已设置")).to_be_visible()
        standing = page.locator("#standing")
        expect(standing.get_by_role("row")).to_have_count(2)  # the heading row and the new one
        expect(standing).to_contain_text("周二、周五")
        expect(standing).to_contain_text("09:00–11:00")
        shot(page, "journeys/operator-02-standing-made.png")
        assert_accessible(page)

    rec = Recurrence.objects.get(elder=elder)
    assert (rec.item.code, rec.weekdays, rec.start_time, rec.window_minutes, rec.active) == ("clean_home", [2, 5], dt.time(9), 120, True)
    assert rec.valid_from == tomorrow()
    assert Preference.objects.get(elder=elder).caregiver == svc.li
    made = list(rec.orders.order_by("window_start"))
    assert len(made) == 4  # two a week, a fortnight ahead
    assert {timezone.localtime(m.window_start).isoweekday() for m in made} == {2, 5}


# ------------------------------------------------------------------ b. the family


def test_a_family_books_respite(live_server, browser_settings, svc, personas):
    from playwright.sync_api import expect

    family = personas[R.FAMILY]
    Contact.objects.create(elder=svc.elder, name="李小梅", relation="child", phone="13900001111", phone_masked="139****1111", user=family)
    day = tomorrow()
    with chromium() as browser:
        page = login(browser, live_server, "family")
        expect(page.get_by_role("heading", name="王秀英的服务")).to_be_visible()
        shot(page, "journeys/family-01-home.png")
        assert_age_friendly(page, base_font=True)

        page.locator("main").get_by_role("link", name="预约服务（含喘息服务）").click()
        expect(page.get_by_role("heading", name="第1步：需要什么服务？")).to_be_visible()
        shot(page, "journeys/family-02-item.png")
        assert_age_friendly(page)
        page.get_by_role("link", name=re.compile("^喘息服务")).click()

        expect(page.get_by_role("heading", name=re.compile("第2步：哪一天？"))).to_be_visible()
        shot(page, "journeys/family-03-day.png")
        assert_age_friendly(page)
        page.get_by_role("link", name=f"明天 · {day.month}月{day.day}日").click()

        expect(page.get_by_role("heading", name=re.compile("第3步：什么时间？"))).to_be_visible()
        shot(page, "journeys/family-04-time.png")
        assert_age_friendly(page)
        page.get_by_role("button", name="上午 09:00–13:00").click()

        expect(page.get_by_text(re.compile("已预约：喘息服务"))).to_be_visible()
        upcoming = page.locator(".service-list").first
        expect(upcoming).to_contain_text("喘息服务")
        expect(upcoming).to_contain_text("09:00–13:00")
        shot(page, "journeys/family-05-booked.png")
        assert_age_friendly(page, base_font=True)

    made = Order.objects.get()
    assert (made.item.code, made.elder, made.channel, made.requested_by, made.status) == (
        "respite_care",
        svc.elder,
        Channel.FAMILY,
        family,
        OrderStatus.REQUESTED,
    )
    assert (made.window_start, made.window_end) == (tomorrow_at(9), tomorrow_at(13))


# ------------------------------------------------------------------ c. the caregiver, on a phone


def test_a_caregiver_works_tomorrows_tasks(live_server, browser_settings, svc, personas):
    from playwright.sync_api import expect

    operator = personas[R.CENTER_OPERATOR]
    task = o.order_request(
        actor=operator, elder=svc.elder, item=svc.items["clean_home"], window_start=tomorrow_at(9), window_end=tomorrow_at(11)
    )
    o.order_assign(actor=operator, order=task, caregiver=svc.zhang)
    o.order_dispatch(actor=operator, order=task)
    day = tomorrow()
    with chromium() as browser:
        page = login(browser, live_server, "caregiver", viewport=PHONE)
        shot(page, "journeys/caregiver-01-home.png")
        assert_accessible(page)
        menu(page).get_by_role("link", name="我的任务").click()
        expect(page.get_by_text("当天没有任务。").or_(page.locator(".task"))).to_be_visible()
        shot(page, "journeys/caregiver-02-today.png")
        assert_accessible(page)

        page.get_by_role("link", name=re.compile("后一天")).click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text(f"{day:%m}月{day:%d}日")
        expect(heading).to_contain_text("明天")
        card = page.locator("article.task")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("王秀英")
        expect(card).to_contain_text("09:00–11:00")
        shot(page, "journeys/caregiver-03-tomorrow.png")
        assert_accessible(page)

        card.get_by_role("button", name="接单").click()
        expect(page).to_have_url(re.compile(rf"day={day.isoformat()}$"))
        card = page.locator("article.task")
        expect(card.locator(".status-tag")).to_have_text("已接单")
        # Tomorrow's task waits for its day: no 出发 or 签到 yet.
        expect(card).to_contain_text("服务当天再出发、签到")
        expect(card.locator('button[value="depart"], button[value="check_in"]')).to_have_count(0)
        shot(page, "journeys/caregiver-04-accepted.png")
        assert_accessible(page)

    task.refresh_from_db()
    assert task.status == OrderStatus.ACCEPTED
    assert list(task.events.values_list("to_status", "actor__username").order_by("-pk")[:1]) == [(OrderStatus.ACCEPTED, "caregiver")]


# ------------------------------------------------------------------ d. the elder


def test_an_elder_orders_and_rates_a_service_on_an_age_friendly_home(live_server, browser_settings, svc, personas):
    from playwright.sync_api import expect

    # A visit delivered this morning, waiting for the elder's rating.
    operator, carer = personas[R.CENTER_OPERATOR], personas[R.CAREGIVER]
    start = timezone.now() - dt.timedelta(minutes=90)
    delivered = o.order_request(
        actor=operator, elder=svc.elder, item=svc.items["bath_home"], window_start=start, window_end=start + dt.timedelta(hours=2)
    )
    o.order_assign(actor=operator, order=delivered, caregiver=svc.zhang)
    o.order_dispatch(actor=operator, order=delivered)
    o.order_accept(actor=carer, order=delivered)
    o.order_depart(actor=carer, order=delivered)
    o.order_check_in(actor=carer, order=delivered, latitude=svc.elder.latitude, longitude=svc.elder.longitude, at=start)
    o.order_check_out(actor=carer, order=delivered, record="协助洗澡", at=start + dt.timedelta(minutes=80))
    day = tomorrow()
    with chromium() as browser:
        page = login(browser, live_server, "elder")
        expect(page.get_by_role("heading", name="请为这次服务打分")).to_be_visible()
        shot(page, "journeys/elder-01-home.png")
        assert_age_friendly(page, base_font=True)

        page.locator("main").get_by_role("link", name="预约服务", exact=True).click()
        shot(page, "journeys/elder-02-item.png")
        assert_age_friendly(page)
        page.get_by_role("link", name=re.compile("^居家保洁")).click()
        assert_age_friendly(page)
        page.get_by_role("link", name=f"明天 · {day.month}月{day.day}日").click()
        shot(page, "journeys/elder-03-time.png")
        assert_age_friendly(page)
        page.get_by_role("button", name=re.compile("^下午 14:00")).click()
        expect(page.get_by_text(re.compile("已预约：居家保洁"))).to_be_visible()

        page.get_by_role("button", name=re.compile("5 分 · 非常满意")).click()
        expect(page.get_by_role("heading", name="请为这次服务打分")).to_have_count(0)
        done = page.locator(".service-list").last
        expect(done).to_contain_text("评分：5 分")
        shot(page, "journeys/elder-04-rated.png")
        assert_age_friendly(page, base_font=True)

    booked = Order.objects.get(item__code="clean_home")
    assert (booked.elder, booked.channel, booked.requested_by, booked.status) == (
        svc.elder,
        Channel.ELDER,
        personas[R.ELDER],
        OrderStatus.REQUESTED,
    )
    assert timezone.localtime(booked.window_start) == timezone.localtime(timezone.make_aware(dt.datetime.combine(day, dt.time(14))))
    delivered.refresh_from_db()
    assert (delivered.status, delivered.rating) == (OrderStatus.CONFIRMED, 5)
