import datetime as dt

import pytest
from django.utils import timezone

from eldercare.devices.models import Device
from eldercare.elders.models import Contact, LivingStatus, Relation
from eldercare.tests import builders as testing


@pytest.fixture
def home(city, personas):
    """王秀英, living alone in 清波社区, with a call button, a water meter and two emergency contacts."""
    elder = testing.elder(residence=city.community, name="王秀英", living_status=LivingStatus.ALONE)
    Contact.objects.create(elder=elder, name="王小明", relation=Relation.CHILD, phone="13800001111", phone_masked="138****1111", priority=1)
    Contact.objects.create(
        elder=elder, name="李阿姨", relation=Relation.NEIGHBOUR, phone="13900002222", phone_masked="139****2222", priority=2
    )
    button = Device.objects.create(serial="BTN-0001", kind="button", elder=elder)
    water = Device.objects.create(serial="WTR-0001", kind="water", elder=elder)
    return elder, button, water


def msg(msg_id: str, kind: str = "button", *, minutes_ago: float = 1, **extra) -> dict:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return {"msg_id": msg_id, "kind": kind, "ts": at.isoformat(), **extra}
