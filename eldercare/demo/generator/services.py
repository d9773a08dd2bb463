"""The demo's door-to-door services: two providers per county serving it, caregivers living around
its communities, demo guide prices for the city, and orders of the demo street at every stage.

Guide prices here are DEMO VALUES (marked so on each price's document), not any city's published
prices. Orders go through the order services, so they look exactly like real ones.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Role
from eldercare.core.crypto import keyed_hash
from eldercare.elders import idnumber
from eldercare.elders.models import Elder, ElderStatus
from eldercare.homecare.catalog import catalog_sync
from eldercare.homecare.models import Caregiver, FraudFlag, GuidePrice, Order, ServiceItem
from eldercare.homecare.services import orders
from eldercare.providers.creditcode import check_character
from eldercare.providers.models import Provider, ServiceArea
from eldercare.regions.models import Level, Region, code_bounds

# What the demo's caregivers do: the six helps and personal care, rehabilitation and company (the
# categories the catalogue first had; the later ones are left to real providers).
CARE_CATEGORIES = ("meal", "bath", "clean", "mobility", "medical", "emergency", "life_care", "rehab", "comfort")

DEMO_PRICES = {  # fen per visit or per hour
    "meal_delivery": 15_00, "meal_feeding": 35_00, "bath_home": 80_00, "bath_wash": 40_00, "clean_home": 40_00, "clean_laundry": 30_00,
    "mobility_escort": 40_00, "mobility_transfer": 30_00, "medical_escort": 45_00, "medical_check": 20_00, "medical_medication": 15_00,
    "emergency_visit": 60_00, "life_care": 38_00, "rehab_training": 60_00, "comfort_visit": 30_00, "respite_care": 38_00,
}  # fmt: skip
SHIFTS = ([["08:00", "12:00"], ["13:30", "17:30"]], [["07:00", "15:00"]], [["10:00", "20:00"]])
SURNAMES = "张王李赵陈刘杨黄周吴徐孙马朱胡郭何林罗高"


@transaction.atomic
def build_services(*, seed: int = 2026, per_community: float = 0.5, log: Callable[[str], None] = print) -> dict[str, int]:
    rng = random.Random(f"{seed}:services")
    catalog_sync()
    city = Region.objects.filter(level=Level.CITY).order_by("code").first()
    if city is None:
        raise AssertionError("the demo city has no city region: build it first")
    system = User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.order_by("pk").first()
    items = {i.code: i for i in ServiceItem.objects.all()}
    start = timezone.localdate().replace(month=1, day=1)
    GuidePrice.objects.bulk_create(
        [
            GuidePrice(
                item=items[code],
                region=city,
                price=price,
                valid_from=start,
                document="演示数据：非任何城市公布的指导价 / demo value",
                set_by=system,
            )
            for code, price in DEMO_PRICES.items()
        ],
        ignore_conflicts=True,
    )
    providers, caregivers = [], []
    counties = list(Region.objects.filter(level=Level.COUNTY, code__startswith=city.code[:4]).order_by("code"))
    for n, county in enumerate(counties):
        for k in range(2):
            first17 = f"52{county.code[:6]}MJ{n:04d}{k:03d}"
            provider, _ = Provider.objects.get_or_create(
                credit_code=first17 + check_character(first17),
                defaults={"name": f"{county.name}{('颐康', '乐龄')[k]}居家养老服务中心", "region": county},
            )
            ServiceArea.objects.get_or_create(provider=provider, region=county)
            providers.append(provider)
    communities = list(Region.objects.filter(level=Level.COMMUNITY, code__startswith=city.code[:4]).order_by("code"))
    homes = {
        residence: cast(tuple[Decimal, Decimal], (lat, lng))  # filtered to non-null coordinates
        for residence, lat, lng in Elder.objects.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("residence_id", "pk")
        .values_list("residence_id", "latitude", "longitude")
    }
    seq = 0
    for community in communities:
        if community.code not in homes or rng.random() > per_community:
            continue
        provider = providers[2 * next(i for i, c in enumerate(counties) if community.code.startswith(c.code[:6])) + rng.randrange(2)]
        seq += 1
        number = idnumber.build(community.code[:6], dt.date(1965 + seq % 20, seq % 12 + 1, seq % 27 + 1), seq % 998 + 1)
        caregivers.append(
            Caregiver(
                provider=provider, name=f"{rng.choice(SURNAMES)}护理{seq}", id_number=number, id_hash=keyed_hash(number), id_masked=idnumber.mask(number),
                level=rng.choice([3, 4, 4, 5, 5]), certificate_number=f"YLHL{seq:06d}", certificate_expires=dt.date(2029, 12, 31),
                categories=sorted(rng.sample(CARE_CATEGORIES, 4)), latitude=homes[community.code][0] + Decimal(str(round(rng.uniform(-0.004, 0.004), 6))),
                longitude=homes[community.code][1] + Decimal(str(round(rng.uniform(-0.004, 0.004), 6))),
                hours={str(d): rng.choice(SHIFTS) for d in range(1, 8)},
            )
        )  # fmt: skip
    Caregiver.objects.bulk_create(caregivers, ignore_conflicts=True)
    demo_orders = _demo_orders(rng, providers)
    log(f"上门服务 services: {len(providers)} 家服务商 providers, {len(caregivers):,} 名护理员 caregivers, {demo_orders} 张工单 orders")
    return {"providers": len(providers), "caregivers": len(caregivers), "orders": demo_orders}


def _demo_orders(rng: random.Random, providers: list[Provider]) -> int:
    """Link the provider_admin and caregiver logins, then take orders of the demo street's elders
    through the lifecycle to each stage."""
    operator = User.objects.filter(username="centre_operator").first()
    worker = User.objects.filter(username="community_worker").first()
    admin_user = User.objects.filter(username="provider_admin", role=Role.PROVIDER_ADMIN).first()
    carer_user = User.objects.filter(username="caregiver", role=Role.CAREGIVER).first()
    if not (operator and worker and admin_user and carer_user and operator.region and worker.region_id):
        return 0
    street = operator.region
    provider = next((p for p in providers if street.code.startswith(p.region_id[:6])), providers[0])
    provider.admins.add(admin_user)
    lo, hi = code_bounds(worker.region_id)  # the community worker orders for the elders of their community
    elders = list(
        Elder.objects.filter(
            residence_id__gte=lo, residence_id__lte=hi, status=ElderStatus.ACTIVE, latitude__isnull=False, longitude__isnull=False
        ).order_by("pk")[:12]
    )
    if not elders:
        return 0
    lat, lng = elders[0].latitude, elders[0].longitude
    assert lat is not None and lng is not None  # filtered to non-null coordinates
    number = idnumber.build(street.code[:6], dt.date(1972, 5, 6), 77)
    carer, _ = Caregiver.objects.get_or_create(
        user=carer_user,
        defaults={
            "provider": provider, "name": carer_user.display_name or "演示护理员", "id_number": number, "id_hash": keyed_hash(number),
            "id_masked": idnumber.mask(number), "level": 3, "certificate_number": "YLHL-DEMO", "certificate_expires": dt.date(2029, 12, 31),
            "categories": list(CARE_CATEGORIES), "latitude": lat, "longitude": lng, "hours": {str(d): [["07:00", "21:00"]] for d in range(1, 8)},
        },
    )  # fmt: skip
    items = list(ServiceItem.objects.filter(code__in=["clean_home", "life_care", "meal_delivery", "comfort_visit", "bath_home"]))
    today = timezone.localdate()
    made = 0
    for i, elder in enumerate(elders):
        item = items[i % len(items)]
        # One caregiver serves them all: an hour each, from 07:00 (twelve elders at most), never two at once.
        start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1 if i % 3 == 0 else 0), dt.time(7 + i)))
        try:
            order = orders.order_request(
                actor=worker, elder=elder, item=item, window_start=start, window_end=start + dt.timedelta(hours=1), channel="phone"
            )
        except ValidationError:  # its window has passed (late in the day): skipped
            continue
        made += 1
        stage = i % 6
        if stage == 0:
            continue  # left for the operator to dispatch
        try:
            orders.order_assign(actor=operator, order=order, caregiver=carer, note="演示：就近派单")
        except ValidationError:  # the caregiver is busy then: left for the operator to dispatch
            continue
        if stage >= 2:
            orders.order_dispatch(actor=operator, order=order)
        if stage >= 3:
            orders.order_accept(actor=carer_user, order=order)
        if stage >= 5:
            orders.order_check_in(actor=carer_user, order=order, latitude=elder.latitude, longitude=elder.longitude, at=start)
            orders.order_check_out(actor=carer_user, order=order, record="演示服务记录", at=start + dt.timedelta(minutes=item.minutes))
    return made + _demo_flags(operator=operator, worker=worker, carer_user=carer_user, carer=carer, skip=len(elders))


# The flagged services: (which elder, item, metres north of the home where the caregiver checked in,
# minutes actually served). Far check-ins and services much shorter than booked, as supervisors meet them.
FLAGGED = (
    ("community", "clean_home", 2600, 115),  # checked in 2.6 km from home
    ("community", "life_care", 0, 9),  # 9 minutes of an hour and a half
    ("community", "bath_home", 1800, 20),  # both
    ("street", "clean_home", 3200, 110),  # in another community of the street: not the community worker's
)


def _demo_flags(*, operator: User, worker: User, carer_user: User, carer: Caregiver, skip: int) -> int:
    """A few delivered services that raised fraud flags, for the street officer, the centre operator
    and (those of their community) the community worker to resolve. They go through the order
    services like the rest, in a window two days ahead (a window must not have passed when ordered),
    then are moved back three days: yesterday, as a supervisor finds them the next morning."""
    assert operator.region_id is not None and worker.region_id is not None  # checked by the caller
    items = {i.code: i for i in ServiceItem.objects.filter(code__in={f[1] for f in FLAGGED})}
    active = Elder.objects.filter(status=ElderStatus.ACTIVE, latitude__isnull=False, longitude__isnull=False).order_by("pk")
    lo, hi = code_bounds(worker.region_id)
    street_lo, street_hi = code_bounds(operator.region_id)
    homes = {
        "community": list(active.filter(residence_id__gte=lo, residence_id__lte=hi)[skip : skip + 3]),
        "street": list(
            active.filter(residence_id__gte=street_lo, residence_id__lte=street_hi).exclude(residence_id__gte=lo, residence_id__lte=hi)[:1]
        ),
    }
    day = timezone.localdate() + dt.timedelta(days=2)
    back = dt.timedelta(days=3)
    made = 0
    for n, (where, code, metres, served) in enumerate(FLAGGED):
        if not homes[where] or code not in items:
            continue
        elder, item = homes[where].pop(0), items[code]
        assert elder.latitude is not None and elder.longitude is not None  # filtered to non-null coordinates
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(8 + 3 * n)))
        north = Decimal(str(round(metres / 111_320, 6)))  # a degree of latitude is about 111.32 km
        try:
            with transaction.atomic():  # all the way to the check-out, or not at all
                order = orders.order_request(
                    actor=worker if where == "community" else operator,
                    elder=elder,
                    item=item,
                    window_start=start,
                    window_end=start + dt.timedelta(minutes=max(item.minutes, 60)),
                    channel="phone",
                )
                orders.order_assign(actor=operator, order=order, caregiver=carer, note="演示：就近派单")
                orders.order_dispatch(actor=operator, order=order)
                orders.order_accept(actor=carer_user, order=order)
                orders.order_check_in(actor=carer_user, order=order, latitude=elder.latitude + north, longitude=elder.longitude, at=start)
                orders.order_check_out(actor=carer_user, order=order, record="演示服务记录", at=start + dt.timedelta(minutes=served))
        except ValidationError:  # the demo caregiver cannot take it (a changed catalogue): left out
            continue
        Order.objects.filter(pk=order.pk).update(
            window_start=F("window_start") - back,
            window_end=F("window_end") - back,
            checked_in_at=F("checked_in_at") - back,
            checked_out_at=F("checked_out_at") - back,
            created_at=F("created_at") - back - dt.timedelta(days=1),
        )
        FraudFlag.objects.filter(order=order).update(created_at=start - back + dt.timedelta(minutes=served))
        made += 1
    return made
