"""The demo's smart homes: elders living alone or as an empty nest get a call button, a water meter
and a door sensor; every tenth of them is also a home care bed with its equipment."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from eldercare.devices.models import Device, DeviceKind, HomeCareBed
from eldercare.elders.models import Elder, ElderStatus, LivingStatus
from eldercare.services.models import Provider

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
    providers = {p.region_id[:6]: p for p in Provider.objects.order_by("pk")}
    beds = []
    for pk, residence in elders[::10]:
        provider = providers.get(residence[:6])
        if provider:
            beds.append(
                HomeCareBed(
                    elder_id=pk,
                    provider=provider,
                    contract_number=f"JTYLCW-{pk:07d}",
                    starts=now.date() - dt.timedelta(days=rng.randint(10, 300)),
                    equipment=EQUIPMENT,
                )
            )
    HomeCareBed.objects.bulk_create(beds, ignore_conflicts=True)
    log(f"智能设备 devices: {len(devices):,} 台 in {len(elders):,} 户 homes, {len(beds):,} 张家庭养老床位 home care beds")
    return {"devices": len(devices), "homes": len(elders), "beds": len(beds)}
