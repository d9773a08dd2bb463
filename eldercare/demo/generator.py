"""A deterministic synthetic city: Hangzhou's real districts and counties with
made-up streets, communities, institutions, elders, households, contacts,
priority groups, consents and one demo user per role.

Same seed and sizes give the same data (only "today", which ages are counted
from, moves). Everything is drawn from `random.Random` instances seeded from
the seed, never from the global generator or from unordered containers.

Speed: rows are built as plain dicts and written every 5,000 elders, by
PostgreSQL COPY (psycopg 3) or a plain INSERT executemany elsewhere; values are
prepared as the fields would prepare them (encryption with
`eldercare.core.crypto.encrypt`, dates), and a test checks that the result is
identical to the `bulk_create` path (writer="orm"). Primary keys are assigned
here, so contacts and groups point at elders without reading anything back, and
sequences are reset at the end. Nothing sends signals, so the demo data leaves
no audit-log entries. About 50k elders in 8 s on SQLite, 1M in 2.5 min on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Max
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import REQUIRED_LEVEL, Role
from eldercare.core.crypto import EncryptedTextField, encrypt, keyed_hash
from eldercare.elders import idnumber
from eldercare.elders.models import (
    Consent,
    ConsentKind,
    Contact,
    Elder,
    ElderGroup,
    ElderStatus,
    Household,
    LivingStatus,
    PriorityGroup,
    Relation,
    Sex,
)
from eldercare.facilities.models import FacilityKind, Institution, Ownership
from eldercare.regions.models import Level, Region
from eldercare.regions.services import validate_region

from . import data

DEMO_PASSWORD = "eldercare-demo"
SYSTEM_USERNAME = "system"
MAX_COMMUNITIES_DEFAULT = 5_000
ELDERS_PER_COMMUNITY = 35
MIN_COMMUNITIES = 200
CHUNK_ELDERS = 5_000  # rows are written after about this many elders

Log = Callable[[str], None]


class DemoDataExists(RuntimeError):
    """The database already holds registry data; reset first or skip."""


@dataclass
class DemoSummary:
    seed: int
    elders: int = 0
    households: int = 0
    contacts: int = 0
    groups: int = 0
    consents: int = 0
    institutions: int = 0
    regions: int = 0
    communities: int = 0
    users: int = 0
    seconds: float = 0.0
    password: str = DEMO_PASSWORD
    # (username, role label, region name)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.elders + self.households + self.contacts + self.groups + self.consents + self.institutions + self.regions + self.users


# --------------------------------------------------------------------------- helpers


def default_communities(elders: int) -> int:
    """About one community per 35 elders, at least 200, at most 5,000."""
    return min(MAX_COMMUNITIES_DEFAULT, max(MIN_COMMUNITIES, round(elders / ELDERS_PER_COMMUNITY)))


def _allocate(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split `total` into len(weights) integers proportional to weights (largest remainder), each >= minimum."""
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError(f"cannot give {len(weights)} parts at least {minimum} each out of {total}")
    scale = sum(weights)
    raw = [rest * w / scale for w in weights]
    counts = [int(r) for r in raw]
    left = rest - sum(counts)
    for i in sorted(range(len(weights)), key=lambda i: (counts[i] - raw[i], i))[:left]:
        counts[i] += 1
    return [minimum + c for c in counts]


