"""Gateways posting readings, the alarm API, the board and an alarm's page; the board updating in a
real browser without a reload."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.utils import translation

from eldercare.accounts.roles import Role
from eldercare.devices.models import Alarm, DeadLetter, Device, Gateway, Reading
from eldercare.tests.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

from .conftest import msg

R = Role
TOKEN = "gw-secret-token-0123456789"


@pytest.fixture
def gateway(db):
    return Gateway.objects.create(name="清波网关", token_hash=Gateway.hash(TOKEN))


def post_readings(client, body, token=TOKEN):
    return client.post(
        "/api/devices/readings",
        body if isinstance(body, bytes) else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_gateway_posts_readings(client, home, gateway):
    batch = [dict(msg("h1"), device="BTN-0001"), dict(msg("h2", "water", value=3), device="WTR-0001")]
    response = post_readings(client, batch)
    assert response.status_code == 200
    assert {o["msg_id"]: o["status"] for o in response.json()} == {"h1": "stored", "h2": "stored"}
    assert post_readings(client, batch).json()[0]["status"] == "duplicate"
    assert Alarm.objects.count() == 1 and Reading.objects.count() == 2
    assert post_readings(client, batch, token="wrong").status_code == 401
    bad = post_readings(client, b"{nope")
    assert bad.status_code == 422 and DeadLetter.objects.get().source == f"gateway:{gateway.pk}"


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00+08:00", 10**20, 1e300, -(10**15), "1970-01-01T00:00:00Z", "NaN"])
def test_a_time_far_from_now_is_refused_not_a_server_error(client, home, gateway, ts):
    response = post_readings(client, [{"device": "BTN-0001", "msg_id": "far", "kind": "button", "ts": ts}])
    assert response.status_code == 200
    assert [(o["msg_id"], o["status"]) for o in response.json()] == [("far", "rejected")]
    assert response.json()[0]["reason"].startswith("ts:")
    assert DeadLetter.objects.get().reason.startswith("ts:") and not Alarm.objects.exists()


def test_a_bad_message_does_not_spoil_its_batch(client, home, gateway):
    batch = [
        dict(msg("ok1", "water", value=1), device="WTR-0001"),
        {"device": "WTR-0001", "msg_id": "bad", "kind": "teleport", "ts": msg("x")["ts"]},
        {"device": "WTR-0001", "kind": "water"},
        dict(msg("ok2"), device="BTN-0001"),
    ]
    response = post_readings(client, batch)
    assert response.status_code == 200
    statuses = [(o["msg_id"], o["status"]) for o in response.json()]
    assert statuses[:2] == [("ok1", "stored"), ("bad", "rejected")] and statuses[3] == ("ok2", "stored")
    assert statuses[2][0].startswith("sha256:") and statuses[2][1] == "rejected"
    assert Reading.objects.count() == 2 and Alarm.objects.count() == 1
    assert DeadLetter.objects.count() == 2
    post_readings(client, batch)  # the gateway repeats the batch: nothing is kept twice
    assert (Reading.objects.count(), Alarm.objects.count(), DeadLetter.objects.count()) == (2, 1, 2)


def test_an_unreadable_body_answers_422_with_a_code(client, home, gateway):
    bad = post_readings(client, b"{nope")
    assert bad.status_code == 422 and bad.json()["code"] == "devices.unreadable" and "JSON" in bad.json()["detail"]


def test_a_body_over_the_limit_answers_413(client, home, gateway, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # Django's own limit: request.body refuses to read it
    response = post_readings(client, [dict(msg(f"m{i}", "water"), device="WTR-0001") for i in range(20)])
    assert response.status_code == 413 and response.json()["code"] == "devices.too_large"
    assert "1000" in response.json()["detail"] and not response.json().get("errors")  # the one refusal body
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000_000
    settings.ELDERCARE_GATEWAY_MAX_PAYLOAD_BYTES = 1000  # the platform's limit of a gateway's batch
    response = post_readings(client, [dict(msg(f"m{i}", "water"), device="WTR-0001") for i in range(20)])
    assert response.status_code == 413 and response.json()["code"] == "devices.too_large"
    assert not Reading.objects.exists()


def test_the_alarm_api(client, home, gateway, personas, city):
    post_readings(client, [dict(msg("h1"), device="BTN-0001")])
    alarm = Alarm.objects.get()
    client.force_login(personas[R.CENTER_OPERATOR])
    board = client.get("/api/devices/alarms").json()["items"]
    assert [(a["id"], a["status"], a["elder_name"]) for a in board] == [(alarm.pk, "raised", "王秀英")]
    detail = client.get(f"/api/devices/alarms/{alarm.pk}").json()
    assert [c["name"] for c in detail["contacts"]] == ["王小明", "李阿姨"]
    assert detail["contacts"][0]["phone"] == "138****1111"
    assert detail["last_readings"][0]["device"] == "BTN-0001"
    assert client.post(f"/api/devices/alarms/{alarm.pk}/acknowledge").json()["status"] == "acknowledged"
    dispatched = client.post(
        f"/api/devices/alarms/{alarm.pk}/dispatch", {"responder": "community", "name": "周社工"}, content_type="application/json"
    )
    assert dispatched.json()["status"] == "dispatched"
    resolved = client.post(f"/api/devices/alarms/{alarm.pk}/resolve", {"outcome": "误触，老人安好"}, content_type="application/json")
    assert resolved.json()["status"] == "resolved"
    assert client.get("/api/devices/alarms").json()["items"] == []  # off the board
    for role, status in ((R.CAREGIVER, 403), (R.ELDER, 403), (R.CIVIL_STREET, 200)):
        client.force_login(personas[role])
        assert client.get(f"/api/devices/alarms/{alarm.pk}").status_code == status
    from eldercare.tests import builders as testing

    client.force_login(testing.user("centre-far", R.CENTER_OPERATOR, city.street_b))
    assert client.get(f"/api/devices/alarms/{alarm.pk}").status_code == 404


def test_registering_a_device(client, home, personas):
    elder, _, _ = home
    client.force_login(personas[R.COMMUNITY_WORKER])
    made = client.post("/api/devices/devices", {"serial": "SMK-0001", "kind": "smoke", "elder": elder.pk}, content_type="application/json")
    assert made.status_code == 201
    again = client.post("/api/devices/devices", {"serial": "SMK-0001", "kind": "smoke", "elder": elder.pk}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (422, "devices.serial")
    # Surrounding spaces are not part of the serial: the same device, refused (it once gave a 500).
    padded = client.post("/api/devices/devices", {"serial": "  SMK-0001 ", "kind": "smoke", "elder": elder.pk}, content_type="application/json")
    assert (padded.status_code, padded.json()["code"]) == (422, "devices.serial")
    for serial, kind in (("", "smoke"), ("SMK 2", "smoke"), ("x" * 65, "smoke"), ("SMK-0002", "toaster")):
        bad = client.post("/api/devices/devices", {"serial": serial, "kind": kind, "elder": elder.pk}, content_type="application/json")
        assert bad.status_code == 422, serial
    assert Device.objects.filter(serial__startswith="SMK").count() == 1
    # Registration is audited with who did it.
    entry = LogEntry.objects.get_for_object(Device.objects.get(serial="SMK-0001")).get()
    assert entry.actor == personas[R.COMMUNITY_WORKER]
    client.force_login(personas[R.CAREGIVER])
    refused = client.post("/api/devices/devices", {"serial": "SMK-0003", "kind": "smoke", "elder": elder.pk}, content_type="application/json")
    assert refused.status_code in (403, 404)


def test_the_board_and_an_alarm_page(client, home, gateway, personas):
    post_readings(client, [dict(msg("h1"), device="BTN-0001")])
    alarm = Alarm.objects.get()
    client.force_login(personas[R.CENTER_OPERATOR])
    translation.activate("zh-hans")
    board = client.get("/alarms/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "王秀英" in board and "一键呼叫" in board
    page = client.get(f"/alarms/{alarm.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "王小明" in page and "我来处置" in page
    client.post(f"/alarms/{alarm.pk}/act/", {"action": "acknowledge"})
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged" and alarm.acknowledged_by == personas[R.CENTER_OPERATOR]




@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_board_updates_without_reload(live_server, settings, home, gateway, personas):
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    import urllib.request

    from playwright.sync_api import sync_playwright

    from eldercare.tests.builders import PASSWORD

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1366, "height": 800}, locale="zh-CN")
            tab.goto(f"{live_server.url}/accounts/login/")
            tab.get_by_label("用户名").fill(personas[R.CENTER_OPERATOR].username)
            tab.get_by_label("密码").fill(PASSWORD)
            tab.get_by_role("button", name="登录").click()
            tab.wait_for_url(f"{live_server.url}/")
            tab.goto(f"{live_server.url}/alarms/")
            assert "暂无未处置告警" in tab.content()
            request = urllib.request.Request(
                f"{live_server.url}/api/devices/readings", data=json.dumps([dict(msg("live-1"), device="BTN-0001")]).encode(),
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}, method="POST",
            )  # fmt: skip
            urllib.request.urlopen(request, timeout=10).read()
            # It appears without a reload (how fast is the bench's business: bench/ingest_mqtt.py).
            tab.wait_for_selector("li.alarm-raised", timeout=10_000)
            assert "王秀英" in tab.inner_text("#alarm-board")
            SHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=SHOTS / "60-alarm-board.png", full_page=True)
            tab.locator("li.alarm a").first.click()
            tab.wait_for_load_state("load")
            tab.screenshot(path=SHOTS / "61-alarm-detail.png", full_page=True)
        finally:
            browser.close()


def test_home_care_beds(client, home, personas, city):
    from eldercare.homecare.tests.conftest import code
    from eldercare.providers.models import Provider

    elder, _, _ = home
    provider = Provider.objects.create(name="清波颐养", credit_code=code("52330102MJ3333333"), region=city.county)
    provider.admins.add(personas[R.PROVIDER_ADMIN])
    client.force_login(personas[R.COMMUNITY_WORKER])
    made = client.post(
        "/api/devices/beds",
        {
            "elder": elder.pk,
            "provider": provider.pk,
            "contract_number": "JTYLCW-2026-001",
            "starts": "2026-03-01",
            "equipment": [{"item": "护理床"}, {"item": "扶手"}],
        },
        content_type="application/json",
    )
    assert made.status_code == 201
    bed_id = made.json()["id"]
    client.force_login(personas[R.PROVIDER_ADMIN])  # the contracted provider records its visits
    recorded = client.post(
        f"/api/devices/beds/{bed_id}/records",
        {"kind": "inspection", "on": "2026-11-20", "note": "护理床与扶手完好"},
        content_type="application/json",
    )
    assert recorded.status_code == 201 and recorded.json()["records"][0]["note"] == "护理床与扶手完好"
    client.force_login(personas[R.CAREGIVER])
    assert (
        client.post(
            f"/api/devices/beds/{bed_id}/records", {"kind": "service", "on": "2026-11-21", "note": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    client.force_login(personas[R.COMMUNITY_WORKER])
    bad = client.post(
        "/api/devices/beds",
        {"elder": elder.pk, "provider": provider.pk, "contract_number": "JTYLCW-2026-001", "starts": "2026-03-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    spaced = client.post(  # the same contract with spaces around it: the same contract, refused (not a 500)
        "/api/devices/beds",
        {"elder": elder.pk, "provider": provider.pk, "contract_number": " JTYLCW-2026-001 ", "starts": "2026-03-01", "equipment": []},
        content_type="application/json",
    )
    assert (spaced.status_code, spaced.json()["code"]) == (422, "devices.contract")


@pytest.fixture
def beds_here_and_far(home, city, personas):
    """A bed in 清波社区 by the provider persona's 清波颐养, and one in 米市巷社区 by another provider."""
    from eldercare.devices.models import BedRecord, HomeCareBed
    from eldercare.homecare.tests.conftest import code
    from eldercare.providers.models import Provider
    from eldercare.tests import builders as testing

    elder, _, _ = home
    ours = Provider.objects.create(name="清波颐养", credit_code=code("52330102MJ3333333"), region=city.county)
    ours.admins.add(personas[R.PROVIDER_ADMIN])
    theirs = Provider.objects.create(name="米市巷护理", credit_code=code("52330105MJ4444444"), region=city.county_b)
    far_elder = testing.elder(residence=city.community_far, name="赵大爷")
    here = HomeCareBed.objects.create(
        elder=elder, provider=ours, contract_number="JTYLCW-1", starts="2026-03-01", equipment=[{"item": "护理床"}]
    )
    far = HomeCareBed.objects.create(elder=far_elder, provider=theirs, contract_number="JTYLCW-2", starts="2026-04-01")
    BedRecord.objects.create(bed=here, kind="inspection", on="2026-10-01", note="完好", by=personas[R.PROVIDER_ADMIN])
    return here, far


