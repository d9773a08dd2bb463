"""The demo's smart homes: elders living alone or as an empty nest get a call button, a water meter
and a door sensor; every tenth of them is also a home care bed with its equipment."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from eldercare.devices.models import BedRecord, Device, DeviceKind, HomeCareBed
from eldercare.elders.models import Elder, ElderStatus, LivingStatus
from eldercare.providers.models import Provider

EQUIPMENT = [{"item": "护理床"}, {"item": "床边扶手"}, {"item": "防滑垫"}, {"item": "一键呼叫按钮"}, {"item": "门磁与水表"}]


@transaction.atomic
def build_devices(*, seed: int = 2026, limit: int = 2_000, log=print) -> dict[str, int]:
    rng = random.Random(f"{seed}:devices")
    elders = list(
        Elder.objects.filter(status=ElderStatus.ACTIVE, living_status__in=[LivingStatus.ALONE, LivingStatus.EMPTY_NEST])
        .order_by("pk")
        .values_list("pk", "residence_id")[:limit]
    )
    now = timezone.now()
    devices = []
    for pk, _ in elders:
        for kind in (DeviceKind.BUTTON, DeviceKind.WATER, DeviceKind.DOOR):
            devices.append(
                Device(
                    serial=f"{kind[:3].upper()}-{pk:07d}",
                    kind=kind,
                    elder_id=pk,
                    installed_at=now - dt.timedelta(days=rng.randint(30, 400)),
                )
            )
    Device.objects.bulk_create(devices, ignore_conflicts=True)
    providers: dict[str, list[Provider]] = {}
    for provider in Provider.objects.order_by("pk"):
        providers.setdefault(provider.region_id[:6], []).append(provider)  # the county's providers take turns
    beds = []
    for n, (pk, residence) in enumerate(elders[::10]):
        county = providers.get(residence[:6])
        if county:
            beds.append(
                HomeCareBed(
                    elder_id=pk,
                    provider=county[n % len(county)],
                    contract_number=f"JTYLCW-{pk:07d}",
                    starts=now.date() - dt.timedelta(days=rng.randint(10, 300)),
                    equipment=EQUIPMENT,
                )
            )
    HomeCareBed.objects.bulk_create(beds, ignore_conflicts=True)
    _inspections(rng, now.date())
    log(f"智能设备 devices: {len(devices):,} 台 in {len(elders):,} 户 homes, {len(beds):,} 张家庭养老床位 home care beds")
    return {"devices": len(devices), "homes": len(elders), "beds": len(beds)}


def _inspections(rng: random.Random, today: dt.date) -> None:
    """Two beds in three of a provider with a login have been inspected, by that login, in the last
    four months (so the list shows some dates and puts the never-inspected first)."""
    records = []
    for bed in HomeCareBed.objects.filter(provider__admins__isnull=False, records__isnull=True).select_related("provider").distinct():
        admin = bed.provider.admins.first()
        if rng.random() < 2 / 3 and admin is not None:
            on = max(bed.starts, today - dt.timedelta(days=rng.randint(0, 120)))
            records.append(BedRecord(bed=bed, kind=BedRecord.Kind.INSPECTION, on=on, note="护理床、扶手、呼叫按钮完好，已试按", by=admin))
    BedRecord.objects.bulk_create(records)
