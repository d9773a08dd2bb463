"""Every role × every registry endpoint: who sees, changes, reveals, exports.

The expectations are written out by hand here, independent of roles.py, so a
change to the permission table that is not also made here fails loudly.
"""

import io

import pytest
from openpyxl import Workbook, load_workbook

from eldercare.accounts.roles import Role
from eldercare.tests import builders as testing

R = Role
ALL_ROLES = list(Role)
EDITORS = {R.SYSTEM_ADMIN, R.CIVIL_CITY, R.CIVIL_COUNTY, R.CIVIL_STREET, R.COMMUNITY_WORKER}
EXPORTERS = EDITORS | {R.CENTER_OPERATOR}
REGION_VIEWERS = EDITORS | {R.CENTER_OPERATOR, R.CARE_ADVISOR, R.FAMILY_DOCTOR}
NO_REGISTRY = {R.PROVIDER_ADMIN, R.CAREGIVER, R.VOLUNTEER, R.ASSESSOR}

# Which of the four fixture elders each role may see.
VISIBLE = {
    R.SYSTEM_ADMIN: {"own", "same_street", "same_county", "other_county"},
    R.CIVIL_CITY: {"own", "same_street", "same_county", "other_county"},
    R.CIVIL_COUNTY: {"own", "same_street", "same_county"},
    R.CIVIL_STREET: {"own", "same_street"},
    R.CENTER_OPERATOR: {"own", "same_street"},
    R.COMMUNITY_WORKER: {"own"},
    R.CARE_ADVISOR: {"own"},
    R.FAMILY_DOCTOR: {"own"},
    R.PROVIDER_ADMIN: set(),
    R.CAREGIVER: set(),
    R.VOLUNTEER: set(),
    R.ELDER: {"own"},
    R.FAMILY: {"own"},
    R.ASSESSOR: set(),
}
SEES_HEALTH = set(ALL_ROLES) - NO_REGISTRY - {R.CENTER_OPERATOR}


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list(client, personas, world, role):
    response = client_for(client, personas[role]).get("/api/elders/")
    if role in NO_REGISTRY:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    names = {item["name"] for item in response.json()["items"]}
    assert names == {world[key].name for key in VISIBLE[role]}
    own = next((i for i in response.json()["items"] if i["name"] == "王秀英"), None)
    if own:
        assert own["id_masked"].count("*") == 8
        expected_groups = ["低保", "失能（中度）"] if role in SEES_HEALTH else ["低保", "（健康信息已隐藏）"]
        assert sorted(own["groups"]) == sorted(expected_groups)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_search_by_id_number(client, personas, world, role):
    """POST /api/elders/search finds an elder by the full ID number, within the same scope as the list."""
    c = client_for(client, personas[role])
    for key, elder in world.items():
        response = c.post("/api/elders/search", {"q": elder.id_number}, content_type="application/json")
        if role in NO_REGISTRY:
            assert response.status_code == 403, key
            continue
        assert response.status_code == 200, key
        found = [item["name"] for item in response.json()["items"]]
        assert found == ([elder.name] if key in VISIBLE[role] else []), key
        assert elder.id_number not in response.content.decode()
    # Never in a URL: the list refuses an ID number (or a phone) in its query string, for everyone.
    refused = c.get("/api/elders/", {"q": world["own"].id_number})
    assert refused.status_code == 422  # before the capability is asked: nothing is looked up
    assert any(e["code"] == "elders.personal_in_url" for e in refused.json()["errors"])


@pytest.mark.parametrize("role", ALL_ROLES)
def test_detail(client, personas, world, role):
    c = client_for(client, personas[role])
    for key, elder in world.items():
        response = c.get(f"/api/elders/{elder.pk}")
        if role in NO_REGISTRY:
            assert response.status_code == 403, key
        elif key in VISIBLE[role]:
            assert response.status_code == 200, key
            assert response.json()["id_masked"] == elder.id_masked
            assert elder.id_number not in response.content.decode()
        else:
            assert response.status_code == 404, key  # a refusal must not reveal that the record exists


@pytest.mark.parametrize("role", ALL_ROLES)
def test_create(client, personas, city, world, role):
    payload = testing.elder_data(residence=city.community, name="新老人")
    payload["residence"] = city.community.code
    response = client_for(client, personas[role]).post("/api/elders/", payload, content_type="application/json")
    assert response.status_code == (201 if role in EDITORS else 403), response.content


