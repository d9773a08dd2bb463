"""Issue 14's call-desk journeys in a real browser, through the console only: the call desk takes an
alarm, calls the elder and a contact (the numbers revealed as tel: links, audited), dispatches and
resolves; a community worker closes an early warning with what the visit found, and registers the
devices and the home care bed of an elder's home."""

from __future__ import annotations

import re

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.devices import alarms
from eldercare.devices.models import (
    AlarmSource,
    AlarmStatus,
    AlarmStep,
    Device,
    DeviceKind,
    EarlyWarning,
    HomeCareBed,
    Responder,
    WarningAction,
    WarningStatus,
)
from eldercare.elders.models import Contact, Relation
from eldercare.providers.models import Provider, ServiceArea
from eldercare.tests import builders as testing
from eldercare.tests.browser import assert_accessible, chromium, login, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def home(city):
    elder = testing.elder(residence=city.community, name="王秀英", phone="13700007049", address="清波街11号")
    son = Contact.objects.create(
        elder=elder, name="王小明", relation=Relation.CHILD, phone="13800001111", phone_masked="138****1111", priority=1
    )
    return elder, son


def _stop_dialling(page) -> list[str]:
    """The page dials by sending the browser to the tel: link; headless Chromium has no phone to hand
    it to. Record each dial instead (the link on the page is what the operator taps)."""
    dialled: list[str] = []
    page.expose_function("recordDial", lambda href: dialled.append(href))
    page.add_init_script(
        "document.addEventListener('click', e => { const a = e.target.closest && e.target.closest('a[href^=\"tel:\"]');"
        " if (a) { e.preventDefault(); window.recordDial(a.getAttribute('href')); } }, true);"
    )
    return dialled