def _pick(rng: random.Random, cum: list[float]) -> int:
    """Index drawn with the weights whose running totals are `cum`."""
    return min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _disc(rng: random.Random, radius: float) -> tuple[float, float]:
    """A uniform offset within a disc of `radius` degrees of latitude (longitude stretched at 30°N)."""
    rho = radius * math.sqrt(rng.random())
    theta = 2 * math.pi * rng.random()
    return rho * math.cos(theta), rho * math.sin(theta) * 1.155


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _coord(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if phone else ""


class _NamePool:
    """Distinct two-syllable names in a shuffled order; when exhausted, variants."""

    def __init__(self, rng: random.Random, first: tuple[str, ...], second: tuple[str, ...], variant: Callable[[str, int], str]):
        self.combos = [a + b for a in first for b in second if a != b]
        rng.shuffle(self.combos)
        self.variant = variant
        self.i = 0

    def next(self) -> str:
        cycle, k = divmod(self.i, len(self.combos))
        self.i += 1
        name = self.combos[k]
        return name if cycle == 0 else self.variant(name, cycle)


# --------------------------------------------------------------------------- regions


@dataclass
class _Community:
    index: int
    code: str
    name: str
    street: str
    county: str
    county_index: int
    rural: bool
    lat: float
    lng: float
    weight: float  # relative number of elders


@dataclass
class _Home:
    """Where the elders of one household live, and the children they share."""

    living: str
    community: _Community
    household_id: int | None
    institution: dict | None
    address: str
    lat: Decimal
    lng: Decimal
    children: list[tuple[str, str]]  # (name, mobile)


@dataclass
class _RegionPlan:
    regions: list[Region]
    communities: list[_Community]
    streets: list[tuple[int, str, str]]  # (county index, code, name)


def _plan_regions(rng: random.Random, n_communities: int) -> _RegionPlan:
    province = Region(code=data.PROVINCE[0], name=data.PROVINCE[1], level=Level.PROVINCE)
    city = Region(code=data.CITY[0], name=data.CITY[1], level=Level.CITY, parent=province)
    regions = [province, city]
    communities: list[_Community] = []
    streets: list[tuple[int, str, str]] = []

    street_names = _NamePool(rng, data.PLACE_FIRST, data.STREET_SECOND, lambda n, c: data.CHINESE_NUMERALS[(c - 1) % 10] + n)
    urban_names = _NamePool(rng, data.PLACE_FIRST, data.URBAN_SECOND, lambda n, c: f"{n}{data.CHINESE_NUMERALS[c % 10]}区")
    village_names = _NamePool(rng, data.PLACE_FIRST, data.RURAL_SECOND, lambda n, c: data.VILLAGE_PREFIXES[(c - 1) % 10] + n)

    # Villages are smaller than urban communities, so rural counties get more of them per elder.
    per_county = _allocate(n_communities, [c.elder_weight * (1 + 0.8 * c.rural_share) for c in data.COUNTIES], minimum=2)
    for ci, (spec, n_comm) in enumerate(zip(data.COUNTIES, per_county, strict=True)):
        county = Region(code=spec.code6 + "000000", name=spec.name, level=Level.COUNTY, parent=city, is_main_urban=spec.main_urban)
        regions.append(county)
        n_rural = round(n_comm * spec.rural_share)
        n_urban = n_comm - n_rural
        kinds = [(False, n) for n in _allocate(n_urban, [rng.uniform(0.6, 1.4) for _ in range(math.ceil(n_urban / 12))])] if n_urban else []
        if n_rural:
            kinds += [(True, n) for n in _allocate(n_rural, [rng.uniform(0.6, 1.4) for _ in range(math.ceil(n_rural / 14))])]
        if len(kinds) > 999:
            raise ValueError("too many streets in one county")
        county_weights: list[float] = []
        first_index = len(communities)
        for si, (rural, n_in_street) in enumerate(kinds, start=1):
            if n_in_street > 999:
                raise ValueError("too many communities in one street")
            suffix = ("乡" if rng.random() < 0.15 else "镇") if rural else "街道"
            street_name = street_names.next() + suffix
            street_code = f"{spec.code6}{si:03d}000"
            street = Region(code=street_code, name=street_name, level=Level.STREET, parent=county, is_main_urban=spec.main_urban)
            regions.append(street)
            streets.append((ci, street_code, street_name))
            dlat, dlng = _disc(rng, spec.radius)
            s_lat, s_lng = spec.lat + dlat, spec.lng + dlng
            for k in range(1, n_in_street + 1):
                name = village_names.next() + "村" if rural else urban_names.next() + "社区"
                code = f"{street_code[:9]}{k:03d}"
                regions.append(
                    Region(code=code, name=name, level=Level.COMMUNITY, parent=street, is_main_urban=spec.main_urban, is_rural=rural)
                )
                dlat, dlng = _disc(rng, max(spec.radius / 4, 0.006))
                weight = rng.lognormvariate(0, 0.35) * (0.55 if rural else 1.0)
                county_weights.append(weight)
                communities.append(
                    _Community(len(communities), code, name, street_name, spec.name, ci, rural, s_lat + dlat, s_lng + dlng, weight)
                )
        # A community's share of the city's elders: its county's share, split by the communities' weights.
        total = sum(county_weights)
        share = spec.elder_weight / sum(c.elder_weight for c in data.COUNTIES)
        for community in communities[first_index:]:
            community.weight = share * community.weight / total
    return _RegionPlan(regions, communities, streets)


# --------------------------------------------------------------------------- writers


class _Writer:
    """Buffers rows (dicts of attname → value, same keys for one model) and writes them in FK order."""

    ORDER = (Institution, Household, Elder, ElderGroup, Contact, Consent)

    def __init__(self):
        self.buffers: dict[type[models.Model], list[dict]] = {model: [] for model in self.ORDER}
        self.written: dict[type[models.Model], int] = dict.fromkeys(self.ORDER, 0)
        self.seconds = 0.0  # time spent writing (encryption included)
        self.db = connections[DEFAULT_DB_ALIAS]

    def add(self, model: type[models.Model], row: dict) -> None:
        self.buffers[model].append(row)

    def flush(self) -> None:
        started = time.perf_counter()
        for model in self.ORDER:
            rows = self.buffers[model]
            if rows:
                self.write(model, rows)
                self.written[model] += len(rows)
                self.buffers[model] = []
        self.seconds += time.perf_counter() - started

    def write(self, model: type[models.Model], rows: list[dict]) -> None:
        raise NotImplementedError


class _OrmWriter(_Writer):
    """The portable reference path: model instances through bulk_create."""

    name = "bulk_create"

    def write(self, model, rows):
        batch = 1_000 if connection.vendor == "postgresql" else None
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch)


