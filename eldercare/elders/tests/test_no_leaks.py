"""ID numbers, phones and health data must not reach logs or error pages."""

import logging

from eldercare.accounts.roles import Role
from eldercare.tests import builders as testing


def test_rejected_and_accepted_registrations_leave_no_personal_data_in_logs(client, city, personas, caplog):
    client.force_login(personas[Role.COMMUNITY_WORKER])
    good = testing.elder_data(residence=city.community, phone="13566667777")
    bad = {**good, "id_number": good["id_number"][:-1] + ("0" if good["id_number"][-1] != "0" else "1")}
    request_log = logging.getLogger("django.request")  # does not propagate to the root logger
    request_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django.request"):
            for payload in (bad, good, good):  # invalid, created, duplicate
                response = client.post("/api/elders/", {**payload, "residence": city.community.code}, content_type="application/json")
                assert response.status_code in (201, 422)
    finally:
        request_log.removeHandler(caplog.handler)
    assert caplog.records, "the refusals are logged"
    for number in (good["id_number"], bad["id_number"], "13566667777"):
        assert number not in caplog.text


def test_refusal_bodies_do_not_echo_the_number(client, city, personas):
    client.force_login(personas[Role.COMMUNITY_WORKER])
    good = testing.elder_data(residence=city.community)
    client.post("/api/elders/", {**good, "residence": city.community.code}, content_type="application/json")
    duplicate = client.post("/api/elders/", {**good, "residence": city.community.code}, content_type="application/json")
    assert duplicate.status_code == 422
    assert good["id_number"] not in duplicate.content.decode()
