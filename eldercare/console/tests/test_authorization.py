"""Every role × every console page: the same expectations as the API matrix
(eldercare/accounts/tests/test_authorization.py), checked through the pages."""

import pytest
from django.urls import reverse

from eldercare.accounts.roles import Role
from eldercare.accounts.tests.test_authorization import EDITORS, EXPORTERS, NO_REGISTRY, REGION_VIEWERS, VISIBLE
from eldercare.elders.models import ElderGroup, ElderStatus

ALL_ROLES = list(Role)


def status_for(role, key, *, needs_edit=False):
    """Expected status of a page about one fixture elder."""
    if role in NO_REGISTRY:
        return 403
    if key not in VISIBLE[role]:
        return 404
    if needs_edit and role not in EDITORS:
        return 403
    return 200


@pytest.fixture
def as_role(client, personas):
    def login(role):
        client.force_login(personas[role])
        return client

    return login


@pytest.mark.parametrize("role", ALL_ROLES)
def test_home_never_fails(as_role, world, role):
    response = as_role(role).get(reverse("console:home"))
    assert response.status_code == 200


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list_and_export(as_role, world, role):
    c = as_role(role)
    listing = c.get(reverse("console:elder_list"))
    assert listing.status_code == (403 if role in NO_REGISTRY else 200)
    if listing.status_code == 200:
        html = listing.content.decode()
        for key, elder in world.items():
            assert (elder.name in html) == (key in VISIBLE[role]), key
            assert elder.id_number not in html
    assert c.get(reverse("console:elder_export")).status_code == (200 if role in EXPORTERS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_record_pages(as_role, world, role):
    c = as_role(role)
    for key, elder in world.items():
        assert c.get(reverse("console:elder_detail", args=[elder.pk])).status_code == status_for(role, key), key
        assert c.get(reverse("console:elder_edit", args=[elder.pk])).status_code == status_for(role, key, needs_edit=True), key


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reveal_id(as_role, world, role):
    elder = world["own"]
    response = as_role(role).post(reverse("console:elder_reveal_id", args=[elder.pk]))
    assert response.status_code == status_for(role, "own", needs_edit=True)
    assert (elder.id_number in response.content.decode()) == (response.status_code == 200)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_small_forms_change_nothing_for_those_who_may_not(as_role, world, role):
    c = as_role(role)
    for key, elder in world.items():
        before = ElderGroup.objects.filter(elder=elder).count()
        group = c.post(reverse("console:elder_group_add", args=[elder.pk]), {"group": "tekun", "valid_from": "2025-01-01"})
        status = c.post(
            reverse("console:elder_status", args=[elder.pk]),
            {"status": ElderStatus.MOVED_OUT, "on": "2025-01-01", "status_date": "2025-01-01"},
        )
        contact = c.post(
            reverse("console:elder_contact_add", args=[elder.pk]), {"name": "某人", "relation": "child", "phone": "13800009999"}
        )
        consent = c.post(
            reverse("console:elder_consent_add", args=[elder.pk]), {"kind": "data_sharing", "granted": "on", "signed_by": "某人"}
        )
        expected = status_for(role, key, needs_edit=True)
        for response in (group, status, contact, consent):
            if expected == 200:
                assert response.status_code in (200, 302), key  # saved (redirect) or form re-shown
            else:
                assert response.status_code == expected, key
        elder.refresh_from_db()
        if expected != 200:
            assert ElderGroup.objects.filter(elder=elder).count() == before
            assert elder.status == ElderStatus.ACTIVE
            assert not elder.contacts.filter(name="某人").exists()
            assert not elder.consents.exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_create_and_import_pages(as_role, world, role):
    c = as_role(role)
    expected = 200 if role in EDITORS else 403
    assert c.get(reverse("console:elder_create")).status_code == expected
    assert c.get(reverse("console:elder_import")).status_code == expected


@pytest.mark.parametrize("role", ALL_ROLES)
def test_region_pages(as_role, city, world, role):
    c = as_role(role)
    far = c.get(reverse("console:regions", kwargs={"code": city.county_b.code}))
    if role not in REGION_VIEWERS:
        assert far.status_code == 403
        assert c.get(reverse("console:regions")).status_code == 403
        return
    assert far.status_code == (200 if role in {Role.SYSTEM_ADMIN, Role.CIVIL_CITY} else 403)
    assert c.get(reverse("console:regions")).status_code in (200, 302)


def test_anonymous_is_sent_to_login_from_every_page(client, world):
    elder = world["own"]
    for url in (
        reverse("console:home"),
        reverse("console:elder_list"),
        reverse("console:elder_export"),
        reverse("console:elder_create"),
        reverse("console:elder_import"),
        reverse("console:elder_detail", args=[elder.pk]),
        reverse("console:elder_edit", args=[elder.pk]),
        reverse("console:regions"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