class _SqlWriter(_Writer):
    """Plain INSERT … executemany with the values prepared as the fields would prepare them
    (encryption, dates); about five times faster than bulk_create on SQLite."""

    name = "executemany"
    native_types = False

    def __init__(self):
        super().__init__()
        self.plans: dict[type[models.Model], tuple[list[models.Field], list[tuple[int, Callable]]]] = {}

    def plan(self, model, keys) -> tuple[list[models.Field], list[tuple[int, Callable]]]:
        if model not in self.plans:
            fields = [model._meta.get_field(key) for key in keys]
            converters: list[tuple[int, Callable]] = []
            for i, f in enumerate(fields):
                if isinstance(f, EncryptedTextField):
                    converters.append((i, encrypt))
                elif isinstance(f, (models.DateField, models.DecimalField)) and not self.native_types:
                    # DateTimeField is a DateField; psycopg adapts these types itself.
                    converters.append((i, lambda v, f=f, db=self.db: f.get_db_prep_save(v, db)))
            self.plans[model] = (fields, converters)
        return self.plans[model]

    def prepared(self, model, rows):
        fields, converters = self.plan(model, rows[0].keys())
        for row in rows:
            values = list(row.values())
            for i, convert in converters:
                if values[i] is not None and values[i] != "":
                    values[i] = convert(values[i])
            yield values

    def columns(self, model, rows) -> str:
        fields, _ = self.plan(model, rows[0].keys())
        return ", ".join(self.db.ops.quote_name(f.column) for f in fields)

    def write(self, model, rows):
        table = self.db.ops.quote_name(model._meta.db_table)
        marks = ", ".join(["%s"] * len(rows[0]))
        with self.db.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({self.columns(model, rows)}) VALUES ({marks})", list(self.prepared(model, rows)))


class _CopyWriter(_SqlWriter):
    """PostgreSQL COPY through psycopg 3."""

    name = "COPY"
    native_types = True

    def write(self, model, rows):
        table = self.db.ops.quote_name(model._meta.db_table)
        with self.db.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({self.columns(model, rows)}) FROM STDIN") as copy:
            for values in self.prepared(model, rows):
                copy.write_row(values)


WRITERS = {"orm": _OrmWriter, "sql": _SqlWriter, "copy": _CopyWriter}


def _default_writer() -> str:
    if connection.vendor == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "sql"
        return "copy"
    return "sql"


# --------------------------------------------------------------------------- the build


