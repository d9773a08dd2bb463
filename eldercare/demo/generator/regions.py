"""The region tree (province → city → Hangzhou's real counties → made-up streets and
communities) and the care institutions, sized to the residents the households send them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from itertools import accumulate

from eldercare.elders.models import LivingStatus
from eldercare.facilities.models import FacilityKind, Ownership
from eldercare.regions.models import Level, Region

from .. import data
from .draws import NamePool, allocate, disc, pick
from .households import HouseholdPlan


@dataclass
class Community:
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
class RegionPlan:
    regions: list[Region]
    communities: list[Community]
    streets: list[tuple[int, str, str]]  # (county index, code, name)

    @property
    def demo_street(self) -> tuple[int, str, str]:
        """The first street of 上城区: the demo logins below the county work there."""
        return self.streets[0]

    @property
    def demo_community(self) -> Community:
        prefix = self.demo_street[1][:9]
        return next(c for c in self.communities if c.code.startswith(prefix))


def plan_regions(rng: random.Random, n_communities: int) -> RegionPlan:
    province = Region(code=data.PROVINCE[0], name=data.PROVINCE[1], level=Level.PROVINCE)
    city = Region(code=data.CITY[0], name=data.CITY[1], level=Level.CITY, parent=province)
    regions = [province, city]
    communities: list[Community] = []
    streets: list[tuple[int, str, str]] = []

    street_names = NamePool(rng, data.PLACE_FIRST, data.STREET_SECOND, lambda n, c: data.CHINESE_NUMERALS[(c - 1) % 10] + n)
    urban_names = NamePool(rng, data.PLACE_FIRST, data.URBAN_SECOND, lambda n, c: f"{n}{data.CHINESE_NUMERALS[c % 10]}区")
    village_names = NamePool(rng, data.PLACE_FIRST, data.RURAL_SECOND, lambda n, c: data.VILLAGE_PREFIXES[(c - 1) % 10] + n)

    # Villages are smaller than urban communities, so rural counties get more of them per elder.
    per_county = allocate(n_communities, [c.elder_weight * (1 + 0.8 * c.rural_share) for c in data.COUNTIES], minimum=2)
    for ci, (spec, n_comm) in enumerate(zip(data.COUNTIES, per_county, strict=True)):
        county = Region(code=spec.code6 + "000000", name=spec.name, level=Level.COUNTY, parent=city, is_main_urban=spec.main_urban)
        regions.append(county)
        n_rural = round(n_comm * spec.rural_share)
        n_urban = n_comm - n_rural
        kinds = [(False, n) for n in allocate(n_urban, [rng.uniform(0.6, 1.4) for _ in range(math.ceil(n_urban / 12))])] if n_urban else []
        if n_rural:
            kinds += [(True, n) for n in allocate(n_rural, [rng.uniform(0.6, 1.4) for _ in range(math.ceil(n_rural / 14))])]
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
            dlat, dlng = disc(rng, spec.radius)
            s_lat, s_lng = spec.lat + dlat, spec.lng + dlng
            for k in range(1, n_in_street + 1):
                name = village_names.next() + "村" if rural else urban_names.next() + "社区"
                code = f"{street_code[:9]}{k:03d}"
                regions.append(
                    Region(code=code, name=name, level=Level.COMMUNITY, parent=street, is_main_urban=spec.main_urban, is_rural=rural)
                )
                dlat, dlng = disc(rng, max(spec.radius / 4, 0.006))
                weight = rng.lognormvariate(0, 0.35) * (0.55 if rural else 1.0)
                county_weights.append(weight)
                communities.append(
                    Community(len(communities), code, name, street_name, spec.name, ci, rural, s_lat + dlat, s_lng + dlng, weight)
                )
        # A community's share of the city's elders: its county's share, split by the communities' weights.
        total = sum(county_weights)
        share = spec.elder_weight / sum(c.elder_weight for c in data.COUNTIES)
        for community in communities[first_index:]:
            community.weight = share * community.weight / total
    return RegionPlan(regions, communities, streets)


class Institutions:
    """Institution rows (dicts of attname → value, keys from `first_id`) and the beds taken in them.

    Each county gets residential beds above the residents its households send to
    institutions, so `place` always finds a bed in the elder's own county.
    """

    def __init__(self, rng: random.Random, plan: RegionPlan, households: HouseholdPlan, first_id: int):
        residents = [0] * len(data.COUNTIES)
        inst_kind = next(i for i, k in enumerate(data.HOUSEHOLD_KINDS) if k[0] == LivingStatus.IN_INSTITUTION)
        for k, c in zip(households.kind, households.community, strict=True):
            if k == inst_kind:
                residents[plan.communities[c].county_index] += 1
        by_county: dict[int, list[Community]] = {}
        for community in plan.communities:
            by_county.setdefault(community.county_index, []).append(community)
        own_names = NamePool(rng, data.PLACE_FIRST, data.URBAN_SECOND, lambda n, c: f"{n}{data.CHINESE_NUMERALS[c % 10]}")
        ownership_cum = list(accumulate(p for _, p in data.OWNERSHIP_MIX))
        self.rows: list[dict] = []
        self.residential: dict[int, list[int]] = {}  # county index → positions in self.rows

        def add(kind, ownership, community, name, beds, nursing, county_index, residential):
            row = {
                "id": first_id + len(self.rows),
                "name": name,
                "kind": kind,
                "ownership": ownership,
                "community_id": community.code,
                "address": f"杭州市{community.county}{community.street}{own_names.next()}{rng.choice(data.ROAD_SUFFIXES)}{rng.randint(1, 399)}号",
                "beds": beds,
                "nursing_beds": nursing,
            }
            if residential:
                self.residential.setdefault(county_index, []).append(len(self.rows))
            self.rows.append(row)

        for ci, spec in enumerate(data.COUNTIES):
            comms = by_county[ci]
            if ci == 0:
                add(FacilityKind.CITY_CENTRE, Ownership.PUBLIC, plan.demo_community, "杭州市养老服务指导中心", 300, 210, ci, True)
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
            for share in allocate(remaining, [rng.uniform(0.5, 1.5) for _ in range(n)], minimum=1):
                beds = max(30, 10 * math.ceil(share / 10))
                ownership = data.OWNERSHIP_MIX[pick(rng, ownership_cum)][0]
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
        self.occupancy = [0] * len(self.rows)

    def place(self, rng: random.Random, county_index: int) -> dict:
        """A residential institution of the county with a free bed, drawn by size; the bed is taken."""
        candidates = self.residential[county_index]
        cum = list(accumulate(self.rows[i]["beds"] for i in candidates))
        start = pick(rng, cum)
        for step in range(len(candidates)):
            i = candidates[(start + step) % len(candidates)]
            if self.occupancy[i] < self.rows[i]["beds"]:
                self.occupancy[i] += 1
                return self.rows[i]
        raise AssertionError("institutions are sized above their residents")
