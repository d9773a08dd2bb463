"""The services API: an order's life over HTTP, who sees an order, bad input answered 422."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.entitlements.models import Account
from eldercare.homecare.models import Order

from .conftest import HOME

R = Role
# GET /orders/<an order of 王秀英 in 清波社区, assigned to 张护理 of the provider>
SEES_ORDER = {
    R.SYSTEM_ADMIN: 200,
    R.CIVIL_CITY: 200,
    R.CIVIL_COUNTY: 200,
    R.CIVIL_STREET: 200,
    R.CENTER_OPERATOR: 200,
    R.COMMUNITY_WORKER: 200,
    R.CARE_ADVISOR: 403,
    R.FAMILY_DOCTOR: 403,
    R.PROVIDER_ADMIN: 200,  # its provider's order
    R.CAREGIVER: 200,  # 张护理's own task
    R.VOLUNTEER: 403,
    R.ELDER: 200,  # their own
    R.FAMILY: 404,  # not a contact of 王秀英
    R.ASSESSOR: 403,
}


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def at(hour: int, days: int = 1) -> str:
    """Tomorrow (by default) at `hour`, Asia/Shanghai."""
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(hour))).isoformat()


@pytest.fixture
def placed(client, svc, personas):
    client.force_login(personas[R.COMMUNITY_WORKER])
    response = post(
        client,
        "/api/services/orders",
        {
            "elder": svc.elder.pk,
            "item": "clean_home",
            "window_start": at(9),
            "window_end": at(11),
            "channel": "phone",
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_an_order_over_http(client, svc, personas, placed):
    order_id = placed["id"]
    assert (placed["status"], placed["quantity"], placed["channel"]) == ("requested", 120, "phone")
    client.force_login(personas[R.CENTER_OPERATOR])
    assert (
        post(client, f"/api/services/orders/{order_id}/assign", {"caregiver": svc.zhang.pk, "note": "熟悉老人情况"}).json()["status"]
        == "matched"
    )
    assert post(client, f"/api/services/orders/{order_id}/dispatch").json()["status"] == "dispatched"
    client.force_login(personas[R.CAREGIVER])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert client.get("/api/services/tasks").json()["items"] == []  # today's: nothing
    tasks = client.get(f"/api/services/tasks?day={tomorrow}").json()["items"]
    assert [t["id"] for t in tasks] == [order_id]
    assert post(client, f"/api/services/orders/{order_id}/accept").status_code == 200
    early = post(client, f"/api/services/orders/{order_id}/depart")
    assert (early.status_code, early.json()["code"]) == (422, "homecare.too_early")  # tomorrow's visit
    now = timezone.now()  # the day comes: the visit is now
    Order.objects.filter(pk=order_id).update(window_start=now - dt.timedelta(minutes=5), window_end=now + dt.timedelta(hours=2))
    assert post(client, f"/api/services/orders/{order_id}/depart").status_code == 200
    checked_in = post(client, f"/api/services/orders/{order_id}/check-in", {"latitude": str(HOME[0]), "longitude": str(HOME[1])})
    assert checked_in.json()["status"] == "checked_in"
    out = post(client, f"/api/services/orders/{order_id}/check-out", {"record": "擦窗、拖地"})
    assert out.json()["status"] == "checked_out"
    assert out.json()["flags"][0]["kind"] == "too_short"  # checked out at once: flagged, not dropped
    client.force_login(personas[R.ELDER])
    confirmed = post(client, f"/api/services/orders/{order_id}/confirm", {"rating": 5, "comment": "好"}).json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["paid_by_allowance"] == confirmed["amount"]  # a minute or two, inside the free hours
    assert Account.objects.get(elder=svc.elder).balance == 180 - confirmed["allowance_minutes"]
    assert [e["to_status"] for e in confirmed["events"]][-1] == "confirmed"


def test_illegal_transition_is_422_and_changes_nothing(client, svc, personas, placed):
    client.force_login(personas[R.CENTER_OPERATOR])
    response = post(client, f"/api/services/orders/{placed['id']}/dispatch")
    assert response.status_code == 422
    assert response.json()["code"] == "homecare.illegal"
    assert client.get(f"/api/services/orders/{placed['id']}").json()["status"] == "requested"


def test_match_preview(client, svc, personas, placed):
    for carer in (svc.zhang, svc.li):
        carer.hours = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
        carer.save()
    client.force_login(personas[R.CENTER_OPERATOR])
    body = client.get(f"/api/services/orders/{placed['id']}/match").json()
    assert body["caregiver_id"] in (svc.zhang.pk, svc.li.pk)
    assert any("服务圈" in line for line in body["explanation"])
    client.force_login(personas[R.ELDER])
    assert client.get(f"/api/services/orders/{placed['id']}/match").status_code == 403


@pytest.mark.parametrize("role", list(Role))
def test_who_sees_an_order(client, svc, personas, placed, role):
    from eldercare.homecare.services import orders

    order = orders.order_assign(actor=personas[R.CENTER_OPERATOR], order=orders.Order.objects.get(pk=placed["id"]), caregiver=svc.zhang)
    client.force_login(personas[role])
    assert client.get(f"/api/services/orders/{order.pk}").status_code == SEES_ORDER[role]


def test_bad_input(client, svc, personas):
    client.force_login(personas[R.COMMUNITY_WORKER])
    backwards = post(
        client, "/api/services/orders", {"elder": svc.elder.pk, "item": "clean_home", "window_start": at(12), "window_end": at(11)}
    )
    assert backwards.status_code == 422
    assert backwards.json()["code"] == "homecare.window"
    unknown = post(
        client, "/api/services/orders", {"elder": svc.elder.pk, "item": "space_walk", "window_start": at(8), "window_end": at(23)}
    )
    assert unknown.status_code == 404
    assert client.get("/api/services/items").json()["items"][0]["code"]


def test_catalogue_administration(client, svc, personas, city):
    from eldercare.elders import idnumber

    from .conftest import code

    client.force_login(personas[R.CIVIL_COUNTY])
    price = post(
        client, "/api/services/guide-prices",
        {"item": "clean_home", "region": city.county.code, "price": 45_00, "valid_from": "2026-01-01", "document": "上城区居家养老服务指导价"},
    )  # fmt: skip
    assert price.status_code == 201
    current = client.get(f"/api/services/guide-prices/current?item=clean_home&region={city.community.code}&day=2026-03-01").json()
    assert (current["price"], current["region"]) == (45_00, city.county.code)
    made = post(
        client, "/api/providers/", {"name": "湖滨助老社", "credit_code": code("52330102MJ5555555"), "region": city.county.code}
    )
    assert made.status_code == 201
    bad = post(client, "/api/providers/", {"name": "错码", "credit_code": "123", "region": city.county.code})
    assert (bad.status_code, bad.json()["code"]) == (422, "providers.credit_code_length")
    assert post(client, f"/api/providers/{made.json()['id']}/areas", {"region": city.street.code}).status_code == 201

    client.force_login(personas[R.PROVIDER_ADMIN])
    carer = {
        "name": "吴护理", "id_number": idnumber.build("330102", dt.date(1979, 9, 9), 41), "latitude": str(HOME[0]), "longitude": str(HOME[1]),
        "categories": ["clean"], "level": 4, "certificate_expires": "2028-12-31",
    }  # fmt: skip
    registered = post(client, f"/api/services/providers/{svc.provider.pk}/caregivers", carer)
    assert registered.status_code == 201
    assert registered.json()["id_masked"].count("*") == 8
    listed = client.get(f"/api/services/providers/{svc.provider.pk}/caregivers").json()["items"]
    assert "吴护理" in {c["name"] for c in listed}
    assert "id_number" not in listed[0]
    assert client.get(f"/api/services/providers/{svc.other_provider.pk}/caregivers").status_code == 404  # not its provider


def test_flags_are_listed_and_resolved_by_supervisors(client, svc, personas):
    from .test_orders import delivered

    delivered(svc, personas, minutes=5)
    client.force_login(personas[R.CIVIL_STREET])
    flags = client.get("/api/services/flags").json()["items"]
    assert [f["kind"] for f in flags] == ["too_short"]
    resolved = post(client, f"/api/services/flags/{flags[0]['id']}/resolve", {"resolution": "回访核实：老人中途外出"})
    assert resolved.status_code == 200
    client.force_login(personas[R.CAREGIVER])
    assert client.get("/api/services/flags").status_code == 403