class _City:
    def __init__(self, *, elders: int, communities: int, seed: int, log: Log, writer: str):
        self.n_elders = elders
        self.n_communities = communities
        self.seed = seed
        self.log = log
        self.rng = random.Random(f"{seed}:elders")
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.writer: _Writer = WRITERS[writer]()
        self.summary = DemoSummary(seed=seed)

        # Lookup tables drawn once.
        self.surnames = [s for s, _ in data.SURNAMES]
        self.surname_cum = list(accumulate(w for _, w in data.SURNAMES))
        ages, weights = [], []
        for first, last, share, decay in data.AGE_BANDS:
            band = [decay ** (a - first) for a in range(first, last + 1)]
            ages += range(first, last + 1)
            weights += [share * w / sum(band) for w in band]
        self.ages = ages
        self.age_cum = list(accumulate(weights))
        self.birth_range = {
            age: (_years_before(self.today, age + 1).toordinal() + 1, _years_before(self.today, age).toordinal()) for age in ages
        }
        self.id_numbers: set[int] = set()

    # --- small draws

    def surname(self) -> str:
        return self.surnames[_pick(self.rng, self.surname_cum)]

    def given(self, sex: str, *, child: bool = False) -> str:
        if child:
            return self.rng.choice(data.CHILD_MALE_GIVEN if sex == Sex.MALE else data.CHILD_FEMALE_GIVEN)
        return self.rng.choice(data.ELDER_MALE_GIVEN if sex == Sex.MALE else data.ELDER_FEMALE_GIVEN)

    def mobile(self) -> str:
        return self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"

    def birth(self, age: int) -> dt.date:
        lo, hi = self.birth_range[age]
        return dt.date.fromordinal(self.rng.randint(lo, hi))

    def id_number(self, address_code: str, birth: dt.date, sex: str) -> str:
        male = sex == Sex.MALE
        while True:
            number = idnumber.build(address_code, birth, 2 * self.rng.randrange(500) + (1 if male else 0))
            key = int(number[:17])
            if key not in self.id_numbers:
                self.id_numbers.add(key)
                return number

    def past_date(self, earliest_days: int, latest_days: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(latest_days, earliest_days))

    def jitter(self, community: _Community) -> tuple[Decimal, Decimal]:
        dlat, dlng = _disc(self.rng, 0.0045)  # about 500 m
        return _coord(community.lat + dlat), _coord(community.lng + dlng)

    # --- phases

    def run(self) -> DemoSummary:
        started = time.perf_counter()
        log = self.log
        plan = _plan_regions(random.Random(f"{self.seed}:regions"), self.n_communities)
        self.plan = plan
        for region in plan.regions:
            validate_region(code=region.code, level=region.level, parent=region.parent)
        Region.objects.bulk_create(plan.regions, batch_size=1_000)
        self.summary.regions = len(plan.regions)
        self.summary.communities = len(plan.communities)
        log(f"区划 regions: {len(plan.regions)} ({len(plan.streets)} streets, {len(plan.communities)} communities)")

        self.password = make_password(DEMO_PASSWORD)
        self.create_staff_users()

        self.next_id = {model: (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1 for model in _Writer.ORDER}
        self.plan_households()
        self.create_institutions()
        log(f"机构 institutions: {len(self.institutions)}; writer: {self.writer.name}")
        self.generate_elders(started)
        self.link_elder_and_family_users()
        self.finish()
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def create_staff_users(self) -> None:
        """The system user that records consents, and one demo login per role (elder and family come later)."""
        sc = self.plan.streets[0]  # first street of 上城区
        street_code = sc[1]
        community = next(c for c in self.plan.communities if c.code.startswith(street_code[:9]))
        self.demo_community = community
        city, county = data.CITY[0], data.COUNTIES[0].code6 + "000000"
        self.staff = [
            # username, role, region code, display name, superuser
            ("admin", Role.SYSTEM_ADMIN, None, "系统管理员", True),
            ("city_officer", Role.CIVIL_CITY, city, "杭州市民政局 王科长", False),
            ("county_officer", Role.CIVIL_COUNTY, county, "上城区民政局 陈科员", False),
            ("street_officer", Role.CIVIL_STREET, street_code, f"{sc[2]} 张专员", False),
            ("centre_operator", Role.CENTER_OPERATOR, street_code, f"{sc[2]}养老服务中心 李主任", False),
            ("community_worker", Role.COMMUNITY_WORKER, community.code, f"{community.name} 周社工", False),
            ("advisor", Role.CARE_ADVISOR, community.code, f"{community.name} 养老顾问 徐颖", False),
            ("doctor", Role.FAMILY_DOCTOR, community.code, f"{community.name} 家庭医生 沈医生", False),
            ("provider_admin", Role.PROVIDER_ADMIN, county, "安康居家养老服务公司 吴经理", False),
            ("caregiver", Role.CAREGIVER, street_code, "护理员 金秀芳", False),
            ("volunteer", Role.VOLUNTEER, community.code, "志愿者 朱晓东", False),
        ]
        existing = set(User.objects.filter(username__in=[SYSTEM_USERNAME, *(s[0] for s in self.staff)]).values_list("username", flat=True))
        new = []
        if SYSTEM_USERNAME not in existing:
            new.append(
                User(
                    username=SYSTEM_USERNAME,
                    password=make_password(None),
                    is_active=False,
                    role=Role.VOLUNTEER,
                    display_name="系统（演示数据）",
                )
            )
        for username, role, region, display, superuser in self.staff:
            self._check_level(role, region)
            if username in existing:
                self.log(f"用户 {username} 已存在，保持不变 / user {username} exists, left unchanged")
                continue
            new.append(
                User(
                    username=username,
                    password=self.password,
                    role=role,
                    region_id=region,
                    display_name=display,
                    is_superuser=superuser,
                    is_staff=superuser,
                )
            )
        User.objects.bulk_create(new)
        self.summary.users += len(new)
        self.system_user_id = User.objects.get(username=SYSTEM_USERNAME).pk

    def _check_level(self, role: str, region_code: str | None) -> None:
        required = REQUIRED_LEVEL[Role(role)]
        if required is None:
            return
        level = next((r.level for r in self.plan.regions if r.code == region_code), None)
        if level not in required:
            raise AssertionError(f"demo user for {role} at level {level}, needs {required}")

    def plan_households(self) -> None:
        """Which households exist, their kind and community (cheap arrays, so institutions can be sized first)."""
        rng = random.Random(f"{self.seed}:households")
        kinds = data.HOUSEHOLD_KINDS
        kind_cum = list(accumulate(share / size for _, size, share in kinds))
        single_of = {
            i: next(j for j, (s, n, _) in enumerate(kinds) if n == 1 and (s == status or (status == "empty_nest" and s == "alone")))
            for i, (status, _, _) in enumerate(kinds)
        }
        community_cum = list(accumulate(c.weight for c in self.plan.communities))
        self.hh_kind = array("b")
        self.hh_community = array("i")
        left = self.n_elders
        while left > 0:
            k = _pick(rng, kind_cum)
            if kinds[k][1] > left:
                k = single_of[k]
            self.hh_kind.append(k)
            self.hh_community.append(_pick(rng, community_cum))
            left -= kinds[k][1]

        # Ages: one pool drawn from the age structure, handed out in the order of a noisy
        # per-household key (see data.AGE_LEAN); spouses get neighbouring keys, so close ages.
        n = self.n_elders
        pool = sorted(self.ages[_pick(rng, self.age_cum)] for _ in range(n))
        keys = array("d")
        for k in self.hh_kind:
            status, size, _ = kinds[k]
            base = data.AGE_LEAN[status] + rng.gauss(0, data.AGE_LEAN_NOISE)
            keys.extend(base + rng.gauss(0, 0.3) for _ in range(size))
        self.elder_age = array("b", bytes(n))
        for rank, slot in enumerate(sorted(range(n), key=keys.__getitem__)):
            self.elder_age[slot] = pool[rank]
        del keys, pool

        # Sexes: a couple is a man and a woman, the man older four times in five; the others
        # are women with the probability that brings each age band to data.FEMALE_SHARE.
        def band(age: int) -> int:
            return next(i for i, (lo, _) in reversed(list(enumerate(data.FEMALE_SHARE))) if age >= lo)

        self.elder_female = array("b", bytes(n))
        singles: list[int] = []
        total, women = [0] * len(data.FEMALE_SHARE), [0] * len(data.FEMALE_SHARE)
        slot = 0
        for k in self.hh_kind:
            if kinds[k][1] == 2:
                a, b = self.elder_age[slot], self.elder_age[slot + 1]
                female_first = (a > b) != (rng.random() < 0.8) if a != b else rng.random() < 0.5
                self.elder_female[slot if female_first else slot + 1] = 1
                for s in (slot, slot + 1):
                    total[band(self.elder_age[s])] += 1
                    women[band(self.elder_age[s])] += self.elder_female[s]
            else:
                singles.append(slot)
                total[band(self.elder_age[slot])] += 1
            slot += kinds[k][1]
        single_count = Counter(band(self.elder_age[s]) for s in singles)
        p_female = [
            min(0.95, max(0.05, (share * total[i] - women[i]) / single_count[i])) if single_count[i] else 0.5
            for i, (_, share) in enumerate(data.FEMALE_SHARE)
        ]
        for s in singles:
            self.elder_female[s] = rng.random() < p_female[band(self.elder_age[s])]

    def create_institutions(self) -> None:
        rng = random.Random(f"{self.seed}:institutions")
        residents = [0] * len(data.COUNTIES)
        inst_kind = next(i for i, k in enumerate(data.HOUSEHOLD_KINDS) if k[0] == LivingStatus.IN_INSTITUTION)
        for k, c in zip(self.hh_kind, self.hh_community, strict=True):
            if k == inst_kind:
                residents[self.plan.communities[c].county_index] += 1
        by_county: dict[int, list[_Community]] = {}
        for community in self.plan.communities:
            by_county.setdefault(community.county_index, []).append(community)
        own_names = _NamePool(rng, data.PLACE_FIRST, data.URBAN_SECOND, lambda n, c: f"{n}{data.CHINESE_NUMERALS[c % 10]}")
        ownership_cum = list(accumulate(p for _, p in data.OWNERSHIP_MIX))
        self.institutions: list[dict] = []
        self.residential: dict[int, list[int]] = {}  # county index → positions in self.institutions

        def add(kind, ownership, community, name, beds, nursing, county_index, residential):
            row = {
                "id": self.next_id[Institution] + len(self.institutions),
                "name": name,
                "kind": kind,
                "ownership": ownership,
                "community_id": community.code,
                "address": f"杭州市{community.county}{community.street}{own_names.next()}{rng.choice(data.ROAD_SUFFIXES)}{rng.randint(1, 399)}号",
                "beds": beds,
                "nursing_beds": nursing,
            }
            if residential:
                self.residential.setdefault(county_index, []).append(len(self.institutions))
            self.institutions.append(row)

        for ci, spec in enumerate(data.COUNTIES):
            comms = by_county[ci]
            if ci == 0:
                add(FacilityKind.CITY_CENTRE, Ownership.PUBLIC, self.demo_community, "杭州市养老服务指导中心", 300, 210, ci, True)
            target = math.ceil(residents[ci] * rng.uniform(1.3, 1.7)) + 60
            centre_beds = max(200, 10 * round(target * 0.3 / 10))
            add(
                FacilityKind.COUNTY_CENTRE,
                Ownership.PUBLIC,
                rng.choice(comms),
                f"{spec.name}养老服务中心",
                centre_beds,
                math.ceil(centre_beds * rng.uniform(0.6, 0.75)),
                ci,
                True,
            )
            street_comm = rng.choice(comms)
            beds = rng.choice((50, 60, 80))
            add(
                FacilityKind.STREET_CENTRE,
                Ownership.PUBLIC_BUILT_PRIVATE_RUN,
                street_comm,
                f"{street_comm.street}养老服务中心",
                beds,
                math.ceil(beds * rng.uniform(0.55, 0.7)),
                ci,
                True,
            )
            remaining = max(target - centre_beds - beds, 60)
            n = max(2, math.ceil(remaining / 180))
            for share in _allocate(remaining, [rng.uniform(0.5, 1.5) for _ in range(n)], minimum=1):
                beds = max(30, 10 * math.ceil(share / 10))
                ownership = data.OWNERSHIP_MIX[_pick(rng, ownership_cum)][0]
                community = rng.choice(comms)
                prefix = community.name.removesuffix("社区").removesuffix("村")
                add(
                    FacilityKind.INSTITUTION,
                    ownership,
                    community,
                    f"{spec.name.removesuffix('区').removesuffix('县').removesuffix('市')}{prefix}{rng.choice(data.INSTITUTION_SUFFIXES)}",
                    beds,
                    math.ceil(beds * rng.uniform(0.3, 0.8)),
                    ci,
                    True,
                )
            for _ in range(2):
                community = rng.choice(comms)
                add(FacilityKind.DAY_CARE, Ownership.PUBLIC_BUILT_PRIVATE_RUN, community, f"{community.name}日间照料中心", 10, 0, ci, False)
                community = rng.choice(comms)
                add(
                    FacilityKind.STATION,
                    rng.choice((Ownership.PUBLIC, Ownership.PUBLIC_BUILT_PRIVATE_RUN)),
                    community,
                    f"{community.name}居家养老服务站",
                    0,
                    0,
                    ci,
                    False,
                )
        for row in self.institutions:
            self.writer.add(Institution, row)
        self.writer.flush()
        self.occupancy = [0] * len(self.institutions)
        self.summary.institutions = len(self.institutions)

    def place_in_institution(self, county_index: int) -> dict:
        candidates = self.residential[county_index]
        cum = list(accumulate(self.institutions[i]["beds"] for i in candidates))
        start = _pick(self.rng, cum)
        for step in range(len(candidates)):
            i = candidates[(start + step) % len(candidates)]
            if self.occupancy[i] < self.institutions[i]["beds"]:
                self.occupancy[i] += 1
                return self.institutions[i]
        raise AssertionError("institutions are sized above their residents")

    def generate_elders(self, started: float) -> None:
        rng = self.rng
        communities = self.plan.communities
        kinds = data.HOUSEHOLD_KINDS
        written_elders = pending = 0
        next_report = self.n_elders // 10 or 1
        for k, ci in zip(self.hh_kind, self.hh_community, strict=True):
            status, size, _ = kinds[k]
            community = communities[ci]
            institution = None
            if status == LivingStatus.IN_INSTITUTION:
                institution = self.place_in_institution(community.county_index)
                household_id = None
                address = f"{institution['address']}（{institution['name']}）"
                lat, lng = self.jitter(community)
            else:
                household_id = self._take(Household)
                if community.rural:
                    address = f"杭州市{community.county}{community.street}{community.name}{rng.randint(1, 320)}号"
                else:
                    address = (
                        f"杭州市{community.county}{community.street}{community.name}"
                        f"{rng.randint(1, 40)}幢{rng.randint(1, 4)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
                    )
                lat, lng = self.jitter(community)
                self.writer.add(
                    Household,
                    {
                        "id": household_id,
                        "community_id": community.code,
                        "address": address,
                        "latitude": lat,
                        "longitude": lng,
                        "created_at": self.now,
                    },
                )
            members = [
                (self.elder_age[slot], Sex.FEMALE if self.elder_female[slot] else Sex.MALE)
                for slot in range(written_elders, written_elders + size)
            ]
            people = [(age, sex, self.surname() + self.given(sex), self._take(Elder)) for age, sex in members]
            # Children carry the father's surname; for a woman on her own it is often unknown here.
            father = next((p[2][0] for p in people if p[1] == Sex.MALE), None)
            family_surname = father or (self.surname() if rng.random() < 0.5 else people[0][2][0])
            children = (
                []
                if status == LivingStatus.ALONE and rng.random() < 0.15
                else [self.person(family_surname) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
            )
            phones = [self.mobile() if rng.random() < (0.92 if age < 80 else 0.7) else "" for age, *_ in people]
            home = _Home(status, community, household_id, institution, address, lat, lng, children)
            for n, (age, sex, name, elder_id) in enumerate(people):
                spouse = (people[1 - n][2], phones[1 - n]) if size == 2 else None
                self.elder(home, elder_id, name, age, sex, phones[n], spouse)
            written_elders += size
            pending += size
            if pending >= CHUNK_ELDERS:
                self.writer.flush()
                pending = 0
            if written_elders >= next_report:
                elapsed = time.perf_counter() - started
                self.log(f"  {written_elders:,}/{self.n_elders:,} 老年人 elders, {elapsed:.1f} s (writing {self.writer.seconds:.1f} s)")
                next_report += self.n_elders // 10 or 1
        self.writer.flush()
        written = self.writer.written
        self.summary.elders = written[Elder]
        self.summary.households = written[Household]
        self.summary.contacts = written[Contact]
        self.summary.groups = written[ElderGroup]
        self.summary.consents = written[Consent]

    def person(self, surname: str | None = None) -> tuple[str, str]:
        """A younger person (child, neighbour, worker): name and mobile number."""
        sex = Sex.MALE if self.rng.random() < 0.5 else Sex.FEMALE
        return (surname or self.surname()) + self.given(sex, child=True), self.mobile()

    def elder(self, home: _Home, elder_id: int, name: str, age: int, sex: str, phone: str, spouse: tuple[str, str] | None) -> None:
        """One elder's record, priority groups, contacts and consent."""
        rng = self.rng
        community, living = home.community, home.living
        birth = self.birth(age)
        hukou = community
        if rng.random() < data.HUKOU_ELSEWHERE:
            other = rng.randrange(len(self.plan.communities) - 1)
            hukou = self.plan.communities[other + (other >= community.index)]
        number = self.id_number(hukou.code[:6], birth, sex)
        u = rng.random()
        status, status_date = ElderStatus.ACTIVE, None
        if u < data.DECEASED:
            status, status_date = ElderStatus.DECEASED, self.past_date(365, 1)
        elif u < data.DECEASED + data.MOVED_OUT:
            status, status_date = ElderStatus.MOVED_OUT, self.past_date(365, 1)
        self.writer.add(
            Elder,
            {
                "id": elder_id,
                "name": name,
                "id_number": number,
                "id_hash": keyed_hash(number),
                "id_masked": idnumber.mask(number),
                "birth_date": birth,
                "sex": sex,
                "hukou_region_id": hukou.code,
                "residence_id": community.code,
                "household_id": home.household_id,
                "institution_id": home.institution["id"] if home.institution else None,
                "phone": phone,
                "phone_masked": mask_phone(phone),
                "address": home.address,
                "latitude": home.lat,
                "longitude": home.lng,
                "living_status": living,
                "status": status,
                "status_date": status_date,
                "user_id": None,
                "notes": "",
                "created_at": self.now,
                "updated_at": self.now,
            },
        )
        health = self.groups(elder_id, age)

        # Contacts, in the order they are called; exactly one emergency contact.
        kids = [(c_name, Relation.CHILD, c_phone) for c_name, c_phone in home.children]
        if living == LivingStatus.EMPTY_NEST:
            candidates = kids[:1] + ([(spouse[0], Relation.SPOUSE, spouse[1])] if spouse and spouse[1] else []) + kids[1:]
        elif living == LivingStatus.WITH_FAMILY:
            candidates = kids[:1] + [self._contact(Relation.CHILD_IN_LAW)] + kids[1:]
        elif living == LivingStatus.LEFT_BEHIND:
            candidates = kids[:1] + [self._contact(Relation.NEIGHBOUR)]
        elif living == LivingStatus.IN_INSTITUTION:
            candidates = kids[:2]
        else:  # alone
            worker_name, worker_phone = self.person()
            candidates = kids[:1] + [
                self._contact(rng.choice((Relation.SIBLING, Relation.RELATIVE, Relation.NEIGHBOUR))),
                (f"{worker_name}（{community.name}网格员）", Relation.COMMUNITY, worker_phone),
            ]
        if not candidates:
            candidates = [self._contact(Relation.RELATIVE)]
        count = 2 if health or rng.random() < 0.5 else 1
        guardian_name = None
        for priority, (c_name, relation, c_phone) in enumerate(candidates[:count], start=1):
            guardian = bool(health) and priority == 1
            if guardian:
                guardian_name = c_name
            self.writer.add(
                Contact,
                {
                    "id": self._take(Contact),
                    "elder_id": elder_id,
                    "name": c_name,
                    "relation": relation,
                    "phone": c_phone,
                    "phone_masked": mask_phone(c_phone),
                    "is_guardian": guardian,
                    "is_emergency": priority == 1,
                    "priority": priority,
                    "user_id": None,
                },
            )

        u = rng.random()
        if u < 0.97:
            proxy = health == "dementia" and guardian_name
            self.writer.add(
                Consent,
                {
                    "id": self._take(Consent),
                    "elder_id": elder_id,
                    "kind": ConsentKind.DATA_PROCESSING,
                    "granted": u < 0.96,
                    "signed_by": guardian_name if proxy else name,
                    "recorded_at": self.now,
                    "recorded_by_id": self.system_user_id,
                    "note": "监护人代签" if proxy else "",
                },
            )

    def _contact(self, relation: str) -> tuple[str, str, str]:
        name, phone = self.person()
        return name, relation, phone

    def _take(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] += 1
        return value

    def groups(self, elder_id: int, age: int) -> str | None:
        """Priority-group memberships; returns "disabled"/"dementia" when a guardian is needed."""
        rng = self.rng
        old = age >= 80
        rows = []
        health = None

        def add(group, level, valid_from, valid_to=None, source=""):
            rows.append((group, level, valid_from, valid_to, source))

        def level_of(mix):
            u, acc = rng.random(), 0.0
            for lv, p in mix:
                acc += p
                if u < acc:
                    return lv
            return mix[-1][0]

        if rng.random() < (data.DISABLED_80_PLUS if old else data.DISABLED_UNDER_80):
            level = level_of(data.DISABILITY_LEVELS)
            start = self.past_date(3650, 30)
            add(PriorityGroup.DISABLED, level, start, None, f"能力评估 PG{start.year}{rng.randrange(1_000_000):06d}")
            if level != "mild" and rng.random() < 0.15:  # reassessed: an earlier, milder finding ended
                earlier = start - dt.timedelta(days=rng.randint(200, 1500))
                lower = "mild" if level == "moderate" else "moderate"
                add(
                    PriorityGroup.DISABLED,
                    lower,
                    earlier,
                    start - dt.timedelta(days=1),
                    f"能力评估 PG{earlier.year}{rng.randrange(1_000_000):06d}",
                )
            health = "disabled"
        if rng.random() < (data.DEMENTIA_80_PLUS if old else data.DEMENTIA_UNDER_80):
            start = self.past_date(3650, 30)
            add(
                PriorityGroup.DEMENTIA,
                level_of((("mild", 0.4), ("moderate", 0.35), ("severe", 0.25))),
                start,
                None,
                f"能力评估 PG{start.year}{rng.randrange(1_000_000):06d}",
            )
            health = "dementia"
        u, acc, poor = rng.random(), 0.0, None
        for group, p in data.POVERTY_GROUPS:
            acc += p
            if u < acc:
                poor = group
                break
        if poor:
            start = self.past_date(3650, 30)
            add(poor, "", start, None, f"杭民救〔{start.year}〕{rng.randint(1, 300)}号")
        elif rng.random() < 0.01:  # left 低保边缘 some years ago
            start = self.past_date(3650, 1500)
            add(
                PriorityGroup.DIBAO_EDGE,
                "",
                start,
                start + dt.timedelta(days=rng.randint(180, 1200)),
                f"杭民救〔{start.year}〕{rng.randint(1, 300)}号",
            )
        if rng.random() < data.FP_SPECIAL:
            start = self.past_date(3650, 30)
            add(PriorityGroup.FAMILY_PLANNING_SPECIAL, "", start, None, f"杭卫计特〔{start.year}〕{rng.randint(1, 99)}号")
        if rng.random() < data.SEVERE_HANDICAP:
            start = self.past_date(3650, 30)
            add(PriorityGroup.SEVERE_HANDICAP, "", start, None, f"残联认定 {start.year}-{rng.randrange(100_000):05d}")
        for group, level, valid_from, valid_to, source in rows:
            self.writer.add(
                ElderGroup,
                {
                    "id": self._take(ElderGroup),
                    "elder_id": elder_id,
                    "group": group,
                    "level": level,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "source": source,
                    "recorded_at": self.now,
                },
            )
        return health

    def link_elder_and_family_users(self) -> None:
        """The `elder` login is an 80+ elder living alone in the demo community; `family` is their first child contact."""
        community = self.demo_community.code
        active = Elder.objects.filter(residence_id=community, status=ElderStatus.ACTIVE, user__isnull=True)
        elder = (
            active.filter(living_status=LivingStatus.ALONE, birth_date__lte=_years_before(self.today, 80)).order_by("id").first()
            or active.order_by("id").first()
        )
        if elder is None:
            raise AssertionError("the demo community has no elder")
        contact = elder.contacts.filter(relation__in=[Relation.CHILD, Relation.CHILD_IN_LAW]).order_by("priority", "id").first()
        contact = contact or elder.contacts.order_by("priority", "id").first()
        existing = set(User.objects.filter(username__in=["elder", "family"]).values_list("username", flat=True))
        new = {}
        if "elder" not in existing:
            new["elder"] = User(username="elder", password=self.password, role=Role.ELDER, region_id=community, display_name=elder.name)
        if "family" not in existing:
            new["family"] = User(
                username="family", password=self.password, role=Role.FAMILY, region_id=community, display_name=contact.name.split("（")[0]
            )
        User.objects.bulk_create(list(new.values()))
        self.summary.users += len(new)
        if "elder" in new:
            Elder.objects.filter(pk=elder.pk).update(user=new["elder"])
        if "family" in new:
            Contact.objects.filter(pk=contact.pk).update(user=new["family"])
        self.staff += [
            ("elder", Role.ELDER, community, elder.name, False),
            ("family", Role.FAMILY, community, contact.name, False),
        ]
        names = dict(Region.objects.filter(code__in=[s[2] for s in self.staff if s[2]]).values_list("code", "name"))
        self.summary.logins = [(username, str(Role(role).label), names.get(region, "—")) for username, role, region, _, _ in self.staff]

    def finish(self) -> None:
        explicit = [Institution, Household, Elder, ElderGroup, Contact, Consent]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), explicit):
                cursor.execute(sql)
            for model in [Region, *explicit]:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --------------------------------------------------------------------------- reset


