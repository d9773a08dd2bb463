"""Home page, region browser, login, language switch, refusals."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eldercare.accounts.roles import Role
from eldercare.elders.models import DisabilityLevel, LivingStatus, PriorityGroup
from eldercare.regions.models import Level
from eldercare.tests.builders import PASSWORD, ElderFactory, RegionFactory, UserFactory, add_group

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("console:elder_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_and_login(client, street_officer):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "qingbo", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")


def test_logout_is_a_post(officer_client):
    response = officer_client.post(reverse("logout"))
    assert response.status_code == 302
    assert officer_client.get(reverse("console:home")).status_code == 302


def test_home_shows_user_and_counts(officer_client, tree, elder, far_elder):
    ElderFactory(residence=tree.community_b, living_status=LivingStatus.ALONE, birth=dt.date(1940, 2, 3))
    add_group(elder, PriorityGroup.DISABLED, DisabilityLevel.SEVERE)
    response = officer_client.get(reverse("console:home"))
    assert response.status_code == 200
    assert response.context["counts"] == {"total": 2, "age_80_plus": 2, "alone": 1, "disabled": 1}
    html = response.content.decode()
    assert "陈清波" in html and "清波街道" in html and "街道（乡镇）民政" in html


def test_caregiver_gets_a_friendly_page_not_a_crash(client, caregiver):
    client.force_login(caregiver)
    response = client.get(reverse("console:home"))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "console/no_registry.html"
    assert "counts" not in response.context
    html = response.content.decode()
    assert reverse("console:elder_list") not in html  # no registry link in the menu


def test_caregiver_is_refused_the_registry_with_a_page(client, caregiver):
    client.force_login(caregiver)
    response = client.get(reverse("console:elder_list"))
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]


def test_regions_redirects_to_own_region(officer_client, tree):
    response = officer_client.get(reverse("console:regions"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:regions", args=[tree.street.code])


def test_region_page_counts_children_in_one_query(officer_client, tree, elder):
    ElderFactory(residence=tree.community)
    ElderFactory(residence=tree.community_b)
    response = officer_client.get(reverse("console:regions", args=[tree.street.code]))
    assert response.status_code == 200
    assert [(child.code, n) for child, n in response.context["rows"]] == [(tree.community.code, 2), (tree.community_b.code, 1)]
    assert response.context["total"] == 3
    # Breadcrumb: only ancestors in scope (a street officer does not open the county).
    assert response.context["breadcrumb"] == []
    html = response.content.decode()
    assert f"?region={tree.community.code}" in html

    with CaptureQueriesContext(connection) as few:
        officer_client.get(reverse("console:regions", args=[tree.street.code]))
    for n in range(3, 12):
        community = RegionFactory(code=f"330102001{n:03d}", name=f"社区{n}", level=Level.COMMUNITY, parent=tree.street)
        ElderFactory(residence=community)
    with CaptureQueriesContext(connection) as many:
        response = officer_client.get(reverse("console:regions", args=[tree.street.code]))
    assert len(response.context["rows"]) == 11
    assert len(many) == len(few)


def test_county_officer_sees_breadcrumb_and_leaf(client, tree, elder):
    county = UserFactory(role=Role.CIVIL_COUNTY, region=tree.county)
    client.force_login(county)
    response = client.get(reverse("console:regions", args=[tree.community.code]))
    assert response.status_code == 200
    assert [r.code for r in response.context["breadcrumb"]] == [tree.county.code, tree.street.code]
    assert response.context["rows"] == []
    assert response.context["total"] == 1


def test_region_outside_scope_is_refused(officer_client, tree):
    assert officer_client.get(reverse("console:regions", args=[tree.street2.code])).status_code == 403


def test_language_switch_to_english(officer_client):
    zh = officer_client.get(reverse("console:home")).content.decode()
    assert "在册老人" in zh and "退出登录" in zh
    response = officer_client.post(reverse("set_language"), {"language": "en", "next": reverse("console:home")})
    assert response.status_code == 302
    en = officer_client.get(reverse("console:home")).content.decode()
    assert "Registered elders" in en and "Log out" in en
    assert "Street civil affairs" in en  # role labels translated too
