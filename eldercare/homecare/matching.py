"""Supply–demand matching: the best caregiver for an order, and why.

The rules, in order:
1. eligible — on duty, provider taking orders and serving the elder's community, does this
   category, holds the item's vocational level with a certificate valid on the day
   (`orders.caregiver_problems` states the same rules one caregiver at a time);
2. within the service circle — home base no further than the circle's travel time (10 minutes by
   default) at the travel speed, as the crow flies;
3. available — working hours cover the whole window, no other order overlapping it, under the
   day's maximum;
4. best score — distance, plus a load penalty per order already that day (fair shares), minus a
   bonus for the elder's preferred caregiver.

Caregivers' positions and attributes live in an in-memory index (a KD-tree over metres on a local
projection, and numpy arrays), rebuilt when any caregiver, provider or service area changes; the
orders of the candidates (conflicts and load) are read fresh from the database on each match.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from scipy.spatial import cKDTree

from eldercare.providers.models import Provider, ProviderStatus, ServiceArea
from eldercare.regions.models import covering_codes

from .catalog import category_bits
from .models import Caregiver, Order, OrderStatus, Preference

# The PLATFORM'S DEFAULTS: the 10-minute service circle is seed 002's ("10分钟服务圈"); the speed that
# turns it into a distance (an e-bike in town) and the scoring weights are not in any seed.
LOAD_PENALTY_METRES = 500  # each order already that day counts as this much extra distance
PREFERRED_BONUS_METRES = 1_000
BUSY = (OrderStatus.MATCHED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE, OrderStatus.CHECKED_IN)
SLOT_MINUTES = 30
EARTH = 6_371_000.0


def circle_metres(minutes: float | None = None, kmh: float | None = None) -> float:
    """How far a caregiver gets in the service circle's minutes (settings unless given)."""
    minutes = settings.ELDERCARE_SERVICE_CIRCLE_MINUTES if minutes is None else minutes
    kmh = settings.ELDERCARE_TRAVEL_KMH if kmh is None else kmh
    return minutes / 60 * kmh * 1000