def demo_data_present() -> dict[str, int]:
    """Counts of rows that would clash with a new demo city (empty dict: none)."""
    counts = {"elders": Elder.objects.count(), "regions": Region.objects.count()}
    return {k: v for k, v in counts.items() if v}


def _reverse_relations(model: type[models.Model]):
    """Foreign keys and one-to-ones elsewhere (many-to-many tables included) that point at model."""
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            yield rel


def _wipe(qs: models.QuerySet, log: Log, depth: int = 0) -> int:
    """Delete the rows of qs with plain SQL, dependent rows first, without loading them or sending signals.

    Rows pointing at them are deleted too (CASCADE, PROTECT, RESTRICT: all demo
    data), or set to NULL (SET_NULL); a self-reference is fine only when the whole
    table goes.
    """
    if depth > 12:
        raise RuntimeError("relations too deep to wipe")
    model = qs.model
    for rel in _reverse_relations(model):
        related, fk = rel.related_model, rel.field
        if related is model:
            if qs.query.where:
                raise RuntimeError(f"cannot wipe part of self-referencing {model.__name__}")
            continue
        dependents = related._base_manager.filter(**{f"{fk.name}__in": qs})
        if rel.on_delete is models.DO_NOTHING:
            continue
        if rel.on_delete is models.SET_NULL:
            dependents.update(**{fk.name: None})
        else:
            _wipe(dependents, log, depth + 1)
    deleted = qs._raw_delete(qs.db)
    if deleted:
        log(f"  删除 deleted {deleted:,} {model._meta.label}")
    return deleted


