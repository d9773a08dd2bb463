"""Registering an elder's devices and home care beds in the console (issue 14: API-only before):
for those who keep the region's records; refused to other roles (403) and to other regions (404);
bad input and duplicates come back as form errors."""

from __future__ import annotations

import datetime as dt

import pytest

from eldercare.accounts.roles import Role
from eldercare.devices.models import Device, DeviceKind, HomeCareBed
from eldercare.providers.models import Provider, ServiceArea
from eldercare.tests import builders as testing


@pytest.fixture
def elder(city):
    return testing.elder(residence=city.community, name="王秀英", address="清波街11号")


@pytest.fixture
def provider(city):
    p = Provider.objects.create(name="安康居家养老服务中心", credit_code="91330102MA2AAAAA1X", region=city.county)
    ServiceArea.objects.create(provider=p, region=city.street)
    return p


def devices_url(elder) -> str:
    return f"/elders/{elder.pk}/devices/"


# ---------------------------------------------------------------- devices


def test_a_community_worker_registers_a_device_from_the_elders_page(client, personas, elder):
    client.force_login(personas[Role.COMMUNITY_WORKER])
    assert f'href="{devices_url(elder)}"' in client.get(f"/elders/{elder.pk}/").content.decode()
    page = client.get(devices_url(elder)).content.decode()
    assert "尚未登记设备" in page and 'name="serial"' in page
    response = client.post(devices_url(elder), {"kind": DeviceKind.BUTTON, "serial": " BTN-0001 "})
    assert (response.status_code, response["Location"]) == (302, devices_url(elder))
    device = Device.objects.get()
    assert (device.serial, device.kind, device.elder) == ("BTN-0001", DeviceKind.BUTTON, elder)
    assert "BTN-0001" in client.get(devices_url(elder)).content.decode()


def test_the_call_desk_sees_the_devices_but_does_not_register(client, personas, elder):
    Device.objects.create(serial="WTR-9", kind=DeviceKind.WATER, elder=elder)
    client.force_login(personas[Role.CENTER_OPERATOR])
    page = client.get(devices_url(elder)).content.decode()
    assert "WTR-9" in page and 'name="serial"' not in page
    assert client.post(devices_url(elder), {"kind": DeviceKind.BUTTON, "serial": "BTN-1"}).status_code == 403
    client.force_login(personas[Role.CARE_ADVISOR])  # no devices at all
    assert client.get(devices_url(elder)).status_code == 403
    assert client.post(devices_url(elder), {"kind": DeviceKind.BUTTON, "serial": "BTN-1"}).status_code == 403
    assert list(Device.objects.values_list("serial", flat=True)) == ["WTR-9"]


def test_another_regions_elder_is_not_found(client, city, elder):
    client.force_login(testing.user("worker-far", Role.COMMUNITY_WORKER, city.community_far))
    assert client.get(devices_url(elder)).status_code == 404
    assert client.post(devices_url(elder), {"kind": DeviceKind.BUTTON, "serial": "BTN-1"}).status_code == 404
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": DeviceKind.BUTTON, "serial": "BTN 1"}, "serial", "不含空格"),
        ({"kind": DeviceKind.BUTTON, "serial": "x" * 65}, "serial", "65"),
        ({"kind": "toaster", "serial": "BTN-1"}, "kind", "toaster"),
        ({"kind": "", "serial": "BTN-1"}, "kind", ""),
    ],
)
def test_bad_serial_or_kind_is_a_form_error(client, personas, elder, data, field, message):
    client.force_login(personas[Role.COMMUNITY_WORKER])
    response = client.post(devices_url(elder), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    assert 'class="error-msg"' in response.content.decode()
    assert not Device.objects.exists()


def test_a_serial_registered_twice_is_a_form_error(client, personas, elder, city):
    other = testing.elder(residence=city.community, name="李阿婆")
    Device.objects.create(serial="BTN-1", kind=DeviceKind.BUTTON, elder=other)
    client.force_login(personas[Role.COMMUNITY_WORKER])
    response = client.post(devices_url(elder), {"kind": DeviceKind.BUTTON, "serial": "BTN-1"})
    assert response.status_code == 422
    assert "该设备编号已登记" in " ".join(response.context["form"].errors["serial"])
    assert Device.objects.get().elder == other


# ---------------------------------------------------------------- home care beds


def bed_data(provider, **extra) -> dict:
    return {"provider": provider.pk, "contract_number": "JC-2026-001", "starts": "2026-03-02", "equipment": "护理床\n\n 扶手 \n", **extra}


def test_a_street_officer_registers_a_bed_from_the_beds_list(client, personas, elder, provider):
    client.force_login(personas[Role.CIVIL_STREET])
    assert 'href="/beds/new/"' in client.get("/beds/").content.decode()
    found = client.get("/beds/new/", {"q": "王秀"}).content.decode()
    assert f'href="/elders/{elder.pk}/beds/new/"' in found
    form = client.get(f"/elders/{elder.pk}/beds/new/").content.decode()
    assert provider.name in form
    response = client.post(f"/elders/{elder.pk}/beds/new/", bed_data(provider))
    bed = HomeCareBed.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/beds/{bed.pk}/")
    assert (bed.elder, bed.provider, bed.contract_number, bed.starts) == (elder, provider, "JC-2026-001", dt.date(2026, 3, 2))
    assert bed.equipment == [{"item": "护理床"}, {"item": "扶手"}]


def test_beds_refused_to_other_roles_and_regions(client, personas, city, elder, provider):
    client.force_login(personas[Role.CENTER_OPERATOR])  # sees the beds, keeps no records
    assert 'href="/beds/new/"' not in client.get("/beds/").content.decode()
    assert client.get("/beds/new/").status_code == 403
    assert client.post(f"/elders/{elder.pk}/beds/new/", bed_data(provider)).status_code == 403
    client.force_login(testing.user("officer-far", Role.CIVIL_STREET, city.street_b))
    assert client.post(f"/elders/{elder.pk}/beds/new/", bed_data(provider)).status_code == 404
    assert "王秀英" not in client.get("/beds/new/", {"q": "王秀"}).content.decode()
    assert not HomeCareBed.objects.exists()


def test_bed_bad_input_and_a_duplicate_contract_are_form_errors(client, personas, elder, provider, city):
    elsewhere = Provider.objects.create(name="远方服务社", credit_code="91330105MA2BBBBB2Y", region=city.county_b)
    ServiceArea.objects.create(provider=elsewhere, region=city.street_b)
    client.force_login(personas[Role.CIVIL_STREET])
    url = f"/elders/{elder.pk}/beds/new/"
    response = client.post(url, bed_data(elsewhere))  # does not serve the elder's community: not offered
    assert response.status_code == 422 and "provider" in response.context["form"].errors
    response = client.post(url, bed_data(provider, starts="2026-13-40"))
    assert response.status_code == 422 and "starts" in response.context["form"].errors
    assert client.post(url, bed_data(provider)).status_code == 302
    response = client.post(url, bed_data(provider))
    assert response.status_code == 422
    assert "该合同编号已登记" in " ".join(response.context["form"].errors["contract_number"])
    assert HomeCareBed.objects.count() == 1
