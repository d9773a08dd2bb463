"""The call desk in the console (issue 14): calling from an alarm (the number revealed by a POST,
audited), the elder page's 拨打, the live board's stream, and closing early warnings."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.console.views import alarms as alarm_views
from eldercare.devices import alarms
from eldercare.devices.models import AlarmSource, EarlyWarning, WarningStatus
from eldercare.elders.models import Contact, Relation
from eldercare.tests import builders as testing

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def home(city):
    elder = testing.elder(residence=city.community, name="王秀英", phone="13700007049", address="清波街11号")
    son = Contact.objects.create(
        elder=elder, name="王小明", relation=Relation.CHILD, phone="13800001111", phone_masked="138****1111", priority=1
    )
    return elder, son


def raise_alarm(elder):
    now = timezone.now()
    return alarms.alarm_raise(elder_id=elder.pk, region_code=elder.residence_id, source=AlarmSource.BUTTON, at=now, received_at=now)


def accesses():
    return list(LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk"))


# ---------------------------------------------------------------- calling from an alarm


def test_the_call_desk_calls_the_elder_and_a_contact_in_one_click(client, home, personas):
    elder, son = home
    alarm = raise_alarm(elder)
    client.force_login(personas[Role.CENTER_OPERATOR])
    page = client.get(f"/alarms/{alarm.pk}/").content.decode()
    assert "137****7049" in page and "138****1111" in page and "拨打" in page
    assert "13700007049" not in page and "13800001111" not in page and "tel:" not in page
    # Without the page's script: a POST, and the page again with the number as a tel: link.
    called = client.post(f"/alarms/{alarm.pk}/call/", {"who": "elder"})
    assert called.status_code == 200
    assert 'href="tel:13700007049"' in called.content.decode() and "13800001111" not in called.content.decode()
    # With it: JSON, and the script dials at once.
    answer = client.post(f"/alarms/{alarm.pk}/call/", {"who": str(son.pk)}, **JSON).json()
    assert answer == {"phone": "13800001111", "tel": "tel:13800001111"}
    entries = accesses()
    assert [(e.object_id, e.additional_data) for e in entries] == [
        (elder.pk, {"revealed": "phone", "alarm": alarm.pk}),
        (son.pk, {"revealed": "phone", "alarm": alarm.pk}),
    ]
    assert {e.actor for e in entries} == {personas[Role.CENTER_OPERATOR]}


def test_no_number_in_a_url_and_nothing_revealed_by_a_get(client, home, personas):
    alarm = raise_alarm(home[0])
    client.force_login(personas[Role.CENTER_OPERATOR])
    response = client.get(f"/alarms/{alarm.pk}/call/", {"who": "elder"})
    assert (response.status_code, response["Location"]) == (302, f"/alarms/{alarm.pk}/")
    assert accesses() == []


def test_calls_refused_to_those_who_do_not_answer_alarms_and_out_of_region(client, home, personas, city):
    elder, son = home
    alarm = raise_alarm(elder)
    other = testing.elder(residence=city.community, name="李阿婆")
    stranger = Contact.objects.create(elder=other, name="李某", relation=Relation.CHILD, phone="13900009999", phone_masked="139****9999")
    client.force_login(personas[Role.CIVIL_STREET])  # sees the board, does not handle alarms
    assert "拨打" not in client.get(f"/alarms/{alarm.pk}/").content.decode()
    assert client.post(f"/alarms/{alarm.pk}/call/", {"who": "elder"}).status_code == 403
    client.force_login(testing.user("centre-far", Role.CENTER_OPERATOR, city.street_b))
    assert client.post(f"/alarms/{alarm.pk}/call/", {"who": "elder"}).status_code == 404
    client.force_login(personas[Role.CENTER_OPERATOR])
    assert client.post(f"/alarms/{alarm.pk}/call/", {"who": str(stranger.pk)}).status_code == 404  # not this alarm's contact
    assert client.post(f"/alarms/{alarm.pk}/call/", {"who": "everyone"}).status_code == 400
    assert accesses() == []


# ---------------------------------------------------------------- the elder's record


def test_the_call_desk_reveals_the_phone_on_the_elders_record(client, home, personas):
    elder, _ = home
    client.force_login(personas[Role.CENTER_OPERATOR])  # masked registry
    page = client.get(f"/elders/{elder.pk}/").content.decode()
    assert "137****7049" in page and "13700007049" not in page and f"/elders/{elder.pk}/reveal-phone/" in page
    shown = client.post(f"/elders/{elder.pk}/reveal-phone/").content.decode()
    assert 'href="tel:13700007049"' in shown
    assert client.post(f"/elders/{elder.pk}/reveal-phone/", **JSON).json()["tel"] == "tel:13700007049"
    assert [(e.object_id, e.additional_data) for e in accesses()] == [(elder.pk, {"revealed": "phone"})] * 2


def test_the_elders_record_for_others(client, home, personas, city):
    elder, _ = home
    client.force_login(personas[Role.COMMUNITY_WORKER])  # sees the number already: a tel: link, no reveal
    page = client.get(f"/elders/{elder.pk}/").content.decode()
    assert 'href="tel:13700007049"' in page and "reveal-phone" not in page
    client.force_login(personas[Role.CARE_ADVISOR])  # masked, and answers no alarms
    page = client.get(f"/elders/{elder.pk}/").content.decode()
    assert "reveal-phone" not in page and "13700007049" not in page
    assert client.post(f"/elders/{elder.pk}/reveal-phone/").status_code == 403
    client.force_login(testing.user("centre-far", Role.CENTER_OPERATOR, city.street_b))
    assert client.post(f"/elders/{elder.pk}/reveal-phone/").status_code == 404
    assert accesses() == []


# ---------------------------------------------------------------- the live board


def events(response) -> list[tuple[str, dict]]:
    text = b"".join(response.streaming_content).decode()
    found = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if lines.get("event"):
            found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_the_board_streams_the_users_own_open_alarms(client, home, personas, city, monkeypatch):
    monkeypatch.setattr(alarm_views, "STREAM_SECONDS", 0)  # one round, then the stream ends
    mine = raise_alarm(home[0])
    raise_alarm(testing.elder(residence=city.community_far, name="远方老人"))
    client.force_login(personas[Role.CENTER_OPERATOR])
    response = client.get("/alarms/stream/")
    assert response.streaming and response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"].startswith("no-cache")
    [(name, data)] = events(response)
    assert name == "alarms"
    assert [(a["id"], a["elder_name"], a["status"]) for a in data["items"]] == [(mine.pk, "王秀英", "raised")]
    assert "13700007049" not in json.dumps(data, ensure_ascii=False)


def test_the_stream_is_refused_without_the_board(client, personas):
    client.force_login(personas[Role.CAREGIVER])
    assert client.get("/alarms/stream/").status_code == 403
    client.logout()
    assert client.get("/alarms/stream/").status_code == 302


def test_the_stream_sends_changes_only(home, personas, monkeypatch):
    """Ticks without a change send nothing; a step taken on an alarm sends the board again."""
    monkeypatch.setattr(alarm_views, "STREAM_SECONDS", 3600)
    alarm = raise_alarm(home[0])
    steps = alarm_views._board_steps(personas[Role.CENTER_OPERATOR])
    assert str(next(steps)).startswith("retry:")
    first = str(next(steps))
    assert "event: alarms" in first and '"raised"' in first
    assert next(steps) is None and next(steps) is None  # nothing changed: a tick, no event
    alarms.alarm_acknowledge(actor=personas[Role.CENTER_OPERATOR], alarm=alarm)
    second = str(next(steps))
    assert "event: alarms" in second and '"acknowledged"' in second


# ---------------------------------------------------------------- closing early warnings


@pytest.fixture
def warning(home):
    return EarlyWarning.objects.create(
        elder=home[0], rule="no_water_daytime", detail="8小时无智能水表使用记录", action="visit", region_id=home[0].residence_id
    )


def test_the_community_worker_closes_a_warning_with_the_findings(client, warning, personas):
    worker = personas[Role.COMMUNITY_WORKER]
    client.force_login(worker)
    board = client.get("/alarms/").content.decode()
    assert f"/alarms/warnings/{warning.pk}/close/" in board and "探访情况" in board
    refused = client.post(f"/alarms/warnings/{warning.pk}/close/", {"note": "  ", "seen": "yes"})
    assert refused.status_code == 422 and "error-msg" in refused.content.decode()
    done = client.post(f"/alarms/warnings/{warning.pk}/close/", {"note": "已上门，老人在家，水表阀门被关，已打开", "seen": "yes"})
    assert (done.status_code, done["Location"]) == (302, "/alarms/#warnings-h")
    warning.refresh_from_db()
    assert (warning.status, warning.findings, warning.seen_in_person, warning.closed_by) == (
        WarningStatus.CLOSED, "已上门，老人在家，水表阀门被关，已打开", True, worker,
    )  # fmt: skip
    assert warning.detail == "8小时无智能水表使用记录"  # the rule's own words kept apart
    assert f"/alarms/warnings/{warning.pk}/close/" not in client.get("/alarms/").content.decode()
    again = client.post(f"/alarms/warnings/{warning.pk}/close/", {"note": "再次"}, follow=True)
    assert "该预警已处理" in again.content.decode()  # a colleague's page was out of date: said so, nothing changed
    warning.refresh_from_db()
    assert warning.findings == "已上门，老人在家，水表阀门被关，已打开"


def test_seen_in_person_may_be_left_unsaid(client, warning, personas):
    client.force_login(personas[Role.COMMUNITY_WORKER])
    client.post(f"/alarms/warnings/{warning.pk}/close/", {"note": "电话联系家属，老人在子女家"})
    warning.refresh_from_db()
    assert (warning.status, warning.seen_in_person) == (WarningStatus.CLOSED, None)


def test_closing_is_refused_out_of_scope_or_without_the_capability(client, warning, personas, city):
    client.force_login(personas[Role.CIVIL_STREET])  # sees the warnings, handles no alarms
    assert f"/alarms/warnings/{warning.pk}/close/" not in client.get("/alarms/").content.decode()
    assert client.post(f"/alarms/warnings/{warning.pk}/close/", {"note": "x"}).status_code == 403
    client.force_login(testing.user("worker-far", Role.COMMUNITY_WORKER, city.community_far))
    assert client.post(f"/alarms/warnings/{warning.pk}/close/", {"note": "x"}).status_code == 404
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN


def test_the_service_keeps_long_findings_whole(warning, personas):
    long = "探访" * 400  # 800 characters: more than the old 300-character detail could hold
    alarms.warning_close(actor=personas[Role.COMMUNITY_WORKER], warning=warning, note=long, seen=False)
    warning.refresh_from_db()
    assert warning.findings == long and warning.seen_in_person is False


def test_the_stream_under_asgi_waits_on_the_event_loop(home, personas, monkeypatch):
    from asgiref.sync import async_to_sync

    monkeypatch.setattr(alarm_views, "STREAM_SECONDS", 0)
    raise_alarm(home[0])

    async def collect(actor) -> list[str]:
        return [chunk async for chunk in alarm_views._board_events_async(actor)]

    chunks = async_to_sync(collect)(personas[Role.CENTER_OPERATOR])
    assert chunks[0].startswith("retry:") and "王秀英" in chunks[1] and len(chunks) == 2