def reset_demo_data(log: Log = print) -> None:
    """Delete what a demo build creates (and anything hanging off it), in FK-safe order.

    Elders (with their groups, contacts, consents and any other app's rows about
    them), households, institutions, users other than superusers, regions.
    Superusers stay, detached from their region.
    """
    started = time.perf_counter()
    log("清除演示数据 / deleting demo data")
    with transaction.atomic():
        _wipe(Elder._base_manager.all(), log)
        _wipe(Household._base_manager.all(), log)
        _wipe(Institution._base_manager.all(), log)
        _wipe(User._base_manager.filter(is_superuser=False), log)
        User._base_manager.filter(region__isnull=False).update(region=None)
        _wipe(Region._base_manager.all(), log)
    log(f"  {time.perf_counter() - started:.1f} s")


# --------------------------------------------------------------------------- entry point


def build_demo_city(
    *,
    elders: int = 50_000,
    communities: int | None = None,
    seed: int = 2026,
    log: Log = print,
    reset: bool = False,
    writer: str | None = None,
) -> DemoSummary:
    """Build the demo city in one transaction and return what was made.

    Raises DemoDataExists when elders or regions are already there and `reset` is false.
    `writer`: "copy" (PostgreSQL COPY, the default there), "sql" (INSERT executemany, the
    default elsewhere) or "orm" (bulk_create, slowest, the reference the others must match).
    """
    if elders < 2:
        raise ValueError("elders must be at least 2")
    communities = communities or default_communities(elders)
    if communities < 2 * len(data.COUNTIES):
        raise ValueError(f"communities must be at least {2 * len(data.COUNTIES)}")
    writer = writer or _default_writer()
    if writer not in WRITERS or (writer == "copy" and connection.vendor != "postgresql"):
        raise ValueError(f"unknown writer {writer!r} for {connection.vendor}")
    with transaction.atomic():
        if reset:
            reset_demo_data(log)
        present = demo_data_present()
        if present:
            found = ", ".join(f"{v:,} {k}" for k, v in present.items())
            raise DemoDataExists(f"数据库中已有数据（{found}）/ the database already holds {found}: reset it first")
        log(f"生成演示城市 / building demo city: {elders:,} elders, {communities:,} communities, seed {seed}")
        summary = _City(elders=elders, communities=communities, seed=seed, log=log, writer=writer).run()
    log(f"完成 done: {summary.rows:,} rows in {summary.seconds:.1f} s ({summary.rows / max(summary.seconds, 1e-9):,.0f} rows/s)")
    return summary
