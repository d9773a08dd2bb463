"""The officer's journey through providers in the console: list, register, the provider's page
(areas, caregivers, suspend and reinstate), guide prices and fraud flags; who may and who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from eldercare.accounts.roles import Role
from eldercare.elders import idnumber
from eldercare.homecare.models import Caregiver, FraudFlag, GuidePrice, OrderStatus
from eldercare.homecare.services import orders as o
from eldercare.homecare.tests.conftest import caregiver_for, code
from eldercare.homecare.tests.conftest import svc as svc  # noqa: F401  # the shared home-care fixture
from eldercare.homecare.tests.test_orders import delivered, request
from eldercare.providers.models import Provider, ProviderStatus, ServiceArea
from eldercare.tests import builders as testing

R = Role


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def county_b_officer(city):
    """The officer of 拱墅区, where the other provider is registered."""
    return testing.user("gongshu", R.CIVIL_COUNTY, city.county_b)


# ---------------------------------------------------------------- the list


def test_each_sees_the_providers_of_their_own(svc, personas, as_user, county_b_officer):
    url = reverse("console:provider_list")
    page = as_user(personas[R.CIVIL_COUNTY]).get(url).content.decode()
    assert svc.provider.name in page and svc.other_provider.name not in page
    page = as_user(personas[R.CIVIL_CITY]).get(url).content.decode()
    assert svc.provider.name in page and svc.other_provider.name in page
    page = as_user(county_b_officer).get(url).content.decode()
    assert svc.provider.name not in page and svc.other_provider.name in page
    page = as_user(personas[R.PROVIDER_ADMIN]).get(url).content.decode()
    assert svc.provider.name in page and svc.other_provider.name not in page
    assert "登记服务商" not in page  # a provider's admin does not register providers


@pytest.mark.parametrize("role", [R.CIVIL_STREET, R.CAREGIVER, R.ELDER, R.FAMILY, R.COMMUNITY_WORKER, R.CENTER_OPERATOR])
def test_roles_that_neither_keep_nor_run_providers_are_refused(svc, personas, as_user, role):
    c = as_user(personas[role])
    assert c.get(reverse("console:provider_list")).status_code == 403
    assert c.get(reverse("console:provider_detail", args=[svc.provider.pk])).status_code == 403
    assert c.get(reverse("console:provider_create")).status_code == 403
    assert c.get(reverse("console:price_list")).status_code == 403


def test_the_list_filters_by_status_and_name_and_pages(svc, personas, as_user, city):
    for n in range(55):
        Provider.objects.create(name=f"测试服务社{n:02d}", credit_code=code(f"52330102MK{n:07d}"), region=city.county)
    c = as_user(personas[R.CIVIL_COUNTY])
    first = c.get(reverse("console:provider_list")).content.decode()
    assert 'rel="next"' in first
    Provider.objects.filter(name="测试服务社07").update(status=ProviderStatus.SUSPENDED)
    suspended = c.get(reverse("console:provider_list"), {"status": "suspended"}).content.decode()
    assert "测试服务社07" in suspended and "测试服务社08" not in suspended
    named = c.get(reverse("console:provider_list"), {"q": "清波"}).content.decode()
    assert svc.provider.name in named and "测试服务社00" not in named


# ---------------------------------------------------------------- registering


def test_an_officer_registers_a_provider(svc, personas, as_user, city):
    c = as_user(personas[R.CIVIL_COUNTY])
    form = c.get(reverse("console:provider_create")).content.decode()
    assert city.street.code in form and city.county_b.code not in form  # regions of the officer's scope only
    credit = code("52330102MJ7777777")
    response = c.post(
        reverse("console:provider_create"),
        {"name": "湖滨助老服务社", "credit_code": credit.lower(), "region": city.street.code, "licence": "备-1"},
    )
    provider = Provider.objects.get(credit_code=credit)
    assert response.status_code == 302 and response["Location"] == reverse("console:provider_detail", args=[provider.pk])
    assert (provider.name, provider.region_id, provider.status) == ("湖滨助老服务社", city.street.code, ProviderStatus.ACTIVE)
    again = c.post(reverse("console:provider_create"), {"name": "重复", "credit_code": credit, "region": city.street.code})
    assert again.status_code == 200 and "已登记" in again.content.decode()


def test_registering_refuses_a_bad_code_and_a_region_out_of_scope(svc, personas, as_user, city):
    c = as_user(personas[R.CIVIL_COUNTY])
    good = code("52330102MJ8888888")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = c.post(reverse("console:provider_create"), {"name": "假冒", "credit_code": bad, "region": city.county.code})
    assert response.status_code == 200 and "校验" in response.content.decode()
    response = c.post(reverse("console:provider_create"), {"name": "越界", "credit_code": good, "region": city.county_b.code})
    assert response.status_code == 200 and "请从列表中选择区域" in response.content.decode()
    assert not Provider.objects.filter(name__in=["假冒", "越界"]).exists()
    assert as_user(personas[R.PROVIDER_ADMIN]).post(reverse("console:provider_create"), {"name": "自封"}).status_code == 403


# ---------------------------------------------------------------- the provider's page


def test_the_provider_page_for_its_officer_its_admin_and_others(svc, personas, as_user, county_b_officer):
    url = reverse("console:provider_detail", args=[svc.provider.pk])
    page = as_user(personas[R.CIVIL_COUNTY]).get(url).content.decode()
    assert "张护理" in page and "李护理" in page and "上城区" in page
    assert 'value="suspend"' in page and 'value="area_add"' in page
    own = as_user(personas[R.PROVIDER_ADMIN]).get(url).content.decode()
    assert "张护理" in own and 'value="suspend"' not in own and 'value="area_remove"' not in own
    assert as_user(county_b_officer).get(url).status_code == 404
    other = reverse("console:provider_detail", args=[svc.other_provider.pk])
    assert as_user(personas[R.PROVIDER_ADMIN]).get(other).status_code == 404
    assert as_user(personas[R.CIVIL_COUNTY]).get(other).status_code == 404


def test_areas_are_added_and_removed(svc, personas, as_user, city):
    c = as_user(personas[R.CIVIL_COUNTY])
    act = reverse("console:provider_act", args=[svc.provider.pk])
    assert c.post(act, {"action": "area_add", "region": city.street2.code}).status_code == 302
    assert ServiceArea.objects.filter(provider=svc.provider, region=city.street2).exists()
    refused = c.post(act, {"action": "area_add", "region": city.county_b.code})
    assert refused.status_code == 200 and "请从列表中选择区域" in refused.content.decode()
    assert c.post(act, {"action": "area_remove", "region": city.street2.code}).status_code == 302
    assert not ServiceArea.objects.filter(provider=svc.provider, region=city.street2).exists()
    # A provider's admin may not change where it serves.
    admin = as_user(personas[R.PROVIDER_ADMIN])
    assert admin.post(act, {"action": "area_remove", "region": city.county.code}).status_code == 403
    assert ServiceArea.objects.filter(provider=svc.provider, region=city.county).exists()


def test_suspending_needs_a_reason_is_audited_and_stops_dispatch(svc, personas, as_user):
    matched = request(svc, personas)
    o.order_assign(actor=personas[R.CENTER_OPERATOR], order=matched, caregiver=svc.zhang)
    c = as_user(personas[R.CIVIL_COUNTY])
    act = reverse("console:provider_act", args=[svc.provider.pk])
    blank = c.post(act, {"action": "suspend", "reason": "  "})
    assert blank.status_code == 200 and "请填写原因" in blank.content.decode()
    svc.provider.refresh_from_db()
    assert svc.provider.status == ProviderStatus.ACTIVE
    assert c.post(act, {"action": "suspend", "reason": "消防检查不合格"}).status_code == 302
    svc.provider.refresh_from_db()
    assert svc.provider.status == ProviderStatus.SUSPENDED
    entry = LogEntry.objects.filter(object_pk=str(svc.provider.pk), additional_data__action="suspend").get()
    assert entry.actor == personas[R.CIVIL_COUNTY] and entry.additional_data["reason"] == "消防检查不合格"
    page = c.get(reverse("console:provider_detail", args=[svc.provider.pk])).content.decode()
    assert "消防检查不合格" in page and 'value="reinstate"' in page and 'value="suspend"' not in page

    # No new dispatch: neither the order matched before nor a new one assigned to its caregivers.
    operator = as_user(personas[R.CENTER_OPERATOR])
    refused = operator.post(reverse("console:order_act", args=[matched.pk]), {"action": "dispatch"})
    assert refused.status_code == 200 and "不能接单" in refused.content.decode()
    matched.refresh_from_db()
    assert matched.status == OrderStatus.MATCHED
    fresh = request(svc, personas)
    refused = operator.post(reverse("console:order_act", args=[fresh.pk]), {"action": "assign", "caregiver": svc.li.pk, "note": ""})
    assert refused.status_code == 200 and "不能接单" in refused.content.decode()
    fresh.refresh_from_db()
    assert fresh.status == OrderStatus.REQUESTED

    # Reinstated, its caregivers are dispatched again.
    c = as_user(personas[R.CIVIL_COUNTY])
    assert c.post(act, {"action": "suspend", "reason": "再次"}).status_code == 302  # stale page: back with a message
    assert c.post(act, {"action": "reinstate", "reason": "整改完成"}).status_code == 302
    svc.provider.refresh_from_db()
    assert svc.provider.status == ProviderStatus.ACTIVE
    assert o.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=matched).status == OrderStatus.DISPATCHED


def test_suspending_is_refused_to_a_provider_admin_and_another_region(svc, personas, as_user, county_b_officer):
    act = reverse("console:provider_act", args=[svc.provider.pk])
    assert as_user(personas[R.PROVIDER_ADMIN]).post(act, {"action": "suspend", "reason": "自停"}).status_code == 403
    assert as_user(county_b_officer).post(act, {"action": "suspend", "reason": "越权"}).status_code == 404
    svc.provider.refresh_from_db()
    assert svc.provider.status == ProviderStatus.ACTIVE


# ---------------------------------------------------------------- caregivers


def _caregiver_post(name: str, seq: int, **extra) -> dict:
    return {
        "name": name,
        "id_number": idnumber.build("330102", dt.date(1980, 5, 6), seq),
        "level": "4",
        "certificate_number": "YL-99",
        "certificate_expires": "2029-12-31",
        "categories": ["clean", "bath"],
        "latitude": "30.250000",
        "longitude": "120.160000",
        "weekdays": ["1", "2", "3"],
        "shift1_start": "08:00",
        "shift1_end": "12:00",
        "shift2_start": "",
        "shift2_end": "",
        **extra,
    }


@pytest.mark.parametrize("role", [R.CIVIL_COUNTY, R.PROVIDER_ADMIN])
def test_caregivers_are_registered_by_the_officer_or_the_providers_admin(svc, personas, as_user, role):
    c = as_user(personas[role])
    url = reverse("console:caregiver_create", args=[svc.provider.pk])
    assert c.get(url).status_code == 200
    response = c.post(url, _caregiver_post("周护理", 41))
    assert response.status_code == 302
    carer = Caregiver.objects.get(name="周护理")
    assert (carer.provider, carer.level, carer.categories) == (svc.provider, 4, ["bath", "clean"])
    assert carer.hours == {"1": [["08:00", "12:00"]], "2": [["08:00", "12:00"]], "3": [["08:00", "12:00"]]}
    listing = c.get(reverse("console:provider_caregivers", args=[svc.provider.pk])).content.decode()
    assert "周护理" in listing and carer.id_masked in listing and carer.id_number not in listing


def test_a_caregiver_form_with_errors_comes_back(svc, personas, as_user):
    c = as_user(personas[R.PROVIDER_ADMIN])
    url = reverse("console:caregiver_create", args=[svc.provider.pk])
    bad = _caregiver_post("错号", 42)
    bad["id_number"] = bad["id_number"][:17] + ("0" if bad["id_number"][17] != "0" else "1")
    assert c.post(url, bad).status_code == 200
    shift = c.post(url, _caregiver_post("倒班", 43, shift1_end="07:00"))
    assert shift.status_code == 200 and "下班时间须晚于上班时间" in shift.content.decode()
    assert c.post(url, _caregiver_post("首次", 44)).status_code == 302
    dup = c.post(url, _caregiver_post("重复", 44))
    assert dup.status_code == 200 and "alert-error" in dup.content.decode()
    assert not Caregiver.objects.filter(name__in=["错号", "倒班", "重复"]).exists()


def test_caregivers_of_another_provider_are_out_of_reach(svc, personas, as_user, city):
    other = reverse("console:caregiver_create", args=[svc.other_provider.pk])
    assert as_user(personas[R.PROVIDER_ADMIN]).post(other, _caregiver_post("他人", 45)).status_code == 404
    assert as_user(personas[R.CIVIL_COUNTY]).get(other).status_code == 404
    assert as_user(personas[R.CIVIL_STREET]).get(reverse("console:caregiver_create", args=[svc.provider.pk])).status_code == 403
    assert not Caregiver.objects.filter(name="他人").exists()


def _edit_post(carer, **extra) -> dict:
    """The edit form as shown for `carer`, changed by `extra`."""
    return {
        "name": carer.name, "phone": carer.phone, "level": str(carer.level or ""), "certificate_number": carer.certificate_number,
        "certificate_expires": carer.certificate_expires.isoformat() if carer.certificate_expires else "",
        "categories": carer.categories, "latitude": str(carer.latitude), "longitude": str(carer.longitude),
        "active": "on" if carer.active else "", "user": carer.user_id or "",
        # The hours as the form shows them: the days worked, the first such day's shifts.
        "weekdays": sorted(day for day, spans in carer.hours.items() if spans),
        **{f"shift{n}_{end}": "" for n in (1, 2) for end in ("start", "end")},
        **{f"shift{n}_{end}": span[k] for n, span in enumerate(next((v for v in carer.hours.values() if v), []), 1) for k, end in enumerate(("start", "end"))},
        **extra,
    }  # fmt: skip


def test_the_providers_admin_links_a_login_and_takes_a_caregiver_off_duty(svc, personas, as_user, city):
    admin = as_user(personas[R.PROVIDER_ADMIN])
    carer = caregiver_for(svc.provider, "孙护理", seq=9)
    Caregiver.objects.filter(pk=carer.pk).update(hours={"1": [["07:00", "15:00"]], "3": [["10:00", "20:00"]]})
    carer.refresh_from_db()
    free = testing.user("sun-login", R.CAREGIVER, city.street)
    testing.user("far-login", R.CAREGIVER, city.street_b)  # 拱墅区: where the provider neither is nor serves
    testing.user("inactive-login", R.CAREGIVER, city.street, is_active=False)
    testing.user("officer-login", R.CIVIL_STREET, city.street)  # not a caregiver's role
    url = reverse("console:caregiver_edit", args=[svc.provider.pk, carer.pk])
    form = admin.get(url).content.decode()
    assert "sun-login" in form and carer.id_masked in form
    for not_offered in ("far-login", "inactive-login", "officer-login", personas[R.CAREGIVER].username):
        assert f">{not_offered}" not in form, not_offered  # 张护理's login is taken
    response = admin.post(url, _edit_post(carer, user=free.pk, phone="13700002222", categories=["clean", "meal"]))
    assert response.status_code == 302
    carer.refresh_from_db()
    assert (carer.user, carer.phone, carer.categories, carer.active) == (free, "13700002222", ["clean", "meal"], True)
    assert carer.hours == {"1": [["07:00", "15:00"]], "3": [["10:00", "20:00"]]}  # hours untouched stay as they were
    assert admin.post(url, _edit_post(carer, active="")).status_code == 302
    carer.refresh_from_db()
    assert carer.active is False and carer.user == free
    assert LogEntry.objects.get_for_object(carer).filter(actor=personas[R.PROVIDER_ADMIN]).count() == 2
    listing = admin.get(reverse("console:provider_caregivers", args=[svc.provider.pk])).content.decode()
    assert "sun-login" in listing and url in listing
    # New hours replace the old ones.
    assert admin.post(url, _edit_post(carer, weekdays=["2"], shift1_start="09:00", shift1_end="11:00")).status_code == 302
    carer.refresh_from_db()
    assert carer.hours == {"2": [["09:00", "11:00"]]}


def test_a_login_taken_or_out_of_reach_is_refused(svc, personas, as_user, city):
    admin = as_user(personas[R.PROVIDER_ADMIN])
    url = reverse("console:caregiver_edit", args=[svc.provider.pk, svc.li.pk])
    far = testing.user("far-login", R.CAREGIVER, city.street_b)
    for user in (personas[R.CAREGIVER], far):  # 张护理's, and one of another county
        response = admin.post(url, _edit_post(svc.li, user=user.pk))
        assert response.status_code == 200 and "has-error" in response.content.decode()
    svc.li.refresh_from_db()
    assert svc.li.user.username == "carer-li"
    assert admin.post(url, _edit_post(svc.li, user="")).status_code == 302  # unlinked
    svc.li.refresh_from_db()
    assert svc.li.user is None


def test_editing_caregivers_is_for_their_provider_and_its_officers(svc, personas, as_user, county_b_officer):
    mine = reverse("console:caregiver_edit", args=[svc.provider.pk, svc.zhang.pk])
    assert as_user(personas[R.CIVIL_COUNTY]).get(mine).status_code == 200
    assert as_user(county_b_officer).get(mine).status_code == 404
    assert as_user(personas[R.CIVIL_STREET]).get(mine).status_code == 403
    assert as_user(personas[R.CAREGIVER]).get(mine).status_code == 403
    admin = as_user(personas[R.PROVIDER_ADMIN])
    assert admin.get(reverse("console:caregiver_edit", args=[svc.other_provider.pk, svc.far_carer.pk])).status_code == 404
    # Another provider's caregiver under this provider's address: not found either.
    assert (
        admin.post(reverse("console:caregiver_edit", args=[svc.provider.pk, svc.far_carer.pk]), _edit_post(svc.far_carer)).status_code
        == 404
    )
    svc.far_carer.refresh_from_db()
    assert svc.far_carer.active


def test_the_price_form_offers_the_communities_by_name(svc, personas, as_user, city):
    c = as_user(personas[R.CIVIL_COUNTY])
    form = c.get(reverse("console:price_create")).content.decode()
    assert f'value="{city.community.code}"' in form and "清波社区（清波街道）" in form
    data = {
        "item": svc.items["clean_home"].pk,
        "region": city.community.code,
        "price": "42.5",
        "valid_from": "2026-07-01",
        "document": "社区价",
    }
    response = c.post(reverse("console:price_create"), data, follow=True)
    assert GuidePrice.objects.get(document="社区价").region == city.community
    assert "指导价已设定：居家保洁 · 清波社区 · 42.50元" in response.content.decode()


# ---------------------------------------------------------------- guide prices


def test_the_price_list_shows_what_applies_in_the_region(svc, personas, as_user, city):
    officer = personas[R.CIVIL_COUNTY]
    GuidePrice.objects.create(
        item=svc.items["clean_home"], region=city.county_b, price=99_00, valid_from=dt.date(2025, 1, 1), document="拱墅文件", set_by=officer
    )
    GuidePrice.objects.create(
        item=svc.items["clean_home"], region=city.county, price=45_00, valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2020, 12, 31),
        document="过期文件", set_by=officer,
    )  # fmt: skip
    page = as_user(officer).get(reverse("console:price_list")).content.decode()
    assert "杭州市居家养老服务指导价（测试）" in page  # the city's prices apply in the county
    assert "拱墅文件" not in page and "过期文件" not in page


def test_an_officer_sets_a_guide_price(svc, personas, as_user, city):
    c = as_user(personas[R.CIVIL_COUNTY])
    form = c.get(reverse("console:price_create")).content.decode()
    assert city.county.code in form and city.county_b.code not in form
    data = {
        "item": svc.items["clean_home"].pk,
        "region": city.county.code,
        "price": "42.50",
        "valid_from": "2026-07-01",
        "document": "上城区调价通知",
    }
    assert c.post(reverse("console:price_create"), data).status_code == 302
    price = GuidePrice.objects.get(document="上城区调价通知")
    assert (price.price, price.region_id, price.set_by) == (42_50, city.county.code, personas[R.CIVIL_COUNTY])
    assert "上城区调价通知" in c.get(reverse("console:price_list")).content.decode()
    again = c.post(reverse("console:price_create"), data | {"document": "重复"})
    assert again.status_code == 200 and "已存在" in again.content.decode()


@pytest.mark.parametrize("price", ["0", "-1", "10000.01", "abc"])
def test_a_price_out_of_range_is_a_form_error(svc, personas, as_user, city, price):
    c = as_user(personas[R.CIVIL_COUNTY])
    data = {"item": svc.items["clean_home"].pk, "region": city.county.code, "price": price, "valid_from": "2026-07-01", "document": "文件"}
    response = c.post(reverse("console:price_create"), data)
    assert response.status_code == 200
    assert not GuidePrice.objects.filter(document="文件").exists()


def test_a_price_for_another_region_or_ending_before_it_starts_is_refused(svc, personas, as_user, city):
    c = as_user(personas[R.CIVIL_COUNTY])
    data = {"item": svc.items["clean_home"].pk, "region": city.county_b.code, "price": "40", "valid_from": "2026-07-01", "document": "越界"}
    assert c.post(reverse("console:price_create"), data).status_code == 200
    data |= {"region": city.county.code, "valid_to": "2026-06-01", "document": "倒序"}
    assert c.post(reverse("console:price_create"), data).status_code == 200
    assert not GuidePrice.objects.filter(document__in=["越界", "倒序"]).exists()


# ---------------------------------------------------------------- fraud flags


@pytest.mark.parametrize("role", [R.CIVIL_STREET, R.CENTER_OPERATOR])
def test_open_flags_are_listed_and_resolved(svc, personas, as_user, role):
    order = delivered(svc, personas, minutes=5)
    flag = FraudFlag.objects.get(order=order)
    c = as_user(personas[role])
    page = c.get(reverse("console:flag_list")).content.decode()
    assert f"#{order.pk}" in page and flag.get_kind_display() in page
    blank = c.post(reverse("console:flag_resolve", args=[flag.pk]), {"action": "resolve", "resolution": " "})
    assert blank.status_code == 200 and "请填写处理结果" in blank.content.decode()
    done = c.post(reverse("console:flag_resolve", args=[flag.pk]), {"action": "resolve", "resolution": "电话回访，服务属实"})
    assert done.status_code == 302
    flag.refresh_from_db()
    assert (flag.resolution, flag.resolved_by) == ("电话回访，服务属实", personas[role])
    assert f"#{order.pk}" not in c.get(reverse("console:flag_list")).content.decode()  # open ones only by default
    assert "电话回访，服务属实" in c.get(reverse("console:flag_list"), {"show": "resolved"}).content.decode()


def test_flags_are_out_of_reach_for_other_roles_and_regions(svc, personas, as_user, county_b_officer):
    order = delivered(svc, personas, minutes=5)
    flag = FraudFlag.objects.get(order=order)
    assert as_user(personas[R.PROVIDER_ADMIN]).get(reverse("console:flag_list")).status_code == 403
    assert as_user(personas[R.CAREGIVER]).post(reverse("console:flag_resolve", args=[flag.pk]), {"resolution": "x"}).status_code == 403
    assert f"#{order.pk}" not in as_user(county_b_officer).get(reverse("console:flag_list")).content.decode()
    assert as_user(county_b_officer).post(reverse("console:flag_resolve", args=[flag.pk]), {"resolution": "x"}).status_code == 404
    flag.refresh_from_db()
    assert flag.resolved_by is None


def test_list_pages_query_the_same_however_many_rows(svc, personas, as_user, city, django_assert_max_num_queries):
    """No query per row: the providers, caregivers, prices and flags pages with a full page of rows."""
    c = as_user(personas[R.CIVIL_COUNTY])
    for n in range(60):
        Provider.objects.create(name=f"测试服务社{n:02d}", credit_code=code(f"52330102MK{n:07d}"), region=city.county)
    for seq in range(10, 40):
        caregiver_for(svc.provider, f"护理员{seq}", seq=seq)
    for page in ("console:provider_list", "console:price_list"):
        with django_assert_max_num_queries(12):
            assert c.get(reverse(page)).status_code == 200
    with django_assert_max_num_queries(12):
        assert c.get(reverse("console:provider_caregivers", args=[svc.provider.pk])).status_code == 200
    for _ in range(3):
        delivered(svc, personas, minutes=5)
    street = as_user(personas[R.CIVIL_STREET])
    with django_assert_max_num_queries(12):
        assert street.get(reverse("console:flag_list")).status_code == 200