def test_who_sees_which_beds(client, personas, beds_here_and_far):
    here, far = beds_here_and_far
    seen = {}
    for role in (R.COMMUNITY_WORKER, R.CIVIL_COUNTY, R.CIVIL_CITY, R.PROVIDER_ADMIN):
        client.force_login(personas[role])
        seen[role] = {b["contract_number"] for b in client.get("/api/devices/beds").json()["items"]}
    assert seen[R.COMMUNITY_WORKER] == {"JTYLCW-1"}  # the region's
    assert seen[R.PROVIDER_ADMIN] == {"JTYLCW-1"}  # its own
    assert seen[R.CIVIL_CITY] == {"JTYLCW-1", "JTYLCW-2"}
    client.force_login(personas[R.COMMUNITY_WORKER])
    assert client.get(f"/api/devices/beds/{far.pk}").status_code == 404
    detail = client.get(f"/api/devices/beds/{here.pk}").json()
    assert detail["records"] == [{"kind": "inspection", "on": "2026-10-01", "note": "完好"}]
    for role in (R.ELDER, R.CAREGIVER):
        client.force_login(personas[role])
        assert client.get("/api/devices/beds").status_code == 403


def test_the_beds_pages(client, personas, beds_here_and_far):
    here, far = beds_here_and_far
    client.force_login(personas[R.CIVIL_CITY])
    with translation.override("zh-hans"):
        listing = client.get("/beds/").content.decode()
    assert listing.index("JTYLCW-2") < listing.index("JTYLCW-1")  # never inspected comes first
    assert "从未" in listing and "2026-10-01" in listing
    client.force_login(personas[R.PROVIDER_ADMIN])
    page = client.get(f"/beds/{here.pk}/").content.decode()
    assert "护理床" in page and 'name="note"' in page  # the contracted provider may add records
    done = client.post(f"/beds/{here.pk}/records/", {"kind": "repair", "on": "2026-11-20", "note": "更换扶手螺丝"}, follow=True)
    assert "更换扶手螺丝" in done.content.decode()
    assert here.records.filter(kind="repair", note="更换扶手螺丝").exists()
    empty = client.post(f"/beds/{here.pk}/records/", {"kind": "repair", "on": "2026-11-20", "note": "  "}, follow=True)
    assert "请填写记录内容" in empty.content.decode() and here.records.count() == 2
    assert client.get(f"/beds/{far.pk}/").status_code == 404  # another provider's bed
    client.force_login(personas[R.CENTER_OPERATOR])  # the call desk sees the region's beds, keeps no records
    assert 'name="note"' not in client.get(f"/beds/{here.pk}/").content.decode()
    assert client.post(f"/beds/{here.pk}/records/", {"kind": "repair", "on": "2026-11-21", "note": "x"}).status_code == 403
