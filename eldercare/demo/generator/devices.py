"""The demo's smart homes: elders living alone or as an empty nest, and those the early-warning rules
watch (seed 004 equips them with smart meters), get a call button, a water meter and a door sensor;
every tenth of them is also a home care bed with its equipment.

The homes in the regions of the logins who answer alarms (the call desk's street, the community
worker's community) come first, and some have a morning behind them: in a few of the watched homes
nobody has stirred for `HISTORY_HOURS` (the early-warning rules find them, as they would in a real
morning: their devices have been reporting for longer than the rules' spans), and in a few others a
call button was pressed just now. So those logins open a board with work on it in their own region, and the
rest of the city starts from its first readings (no rule judges a span it has not watched)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Role
from eldercare.devices.models import BedRecord, Device, DeviceKind, HomeCareBed, Reading
from eldercare.devices.simulator import Home, Simulator, homes
from eldercare.devices.warnings import load_rules
from eldercare.elders.models import Elder, ElderStatus, LivingStatus
from eldercare.providers.models import Provider
from eldercare.regions.models import Region, subtree_bounds

EQUIPMENT = [{"item": "护理床"}, {"item": "床边扶手"}, {"item": "防滑垫"}, {"item": "一键呼叫按钮"}, {"item": "门磁与水表"}]
# The quiet homes' history: longer than the longest no-activity span (12 h), a reading an hour.
HISTORY_HOURS = 13
QUIET_PER_REGION, PRESSES_PER_REGION = 3, 2
ANSWERING = (Role.COMMUNITY_WORKER, Role.CENTER_OPERATOR)  # the demo's logins with an alarm board to work

Bounds = tuple[str, str]


def build_devices(*, seed: int = 2026, limit: int = 2_000, log: Callable[[str], None] = print) -> dict[str, int]:
    bounds = _answering_regions()
    made = _build(seed=seed, limit=limit, bounds=bounds, log=log)
    # After the devices are committed: storing readings is a durable transaction of its own.
    made |= _history(seed=seed, bounds=bounds, now=timezone.now(), log=log)
    return made


def _answering_regions() -> list[Bounds]:
    """The regions of the logins who answer alarms, narrowest first (a community inside a street)."""
    regions = Region.objects.filter(pk__in=User.objects.filter(role__in=ANSWERING, is_active=True).values("region_id"))
    return [subtree_bounds(r.code, r.level) for r in regions.order_by("-level", "code")]


def _within(code: str, bounds: list[Bounds]) -> int | None:
    """The index of the narrowest region holding `code`, None when none does."""
    return next((i for i, (lo, hi) in enumerate(bounds) if lo <= code <= hi), None)


def _homes_chosen(limit: int, bounds: list[Bounds]) -> list[tuple[int, str]]:
    """(elder, community) of the homes to equip: those in the answering logins' regions first."""
    watch, _ = load_rules()
    living = (
        Elder.objects.filter(status=ElderStatus.ACTIVE)
        .filter(Q(living_status__in=[LivingStatus.ALONE, LivingStatus.EMPTY_NEST]) | watch.q(timezone.localdate()))
        .order_by("pk")
        .values_list("pk", "residence_id")
    )
    chosen: dict[int, str] = {}
    for lo, hi in bounds:
        chosen.update(living.filter(residence_id__gte=lo, residence_id__lte=hi)[:limit])
    for pk, residence in living[:limit]:
        if len(chosen) >= limit:
            break
        chosen.setdefault(pk, residence)
    return list(chosen.items())[:limit]


@transaction.atomic
def _build(*, seed: int, limit: int, bounds: list[Bounds], log: Callable[[str], None]) -> dict[str, int]:
    rng = random.Random(f"{seed}:devices")
    elders = _homes_chosen(limit, bounds)
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


def _history(*, seed: int, bounds: list[Bounds], now: dt.datetime, log: Callable[[str], None]) -> dict[str, int]:
    """In up to `QUIET_PER_REGION` watched homes of each answering login's region nobody has used water
    or opened the door for `HISTORY_HOURS` (their sensors alive, reporting hourly), and in
    `PRESSES_PER_REGION` other homes someone pressed the call button a few minutes ago. The other
    homes start from their first readings, as the rest of the city does. Once only: a second run
    finds the readings and adds nothing."""
    if not bounds:
        return {}
    residence = dict(Elder.objects.filter(devices__isnull=False).distinct().values_list("pk", "residence_id"))
    houses = [h for h in homes(quiet_share=0.0, seed=seed) if _within(residence.get(h.elder_id, ""), bounds) is not None]
    if not houses or Reading.objects.filter(device__elder_id__in=[h.elder_id for h in houses]).exists():
        return {}
    rng = random.Random(f"{seed}:history")
    watch, _ = load_rules()
    watched = set(Elder.objects.filter(watch.q(timezone.localdate(now)), pk__in=[h.elder_id for h in houses]).values_list("pk", flat=True))
    still: list[Home] = []
    pressing: list[Home] = []
    for region in range(len(bounds)):
        here = [h for h in houses if _within(residence[h.elder_id], bounds) == region]
        candidates = [h for h in here if h.elder_id in watched]
        still += rng.sample(candidates, min(QUIET_PER_REGION, len(candidates)))
        lively = [h for h in here if h not in still and DeviceKind.BUTTON in h.devices]
        pressing += rng.sample(lively, min(PRESSES_PER_REGION, len(lively)))
    for home in still:
        home.quiet = True
    simulator = Simulator(still, seed=seed)
    for hours in range(HISTORY_HOURS, 0, -1):
        simulator.tick(now=now - dt.timedelta(hours=hours), press_chance=0.0)
    for n, home in enumerate(pressing):
        Simulator([home], seed=seed + n).tick(now=now - dt.timedelta(minutes=3 + 7 * n), press_chance=1.0)
    log(f"  接警账号辖区：{len(still)} 户{HISTORY_HOURS}小时无活动，{len(pressing)} 次呼叫 / quiet homes and calls for the call desk")
    return {"quiet_homes": len(still), "presses": len(pressing)}


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
