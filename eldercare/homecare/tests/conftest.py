import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.elders import idnumber
from eldercare.entitlements.models import IssuanceRun
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.homecare.catalog import catalog_sync
from eldercare.homecare.models import Caregiver, GuidePrice, ServiceItem
from eldercare.providers.models import Provider, ServiceArea
from eldercare.tests import builders as testing

HOME = (Decimal("30.250000"), Decimal("120.160000"))  # 清波社区


def code(first17: str) -> str:
    from eldercare.providers.creditcode import check_character

    return first17 + check_character(first17)


def caregiver_for(
    provider, name: str, user=None, *, level=4, categories=("clean", "bath", "life_care", "medical"), expires=None, at=HOME, seq=1
):
    number = idnumber.build("330102", dt.date(1975, 3, seq % 28 + 1), seq)
    return Caregiver.objects.create(
        provider=provider,
        user=user,
        name=name,
        id_number=number,
        id_hash=f"hash-{number}",
        id_masked=idnumber.mask(number),
        level=level,
        certificate_number=f"YL{seq:06d}",
        certificate_expires=expires or dt.date(2030, 12, 31),
        categories=list(categories),
        latitude=at[0],
        longitude=at[1],
    )


@pytest.fixture
def svc(city, personas):
    """A provider serving 上城区 with an admin and two caregivers (the CAREGIVER persona is 张护理);
    guide prices for the city; an elder of 85 in 清波社区 with this month's 3 free hours; the ELDER
    persona is that elder."""
    catalog_sync()
    t = SimpleNamespace()
    t.items = {i.code: i for i in ServiceItem.objects.all()}
    t.provider = Provider.objects.create(name="清波居家养老服务中心", credit_code=code("52330102MJ0000001"), region=city.county)
    t.provider.admins.add(personas[Role.PROVIDER_ADMIN])
    ServiceArea.objects.create(provider=t.provider, region=city.county)
    t.zhang = caregiver_for(t.provider, "张护理", personas[Role.CAREGIVER], seq=1)
    t.li = caregiver_for(t.provider, "李护理", testing.user("carer-li", Role.CAREGIVER), seq=2)
    t.other_provider = Provider.objects.create(name="拱墅助老服务社", credit_code=code("52330105MJ0000002"), region=city.county_b)
    ServiceArea.objects.create(provider=t.other_provider, region=city.county_b)
    t.far_carer = caregiver_for(t.other_provider, "王护理", testing.user("carer-wang", Role.CAREGIVER), seq=3)
    officer = personas[Role.CIVIL_CITY]
    for item, price in (("clean_home", 40_00), ("bath_home", 80_00), ("life_care", 36_00)):
        GuidePrice.objects.create(
            item=t.items[item],
            region=city.city,
            price=price,
            valid_from=dt.date(2025, 1, 1),
            document="杭州市居家养老服务指导价（测试）",
            set_by=officer,
        )
    today = timezone.localdate()
    t.elder = testing.elder(
        residence=city.community,
        birth=today.replace(year=today.year - 85, day=1) - dt.timedelta(days=40),
        hukou_region=city.community,
        latitude=HOME[0],
        longitude=HOME[1],
        name="王秀英",
    )
    t.elder.user = personas[Role.ELDER]
    t.elder.save()
    issuance_execute(run_id=IssuanceRun.objects.create(region=city.city, month=today.replace(day=1)).pk)
    t.now = timezone.now()
    return t