def _slots(hours: dict) -> np.ndarray:
    """Weekly working hours → one 48-bit mask of half-hours per weekday (index 0 = Monday)."""
    masks = np.zeros(7, dtype=np.int64)
    for day, spans in (hours or {}).items():
        for start, end in spans:
            h1, m1 = map(int, start.split(":"))
            h2, m2 = map(int, end.split(":"))
            for slot in range((h1 * 60 + m1) // SLOT_MINUTES, (h2 * 60 + m2 + SLOT_MINUTES - 1) // SLOT_MINUTES):
                masks[int(day) - 1] |= 1 << slot
    return masks


def window_slots(start: dt.datetime, end: dt.datetime) -> tuple[int, int] | None:
    """(weekday index, mask of the half-hours the window touches), or None if it spans two days."""
    start, end = timezone.localtime(start), timezone.localtime(end - dt.timedelta(microseconds=1))
    if start.date() != end.date():
        return None
    first = (start.hour * 60 + start.minute) // SLOT_MINUTES
    last = (end.hour * 60 + end.minute) // SLOT_MINUTES
    return start.weekday(), sum(1 << s for s in range(first, last + 1))


@dataclass
class Index:
    stamp: tuple
    ids: np.ndarray
    names: list[str]
    provider: np.ndarray
    categories: np.ndarray  # bit masks
    level: np.ndarray  # 9 when none
    expires: np.ndarray  # ordinal day, 0 when none
    slots: np.ndarray  # (n, 7)
    max_daily: np.ndarray
    lat0: float
    tree: cKDTree
    areas: dict[str, set[int]]  # region code → providers serving it (with their subtree)
    position: dict[int, int] = field(default_factory=dict)  # caregiver id → row

    def project(self, lat: float, lng: float) -> tuple[float, float]:
        """Equirectangular metres around the index's mean latitude: exact enough within a city."""
        return (math.radians(lng) * EARTH * math.cos(math.radians(self.lat0)), math.radians(lat) * EARTH)

    def providers_for(self, region_code: str) -> set[int]:
        found: set[int] = set()
        for code in covering_codes(region_code):
            found |= self.areas.get(code, set())
        return found


def _stamp() -> tuple:
    # Caregivers are never deleted (orders refer to them); any change moves updated_at, which is indexed.
    caregivers = Caregiver.objects.aggregate(at=Max("updated_at"), last=Max("pk"))
    providers = tuple(Provider.objects.filter(status=ProviderStatus.ACTIVE).order_by("pk").values_list("pk", flat=True))
    return (caregivers["at"], caregivers["last"], ServiceArea.objects.count(), providers)


def build_index() -> Index:
    # Many caregivers share a shift pattern and a set of skills: compute each distinct one once.
    slot_cache: dict[str, np.ndarray] = {}
    bit_cache: dict[tuple, int] = {}
    bits = category_bits()

    def slots_of(hours) -> np.ndarray:
        key = json.dumps(hours, sort_keys=True)
        if key not in slot_cache:
            slot_cache[key] = _slots(hours)
        return slot_cache[key]

    def bits_of(categories) -> int:
        key = tuple(categories or ())
        if key not in bit_cache:
            bit_cache[key] = sum(bits.get(c, 0) for c in key)
        return bit_cache[key]

    rows = list(
        Caregiver.objects.filter(active=True, provider__status=ProviderStatus.ACTIVE).values_list(
            "pk", "name", "provider_id", "categories", "level", "certificate_expires", "latitude", "longitude", "hours", "max_daily_orders"
        )
    )
    n = len(rows)
    lat = np.array([float(r[6]) for r in rows]) if n else np.zeros(0)
    lng = np.array([float(r[7]) for r in rows]) if n else np.zeros(0)
    lat0 = float(lat.mean()) if n else 30.0
    xy = np.column_stack((np.radians(lng) * EARTH * math.cos(math.radians(lat0)), np.radians(lat) * EARTH)) if n else np.zeros((0, 2))
    areas: dict[str, set[int]] = {}
    for provider_id, region_id in ServiceArea.objects.values_list("provider_id", "region_id"):
        areas.setdefault(region_id, set()).add(provider_id)
    index = Index(
        stamp=(),
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        names=[r[1] for r in rows],
        provider=np.array([r[2] for r in rows], dtype=np.int64),
        categories=np.array([bits_of(r[3]) for r in rows], dtype=np.int64),
        level=np.array([r[4] if r[4] is not None else 9 for r in rows], dtype=np.int64),
        expires=np.array([r[5].toordinal() if r[5] else 0 for r in rows], dtype=np.int64),
        slots=np.array([slots_of(r[8]) for r in rows], dtype=np.int64).reshape(n, 7),
        max_daily=np.array([r[9] for r in rows], dtype=np.int64),
        lat0=lat0,
        tree=cKDTree(xy if n else np.zeros((1, 2))),
        areas=areas,
    )
    index.position = {int(pk): i for i, pk in enumerate(index.ids)}
    return index


_cache: dict[str, Index] = {}
_lock = threading.Lock()


def current_index() -> Index:
    """The index, rebuilt if caregivers, providers or areas changed since it was built."""
    stamp = _stamp()
    with _lock:
        index = _cache.get("index")
        if index is None or index.stamp != stamp:
            index = build_index()
            index.stamp = stamp
            _cache["index"] = index
    return index


@dataclass
class Choice:
    caregiver_id: int | None
    explanation: list[str]
    candidates: list[tuple[int, float]]  # (caregiver id, score), best first

    @property
    def note(self) -> str:
        return "；".join(self.explanation)


def match(order: Order, *, index: Index | None = None, limit: int = 5) -> Choice:
    """The best caregiver for `order` (None when nobody qualifies), with the reasons."""
    index = index or current_index()
    explain: list[str] = []
    if order.latitude is None or order.longitude is None or len(index.ids) == 0:
        return Choice(None, ["老人住址缺少坐标，无法按距离匹配 / the home has no coordinates"], [])
    radius = circle_metres()
    x, y = index.project(float(order.latitude), float(order.longitude))
    near = np.array(index.tree.query_ball_point((x, y), radius), dtype=np.int64)
    explain.append(
        f"{settings.ELDERCARE_SERVICE_CIRCLE_MINUTES}分钟服务圈（约{radius / 1000:.1f}公里）内有{len(near)}名护理员 / {len(near)} caregivers within the {settings.ELDERCARE_SERVICE_CIRCLE_MINUTES}-minute circle"
    )
    if len(near) == 0:
        return Choice(None, explain, [])
    item = order.item
    day = timezone.localdate(order.window_start)
    ok = (index.categories[near] & category_bits().get(item.category_id, 0)) != 0
    ok &= np.isin(index.provider[near], list(index.providers_for(order.region_id)))
    if item.min_level is not None:
        ok &= (index.level[near] <= item.min_level) & ((index.expires[near] == 0) | (index.expires[near] >= day.toordinal()))
    slots = window_slots(order.window_start, order.window_end)
    if slots is not None:
        weekday, mask = slots
        ok &= (index.slots[near, weekday] & mask) == mask
    else:
        ok &= False
    eligible = near[ok]
    explain.append(
        f"其中{len(eligible)}名资质、技能、服务区域和工作时间符合 / {len(eligible)} qualified, skilled, serving the area and on shift"
    )
    if len(eligible) == 0:
        return Choice(None, explain, [])
    ids = index.ids[eligible]
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    busy = Order.objects.filter(caregiver_id__in=ids.tolist(), status__in=BUSY + (OrderStatus.CHECKED_OUT, OrderStatus.CONFIRMED)).filter(
        window_start__lt=start + dt.timedelta(days=1), window_end__gt=start
    )
    load: dict[int, int] = {}
    clash: set[int] = set()
    for caregiver_id, ws, we, status in busy.exclude(pk=order.pk).values_list("caregiver_id", "window_start", "window_end", "status"):
        load[caregiver_id] = load.get(caregiver_id, 0) + 1
        if status in BUSY and ws < order.window_end and we > order.window_start:
            clash.add(caregiver_id)
    preferred = Preference.objects.filter(elder_id=order.elder_id).values_list("caregiver_id", flat=True).first()
    xy = index.tree.data[eligible]
    distance = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    scored = []
    for row, caregiver_id, metres in zip(eligible.tolist(), ids.tolist(), distance.tolist(), strict=True):
        if caregiver_id in clash or load.get(caregiver_id, 0) >= index.max_daily[row]:
            continue
        score = metres + LOAD_PENALTY_METRES * load.get(caregiver_id, 0) - (PREFERRED_BONUS_METRES if caregiver_id == preferred else 0)
        scored.append((score, caregiver_id, row, metres))
    explain.append(f"其中{len(scored)}名该时段空闲且未满当日上限 / {len(scored)} free then and under their daily maximum")
    if not scored:
        return Choice(None, explain, [])
    scored.sort()
    score, best, row, metres = scored[0]
    why = f"选择{index.names[row]}：距离{metres:,.0f}米，当日已有{load.get(best, 0)}单"
    if best == preferred:
        why += "，为老人指定的护理员"
    explain.append(
        why
        + f" / chose {index.names[row]}: {metres:,.0f} m away, {load.get(best, 0)} orders that day"
        + (", the elder's preferred caregiver" if best == preferred else "")
    )
    return Choice(best, explain, [(cid, s) for s, cid, _, _ in scored[:limit]])
