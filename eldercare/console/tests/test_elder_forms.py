"""Registering and editing a record through the forms."""

import datetime as dt

import pytest
from django.urls import reverse

from eldercare.elders import idnumber
from eldercare.elders.models import Elder, LivingStatus

pytestmark = pytest.mark.django_db
NEW = reverse("console:elder_create")


def valid_number(birth=dt.date(1948, 3, 9), seq=123) -> str:
    return idnumber.build("330102", birth, seq)


def form_data(tree, **overrides) -> dict:
    data = {
        "name": "张秀英",
        "id_number": valid_number(),
        "residence": tree.community.code,
        "living_status": LivingStatus.ALONE,
        "phone": "13800009999",
        "address": "清波街1号",
    }
    data.update(overrides)
    return data


def test_form_offers_only_communities_in_scope(officer_client, tree):
    response = officer_client.get(NEW)
    assert response.status_code == 200
    choices = [code for code, _ in response.context["form"].fields["residence"].choices if code]
    assert choices == [tree.community.code, tree.community_b.code]


def test_create(officer_client, tree):
    response = officer_client.post(NEW, form_data(tree))
    elder = Elder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:elder_detail", args=[elder.pk])
    assert elder.birth_date == dt.date(1948, 3, 9) and elder.sex == "M" and elder.living_status == LivingStatus.ALONE


def test_invalid_check_digit_is_shown_and_nothing_saved(officer_client, tree):
    number = valid_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = officer_client.post(NEW, form_data(tree, id_number=wrong))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["id_number"][0].startswith("校验码错误")
    html = response.content.decode()
    assert "校验码错误" in html and "wrong check character" in html
    assert Elder.objects.count() == 0


def test_other_service_errors_land_on_their_fields(officer_client, tree):
    response = officer_client.post(NEW, form_data(tree, birth_date="1948-03-10", phone="123"))
    form = response.context["form"]
    assert "birth_date" in form.errors
    response = officer_client.post(NEW, form_data(tree, id_number=valid_number(dt.date(1990, 1, 1))))
    assert "未满60周岁" in response.context["form"].errors["id_number"][0]
    assert Elder.objects.count() == 0


def test_duplicate_id_number(officer_client, tree, elder):
    response = officer_client.post(NEW, form_data(tree, id_number=elder.id_number))
    assert "已建档" in response.context["form"].errors["id_number"][0]


def test_roles_that_may_not_edit_are_refused(client, advisor):
    client.force_login(advisor)
    assert client.get(NEW).status_code == 403


def test_edit_changes_only_what_changed(officer_client, tree, elder):
    url = reverse("console:elder_edit", args=[elder.pk])
    page = officer_client.get(url)
    assert page.status_code == 200
    initial = page.context["form"].initial
    data = {key: ("" if value is None else value) for key, value in initial.items()}
    data.update(living_status=LivingStatus.EMPTY_NEST, residence=tree.community_b.code)
    response = officer_client.post(url, data)
    assert response.status_code == 302
    elder.refresh_from_db()
    assert elder.living_status == LivingStatus.EMPTY_NEST and elder.residence_id == tree.community_b.code
    assert elder.phone == "13800001234"


def test_edit_outside_scope_is_404(client, other_officer, elder):
    client.force_login(other_officer)
    assert client.get(reverse("console:elder_edit", args=[elder.pk])).status_code == 404


def test_edit_error_is_shown(officer_client, elder):
    url = reverse("console:elder_edit", args=[elder.pk])
    data = {key: ("" if value is None else value) for key, value in officer_client.get(url).context["form"].initial.items()}
    data.update(living_status=LivingStatus.ALONE, phone="12345")
    response = officer_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    elder.refresh_from_db()
    assert elder.living_status != LivingStatus.ALONE  # nothing saved


def test_many_communities_turn_the_select_into_a_code_field(officer_client, tree, monkeypatch):
    monkeypatch.setattr("eldercare.accounts.selectors.COMMUNITY_SELECT_LIMIT", 1)
    page = officer_client.get(NEW)
    assert 'name="residence" maxlength="12"' in page.content.decode().replace('type="text" ', "")
    response = officer_client.post(NEW, form_data(tree, residence=tree.community2.code))  # another street's community
    assert "不在您的管辖范围内" in response.context["form"].errors["residence"][0]
    response = officer_client.post(NEW, form_data(tree, residence="3301020010"))
    assert "residence" in response.context["form"].errors
    response = officer_client.post(NEW, form_data(tree, residence=tree.community_b.code))
    assert response.status_code == 302
    assert Elder.objects.get().residence == tree.community_b