def test_the_call_desk_takes_an_alarm_calls_dispatches_and_resolves(live_server, browser_settings, personas, home):
    from playwright.sync_api import expect

    elder, son = home
    now = timezone.now()
    alarm = alarms.alarm_raise(elder_id=elder.pk, region_code=elder.residence_id, source=AlarmSource.BUTTON, at=now, received_at=now)
    operator = personas[Role.CENTER_OPERATOR]

    with chromium() as browser:
        page = login(browser, live_server, operator.username, stream=True)
        dialled = _stop_dialling(page)
        shot(page, "journeys/calldesk-01-home.png")
        assert_accessible(page)

        page.get_by_role("navigation").get_by_role("link", name="告警看板").first.click()
        board = page.locator("#alarm-board")
        expect(board.get_by_role("link", name=re.compile("王秀英"))).to_be_visible()
        expect(page.locator("#board-status")).to_contain_text("实时推送")  # the stream has answered
        shot(page, "journeys/calldesk-02-board.png")
        assert_accessible(page)

        board.get_by_role("link", name=re.compile("王秀英")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("王秀英")
        expect(page.get_by_text("137****7049")).to_be_visible()
        assert page.locator('a[href^="tel:"]').count() == 0  # nothing revealed by opening the page
        shot(page, "journeys/calldesk-03-alarm.png")
        assert_accessible(page)

        page.get_by_role("button", name="我来处置").click()
        expect(page.locator(".status-tag").first).to_have_text("已响应")

        # 拨打: one click reveals the number and dials it.
        with page.expect_request(lambda r: r.url.endswith(f"/alarms/{alarm.pk}/call/")):
            page.get_by_role("button", name="拨打 137****7049").click()
        elder_link = page.locator('a[href="tel:13700007049"]')
        expect(elder_link).to_be_visible()
        expect(elder_link).to_contain_text("13700007049")
        page.get_by_role("button", name="拨打 138****1111").click()
        expect(page.locator('a[href="tel:13800001111"]')).to_contain_text("13800001111")
        assert dialled == ["tel:13700007049", "tel:13800001111"]  # each dialled at once, in one click
        shot(page, "journeys/calldesk-04-called.png")
        assert_accessible(page)

        page.get_by_label("派出").select_option(Responder.COMMUNITY.value)
        page.get_by_label("姓名").fill("张社工")
        page.get_by_role("button", name="派单").click()
        expect(page.locator(".status-tag").first).to_have_text("已派人")
        expect(page.locator(".timeline")).to_contain_text("张社工")

        page.get_by_label("处置结果").fill("老人在家摔倒，社工已送医，儿子到场")
        page.get_by_role("button", name="处置完成").click()
        expect(page.locator(".status-tag").first).to_have_text("已处置")
        expect(page.get_by_role("button", name="处置完成")).to_have_count(0)
        shot(page, "journeys/calldesk-05-resolved.png")
        assert_accessible(page)

        page.get_by_role("link", name=re.compile("告警看板")).last.click()
        expect(page.locator("#alarm-board")).not_to_contain_text("王秀英")

    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.RESOLVED
    assert (alarm.acknowledged_by, alarm.responder, alarm.responder_name) == (operator, Responder.COMMUNITY, "张社工")
    assert alarm.outcome == "老人在家摔倒，社工已送医，儿子到场"
    steps = list(alarm.events.order_by("pk").values_list("what", "actor"))
    assert steps == [
        (AlarmStep.RAISED, None),
        (AlarmStep.ACKNOWLEDGED, operator.pk),
        (AlarmStep.DISPATCHED, operator.pk),
        (AlarmStep.RESOLVED, operator.pk),
    ]
    reveals = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk")
    assert [(e.content_type.model, e.object_id, e.additional_data, e.actor) for e in reveals] == [
        ("elder", elder.pk, {"revealed": "phone", "alarm": alarm.pk}, operator),
        ("contact", son.pk, {"revealed": "phone", "alarm": alarm.pk}, operator),
    ]


def test_a_community_worker_closes_an_early_warning_with_what_the_visit_found(live_server, browser_settings, personas, home):
    from playwright.sync_api import expect

    elder, _ = home
    warning = EarlyWarning.objects.create(
        elder=elder, rule="water_idle", detail="8 小时无智能水表使用记录", action=WarningAction.VISIT, region=elder.residence
    )
    worker = personas[Role.COMMUNITY_WORKER]

    with chromium() as browser:
        page = login(browser, live_server, worker.username)
        shot(page, "journeys/worker-01-home.png")
        assert_accessible(page)

        page.get_by_role("navigation").get_by_role("link", name="告警看板").first.click()
        warnings = page.locator("section", has=page.get_by_role("heading", name=re.compile("预警")))
        expect(warnings).to_contain_text("王秀英")
        expect(warnings).to_contain_text("8 小时无智能水表使用记录")
        shot(page, "journeys/worker-02-board.png")
        assert_accessible(page)

        warnings.get_by_text("记录探访情况并关闭").click()
        page.get_by_role("button", name="关闭预警").click()  # nothing written yet: the browser asks for it
        page.get_by_label("探访情况").fill("已上门，老人在家，水龙头坏了一天没用水，已报修")
        page.get_by_role("radio", name="是").check()
        shot(page, "journeys/worker-03-findings.png")
        assert_accessible(page)
        page.get_by_role("button", name="关闭预警").click()
        expect(page.get_by_role("status").or_(page.locator(".alert-success"))).to_contain_text("预警已处理")
        expect(page.locator("#warnings-h").locator("xpath=..")).to_contain_text("没有待处理的预警")
        shot(page, "journeys/worker-04-closed.png")
        assert_accessible(page)

    warning.refresh_from_db()
    assert warning.status == WarningStatus.CLOSED
    assert (warning.findings, warning.seen_in_person, warning.closed_by) == ("已上门，老人在家，水龙头坏了一天没用水，已报修", True, worker)
    assert warning.closed_at is not None


def test_a_community_worker_registers_a_homes_device_and_its_care_bed(live_server, browser_settings, personas, home, city):
    from playwright.sync_api import expect

    elder, _ = home
    provider = Provider.objects.create(name="安康居家养老服务中心", credit_code="91330102MA2AAAAA1X", region=city.county)
    ServiceArea.objects.create(provider=provider, region=city.street)
    worker = personas[Role.COMMUNITY_WORKER]

    with chromium() as browser:
        page = login(browser, live_server, worker.username)
        page.goto(f"{live_server.url}/elders/{elder.pk}/")
        page.get_by_role("link", name="登记设备").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("王秀英家中的设备")
        page.get_by_label("设备类型").select_option(label="一键呼叫按钮")
        page.get_by_label("设备编号").fill("BTN 0001")
        page.get_by_role("button", name="登记设备").click()
        expect(page.locator(".field-serial .error-msg")).to_contain_text("不含空格")
        shot(page, "journeys/worker-11-device-error.png")
        assert_accessible(page)
        page.get_by_label("设备编号").fill("BTN-0001")
        page.get_by_role("button", name="登记设备").click()
        expect(page.get_by_role("row", name=re.compile("BTN-0001"))).to_contain_text("一键呼叫按钮")
        shot(page, "journeys/worker-12-device.png")
        assert_accessible(page)

        page.get_by_role("navigation").get_by_role("link", name="家庭养老床位").first.click()
        page.get_by_role("link", name="登记家庭养老床位").click()
        page.get_by_label("老人姓名或身份证号码").fill("王秀")
        page.get_by_role("button", name="查找").click()
        shot(page, "journeys/worker-13-bed-elder.png")
        assert_accessible(page)
        page.get_by_role("link", name="王秀英").click()
        page.get_by_label("签约服务商").select_option(label="安康居家养老服务中心")
        page.get_by_label("合同编号").fill("JC-2026-001")
        page.get_by_label("签约日期").fill("2026-03-02")
        page.get_by_label("适老化改造与设备").fill("护理床\n扶手\n防滑垫")
        shot(page, "journeys/worker-14-bed-form.png")
        assert_accessible(page)
        page.get_by_role("button", name="登记床位").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("家庭养老床位 · 王秀英")
        expect(page.get_by_text("已登记家庭养老床位，合同编号 JC-2026-001。")).to_be_visible()
        shot(page, "journeys/worker-15-bed.png")
        assert_accessible(page)

    device = Device.objects.get()
    assert (device.serial, device.kind, device.elder) == ("BTN-0001", DeviceKind.BUTTON, elder)
    bed = HomeCareBed.objects.get()
    assert (bed.elder, bed.provider, bed.contract_number) == (elder, provider, "JC-2026-001")
    assert bed.equipment == [{"item": "护理床"}, {"item": "扶手"}, {"item": "防滑垫"}]
