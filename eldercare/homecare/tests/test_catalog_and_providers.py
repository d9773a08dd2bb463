"""Guide prices and caregivers: who sets them, and the checks on what they set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eldercare.accounts.roles import Role
from eldercare.elders import idnumber
from eldercare.homecare.catalog import catalog_items
from eldercare.homecare.models import Caregiver, ServiceItem
from eldercare.homecare.services.caregivers import caregiver_register
from eldercare.homecare.services.prices import guide_price_set, price_for

from .conftest import HOME

R = Role


def test_the_catalogue_is_data_with_the_six_helps(db):
    items = catalog_items()
    assert {i["category"] for i in items} >= {"meal", "bath", "clean", "mobility", "medical", "emergency"}
    assert ServiceItem.objects.filter(active=True).count() == len(items)  # synced by migrate


def test_guide_prices_by_region_and_date(svc, personas, city):
    item = svc.items["clean_home"]
    jan = dt.date(2026, 1, 1)
    city_price = price_for(item, city.community.code, jan)
    assert city_price is not None and city_price.price == 40_00  # the city's
    county = guide_price_set(
        actor=personas[R.CIVIL_COUNTY], item=item, region=city.county, price=45_00, valid_from=jan, document="上城区民政局通知"
    )
    assert price_for(item, city.community.code, jan) == county  # the most specific region wins
    far_price = price_for(item, city.community_far.code, jan)
    assert far_price is not None and far_price.price == 40_00  # 拱墅区 keeps the city's
    later = guide_price_set(
        actor=personas[R.CIVIL_COUNTY], item=item, region=city.county, price=48_00, valid_from=dt.date(2026, 7, 1), document="调价通知"
    )
    county.refresh_from_db()
    assert county.valid_to == dt.date(2026, 6, 30)
    assert price_for(item, city.community.code, dt.date(2026, 6, 30)) == county
    assert price_for(item, city.community.code, dt.date(2026, 7, 1)) == later
    with pytest.raises(ValidationError):
        guide_price_set(actor=personas[R.CIVIL_COUNTY], item=item, region=city.county, price=50_00, valid_from=jan, document=" ")
    with pytest.raises(PermissionDenied):
        guide_price_set(actor=personas[R.CIVIL_STREET], item=item, region=city.street, price=50_00, valid_from=jan, document="x")
    with pytest.raises(PermissionDenied):
        guide_price_set(actor=personas[R.CIVIL_COUNTY], item=item, region=city.county_b, price=50_00, valid_from=jan, document="x")


def test_a_provider_registers_its_own_caregivers(svc, personas):
    admin = personas[R.PROVIDER_ADMIN]
    number = idnumber.build("330102", dt.date(1980, 4, 5), 31)
    carer = caregiver_register(
        actor=admin, provider=svc.provider, name="周护理", id_number=number, latitude=HOME[0], longitude=HOME[1], categories=["clean", "meal"],
        level=4, certificate_number="YL-1", certificate_expires=dt.date(2028, 1, 1),
    )  # fmt: skip
    assert (carer.id_masked, carer.categories) == (idnumber.mask(number), ["clean", "meal"])
    assert Caregiver.objects.get(pk=carer.pk).id_number == number  # encrypted at rest, read back whole
    with pytest.raises(ValidationError):
        caregiver_register(
            actor=admin, provider=svc.provider, name="周护理", id_number=number, latitude=HOME[0], longitude=HOME[1], categories=["clean"]
        )
    with pytest.raises(ValidationError):
        caregiver_register(
            actor=admin,
            provider=svc.provider,
            name="错号",
            id_number=number[:17] + "0" if number[17] != "0" else number[:17] + "1",
            latitude=HOME[0],
            longitude=HOME[1],
            categories=["clean"],
        )
    with pytest.raises(PermissionDenied):
        caregiver_register(
            actor=admin,
            provider=svc.other_provider,
            name="他人",
            id_number=idnumber.build("330102", dt.date(1981, 1, 1), 33),
            latitude=HOME[0],
            longitude=HOME[1],
            categories=["clean"],
        )


def test_a_supervisor_resolves_a_flag(svc, personas):
    from eldercare.homecare.models import FraudFlag

    from .test_orders import delivered

    order = delivered(svc, personas, minutes=5)
    flag = FraudFlag.objects.get(order=order)
    from eldercare.homecare.services.orders import flag_resolve

    with pytest.raises(PermissionDenied):
        flag_resolve(actor=personas[R.CAREGIVER], flag=flag, resolution="我说没问题")
    flag_resolve(actor=personas[R.CIVIL_STREET], flag=flag, resolution="电话回访老人，服务属实：老人临时外出")
    flag.refresh_from_db()
    assert (flag.resolved_by, flag.resolution[:4]) == (personas[R.CIVIL_STREET], "电话回访")