@pytest.mark.parametrize("role", ALL_ROLES)
def test_create_outside_own_region_is_refused(client, personas, city, world, role):
    payload = testing.elder_data(residence=city.community_far, name="越界老人")
    payload["residence"] = city.community_far.code
    response = client_for(client, personas[role]).post("/api/elders/", payload, content_type="application/json")
    allowed = role in {R.SYSTEM_ADMIN, R.CIVIL_CITY}
    assert response.status_code == (201 if allowed else 403), response.content


@pytest.mark.parametrize("role", ALL_ROLES)
def test_update(client, personas, world, role):
    c = client_for(client, personas[role])
    for key, elder in world.items():
        response = c.patch(f"/api/elders/{elder.pk}", {"address": "新地址1号"}, content_type="application/json")
        if role in NO_REGISTRY:
            expected = 403
        elif key not in VISIBLE[role]:
            expected = 404
        else:
            expected = 200 if role in EDITORS else 403
        assert response.status_code == expected, (key, response.content)
        elder.refresh_from_db()
        assert (elder.address == "新地址1号") == (expected == 200)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reveal_id(client, personas, world, role):
    elder = world["own"]
    response = client_for(client, personas[role]).post(f"/api/elders/{elder.pk}/reveal-id")
    if role in EDITORS:
        assert response.status_code == 200
        assert response.json()["id_number"] == elder.id_number
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ALL_ROLES)
def test_audit_trail(client, personas, world, role):
    response = client_for(client, personas[role]).get(f"/api/elders/{world['own'].pk}/audit")
    assert response.status_code == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_export(client, personas, world, role):
    response = client_for(client, personas[role]).get("/api/elders/export.xlsx")
    if role not in EXPORTERS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert {row[0] for row in rows} == {world[key].name for key in VISIBLE[role]}
    assert all(world["own"].id_number not in str(row) for row in rows)  # masked by default


@pytest.mark.parametrize("role", ALL_ROLES)
def test_export_with_full_ids(client, personas, world, role):
    response = client_for(client, personas[role]).get("/api/elders/export.xlsx?full_ids=true")
    assert response.status_code == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_import(client, personas, city, world, role):
    wb = Workbook()
    wb.active.append(["姓名", "身份证号码", "居住社区代码"])
    data = testing.elder_data(residence=city.community, name="导入老人")
    wb.active.append([data["name"], data["id_number"], city.community.code])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "elders.xlsx"
    response = client_for(client, personas[role]).post("/api/elders/import", {"file": buf})
    if role in EDITORS:
        assert response.status_code == 200
        assert response.json()["created"] == 1
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ALL_ROLES)
def test_regions(client, personas, city, world, role):
    c = client_for(client, personas[role])
    top = c.get("/api/regions/")
    far = c.get(f"/api/regions/{city.county_b.code}")
    if role not in REGION_VIEWERS:
        assert top.status_code == 403 and far.status_code == 403
        return
    assert top.status_code == 200
    assert far.status_code == (200 if role in {R.SYSTEM_ADMIN, R.CIVIL_CITY} else 403)
    if personas[role].region_id:
        assert [r["code"] for r in top.json()["items"]] == [personas[role].region_id]


def test_anonymous_is_refused_everywhere(client, world):
    for url in ("/api/elders/", f"/api/elders/{world['own'].pk}", "/api/regions/", "/api/accounts/me", "/api/elders/export.xlsx"):
        assert client.get(url).status_code == 401


def test_bearer_token_carries_the_same_scope(client, personas, world):
    from eldercare.accounts.models import ApiToken

    _, key = ApiToken.issue(user=personas[R.CIVIL_STREET], name="agency")
    response = client.get("/api/elders/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert {i["name"] for i in response.json()["items"]} == {world[k].name for k in VISIBLE[R.CIVIL_STREET]}
    assert client.get("/api/elders/", HTTP_AUTHORIZATION="Bearer wrong-key").status_code == 401


def test_revoked_token_is_refused(client, personas, world):
    from django.utils import timezone

    from eldercare.accounts.models import ApiToken

    token, key = ApiToken.issue(user=personas[R.CIVIL_STREET], name="agency")
    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/api/elders/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_inactive_user_sees_nothing(client, personas, world):
    user = personas[R.CIVIL_CITY]
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get("/api/elders/").status_code in (401, 403)
