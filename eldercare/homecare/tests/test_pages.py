"""Service pages in the console: order from the record, the operator's order page with matching,
the caregiver's phone page through check-out, the elder's confirmation; screenshots in a browser."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from eldercare.accounts.roles import Role
from eldercare.homecare.models import Order, OrderStatus
from eldercare.tests.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

from .conftest import HOME

R = Role
ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}


def page(client, user, url):
    client.force_login(user)
    translation.activate("zh-hans")
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def act(client, order, action, **data):
    return client.post(f"/orders/{order.pk}/act/", {"action": action, **data})


def test_an_order_through_the_pages(client, svc, personas):
    for carer in (svc.zhang, svc.li):
        carer.hours = ALL_DAY
        carer.save()
    operator = personas[R.CENTER_OPERATOR]
    html = page(client, operator, f"/elders/{svc.elder.pk}/")
    assert "下单" in html
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        f"/elders/{svc.elder.pk}/orders/new/",
        {"item": "clean_home", "window_start": f"{tomorrow}T09:00", "window_end": f"{tomorrow}T11:00", "quantity": 120, "channel": "phone"},
    )
    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.pk}/"
    html = page(client, operator, f"/orders/{order.pk}/")
    assert "服务圈" in html and "张护理" in html
    act(client, order, "auto_dispatch")
    order.refresh_from_db()
    assert (order.status, order.caregiver) == (OrderStatus.DISPATCHED, svc.zhang)

    carer = personas[R.CAREGIVER]
    tasks_url = f"/care/?day={tomorrow}"
    html = page(client, carer, tasks_url)
    assert "王秀英" in html and "接单" in html
    assert act(client, order, "accept", next=tasks_url)["Location"] == tasks_url
    assert "服务当天再出发" in page(client, carer, tasks_url)  # not before the day of the visit
    # The day comes: the visit is now.
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(window_start=now - dt.timedelta(minutes=5), window_end=now + dt.timedelta(hours=2))
    tasks_url = "/care/"
    act(client, order, "depart", next=tasks_url)
    assert "签到" in page(client, carer, tasks_url)
    act(client, order, "check_in", latitude=str(HOME[0]), longitude=str(HOME[1]), next=tasks_url)
    act(client, order, "check_out", record="打扫卫生", next=tasks_url)
    order.refresh_from_db()
    assert order.status == OrderStatus.CHECKED_OUT

    html = page(client, personas[R.ELDER], f"/orders/{order.pk}/")
    assert "确认" in html
    act(client, order, "confirm", rating="5", comment="谢谢")
    order.refresh_from_db()
    assert (order.status, order.rating) == (OrderStatus.CONFIRMED, 5)
    html = page(client, operator, "/orders/")
    assert "已确认" in html
    assert "服务时长过短" in html  # checked out at once: the operator's list shows the flag


def test_a_refused_step_is_shown_not_done(client, svc, personas):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    client.force_login(personas[R.CENTER_OPERATOR])
    client.post(
        f"/elders/{svc.elder.pk}/orders/new/",
        {"item": "clean_home", "window_start": f"{tomorrow}T09:00", "window_end": f"{tomorrow}T11:00", "channel": "phone"},
    )
    order = Order.objects.get()
    response = client.post(f"/orders/{order.pk}/act/", {"action": "dispatch"}, follow=True)
    assert "不能派单" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED
    client.force_login(personas[R.VOLUNTEER])
    assert client.post(f"/orders/{order.pk}/act/", {"action": "cancel", "reason": "x"}).status_code == 403


def test_backwards_window_is_a_form_error(client, svc, personas):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    client.force_login(personas[R.COMMUNITY_WORKER])
    response = client.post(
        f"/elders/{svc.elder.pk}/orders/new/",
        {"item": "clean_home", "window_start": f"{tomorrow}T11:00", "window_end": f"{tomorrow}T09:00", "channel": "phone"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "晚于开始时间" in response.content.decode()
    assert not Order.objects.exists()




@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_caregiver_phone_page_in_a_browser(live_server, settings, city, personas, svc):
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    from eldercare.homecare.services import orders
    from eldercare.tests.builders import PASSWORD

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    now = timezone.now()
    start = min(now, timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(9))))
    order = orders.order_request(
        actor=personas[R.COMMUNITY_WORKER], elder=svc.elder, item=svc.items["clean_home"], window_start=start,
        window_end=now + dt.timedelta(hours=2), channel="phone",
    )  # fmt: skip
    orders.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=svc.zhang, note="就近派单")
    orders.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=order)
    orders.order_accept(actor=personas[R.CAREGIVER], order=order)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, locale="zh-CN", geolocation={"latitude": float(HOME[0]), "longitude": float(HOME[1])},
                permissions=["geolocation"],
            )  # fmt: skip
            tab = context.new_page()
            tab.goto(f"{live_server.url}/accounts/login/")
            tab.get_by_label("用户名").fill(personas[R.CAREGIVER].username)
            tab.get_by_label("密码").fill(PASSWORD)
            tab.get_by_role("button", name="登录").click()
            tab.wait_for_url(f"{live_server.url}/")
            tab.goto(f"{live_server.url}/care/")
            tab.evaluate("document.fonts.ready")
            tab.screenshot(path=SHOTS / "50-care-tasks.png", full_page=True)
            tab.get_by_role("button", name="签到").click()  # the page asks the phone for its position, then sends it
            tab.wait_for_load_state("load")
            tab.get_by_label("服务内容").fill("打扫客厅和厨房")
            tab.screenshot(path=SHOTS / "51-care-checked-in.png", full_page=True)
            tab.get_by_role("button", name="签退").click()
            tab.wait_for_load_state("load")
            context.close()
        finally:
            browser.close()
    order.refresh_from_db()
    assert order.status == OrderStatus.CHECKED_OUT
    assert (order.checkin_latitude, order.checkin_longitude) == HOME
    assert order.record == "打扫客厅和厨房"
