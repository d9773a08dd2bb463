"""Households and their elders, with each elder's contacts, priority groups and consent.

All of it comes from one generator, in the order of the household plan, so a
draw added or moved anywhere here changes every elder after it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from eldercare.core.crypto import keyed_hash
from eldercare.elders import idnumber
from eldercare.elders.models import Consent, ConsentKind, Contact, Elder, ElderGroup, ElderStatus, Household, LivingStatus, Relation, Sex
from eldercare.elders.selectors import years_before
from eldercare.elders.services import mask_phone
from eldercare.facilities.models import Stay, StayKind

from .. import data
from .assessments import Assessments
from .draws import coord, disc, past_date, pick
from .groups import priority_groups
from .households import HouseholdPlan, age_structure
from .regions import Community, Institutions, RegionPlan
from .writers import Writer

CHUNK_ELDERS = 5_000  # rows are written after about this many elders


@dataclass
class Home:
    """Where the elders of one household live, and the children they share."""

    living: str
    community: Community
    household_id: int | None
    institution: dict | None
    address: str
    lat: Decimal
    lng: Decimal
    children: list[tuple[str, str]]  # (name, mobile)


class People:
    def __init__(
        self,
        *,
        rng: random.Random,
        today: dt.date,
        now: dt.datetime,
        writer: Writer,
        plan: RegionPlan,
        households: HouseholdPlan,
        institutions: Institutions,
        system_user_id: int,
        assessments: Assessments | None = None,
    ):
        self.rng = rng
        self.assessments = assessments
        self.today = today
        self.now = now
        self.writer = writer
        self.communities = plan.communities
        self.households = households
        self.institutions = institutions
        self.system_user_id = system_user_id
        self.surnames = [s for s, _ in data.SURNAMES]
        self.surname_cum = list(accumulate(w for _, w in data.SURNAMES))
        self.birth_range = {
            age: (years_before(today, age + 1).toordinal() + 1, years_before(today, age).toordinal()) for age in age_structure()[0]
        }
        self.id_numbers: set[int] = set()

    # --- small draws

    def surname(self) -> str:
        return self.surnames[pick(self.rng, self.surname_cum)]

    def given(self, sex: str, *, child: bool = False) -> str:
        if child:
            return self.rng.choice(data.CHILD_MALE_GIVEN if sex == Sex.MALE else data.CHILD_FEMALE_GIVEN)
        return self.rng.choice(data.ELDER_MALE_GIVEN if sex == Sex.MALE else data.ELDER_FEMALE_GIVEN)

    def mobile(self) -> str:
        return self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"

    def person(self, surname: str | None = None) -> tuple[str, str]:
        """A younger person (child, neighbour, worker): name and mobile number."""
        sex = Sex.MALE if self.rng.random() < 0.5 else Sex.FEMALE
        return (surname or self.surname()) + self.given(sex, child=True), self.mobile()

    def contact(self, relation: Relation) -> tuple[str, Relation, str]:
        name, phone = self.person()
        return name, relation, phone

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
        return past_date(self.rng, self.today, earliest_days, latest_days)

    def jitter(self, community: Community) -> tuple[Decimal, Decimal]:
        dlat, dlng = disc(self.rng, 0.0045)  # about 500 m
        return coord(community.lat + dlat), coord(community.lng + dlng)

    # --- rows

    def generate(self, started: float, log: Callable[[str], None]) -> None:
        """Every household of the plan, written every CHUNK_ELDERS elders; progress logged by tenths."""
        rng = self.rng
        kinds = data.HOUSEHOLD_KINDS
        plan = self.households
        n_elders = len(plan.age)
        written_elders = pending = 0
        next_report = n_elders // 10 or 1
        for k, ci in zip(plan.kind, plan.community, strict=True):
            status, size, _ = kinds[k]
            community = self.communities[ci]
            institution = None
            if status == LivingStatus.IN_INSTITUTION:
                institution = self.institutions.place(rng, community.county_index)
                household_id = None
                address = f"{institution['address']}（{institution['name']}）"
                lat, lng = self.jitter(community)
            else:
                household_id = self.writer.take_id(Household)
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
                (plan.age[slot], Sex.FEMALE if plan.female[slot] else Sex.MALE) for slot in range(written_elders, written_elders + size)
            ]
            people = [(age, sex, self.surname() + self.given(sex), self.writer.take_id(Elder)) for age, sex in members]
            # Children carry the father's surname; for a woman on her own it is often unknown here.
            father = next((p[2][0] for p in people if p[1] == Sex.MALE), None)
            family_surname = father or (self.surname() if rng.random() < 0.5 else people[0][2][0])
            children = (
                []
                if status == LivingStatus.ALONE and rng.random() < 0.15
                else [self.person(family_surname) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
            )
            phones = [self.mobile() if rng.random() < (0.92 if age < 80 else 0.7) else "" for age, *_ in people]
            home = Home(status, community, household_id, institution, address, lat, lng, children)
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
                log(f"  {written_elders:,}/{n_elders:,} 老年人 elders, {elapsed:.1f} s (writing {self.writer.seconds:.1f} s)")
                next_report += n_elders // 10 or 1
        self.writer.flush()

    def elder(self, home: Home, elder_id: int, name: str, age: int, sex: str, phone: str, spouse: tuple[str, str] | None) -> None:
        """One elder's record, priority groups, contacts and consent."""
        rng = self.rng
        community, living = home.community, home.living
        birth = self.birth(age)
        hukou = community
        if rng.random() < data.HUKOU_ELSEWHERE:
            other = rng.randrange(len(self.communities) - 1)
            hukou = self.communities[other + (other >= community.index)]
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
        if home.institution:
            # Moved in 1 to 46 months ago (from the id, not the random stream, so the rest of the
            # city stays as it was); a stay ends when the elder left the register.
            start = self.today - dt.timedelta(days=30 + elder_id * 37 % 1_400)
            if status_date is not None and status_date < start:
                start = status_date - dt.timedelta(days=200)
            self.writer.add(
                Stay,
                {
                    "id": self.writer.take_id(Stay),
                    "elder_id": elder_id,
                    "facility_id": home.institution["id"],
                    "kind": StayKind.LONG_TERM,
                    "start": start,
                    "end": status_date,
                    "recorded_at": self.now,
                },
            )
        memberships, health = priority_groups(rng, self.today, age)
        for group, level, valid_from, valid_to, source in memberships:
            self.writer.add(
                ElderGroup,
                {
                    "id": self.writer.take_id(ElderGroup),
                    "elder_id": elder_id,
                    "group": group,
                    "level": level,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "source": source,
                    "recorded_at": self.now,
                },
            )
        if self.assessments is not None:  # draws from its own generator: elders stay as they were
            self.assessments.elder(elder_id, community.code, status, memberships)

        # Contacts, in the order they are called; exactly one emergency contact.
        kids = [(c_name, Relation.CHILD, c_phone) for c_name, c_phone in home.children]
        if living == LivingStatus.EMPTY_NEST:
            candidates = kids[:1] + ([(spouse[0], Relation.SPOUSE, spouse[1])] if spouse and spouse[1] else []) + kids[1:]
        elif living == LivingStatus.WITH_FAMILY:
            candidates = kids[:1] + [self.contact(Relation.CHILD_IN_LAW)] + kids[1:]
        elif living == LivingStatus.LEFT_BEHIND:
            candidates = kids[:1] + [self.contact(Relation.NEIGHBOUR)]
        elif living == LivingStatus.IN_INSTITUTION:
            candidates = kids[:2]
        else:  # alone
            worker_name, worker_phone = self.person()
            candidates = kids[:1] + [
                self.contact(rng.choice((Relation.SIBLING, Relation.RELATIVE, Relation.NEIGHBOUR))),
                (f"{worker_name}（{community.name}网格员）", Relation.COMMUNITY, worker_phone),
            ]
        if not candidates:
            candidates = [self.contact(Relation.RELATIVE)]
        count = 2 if health or rng.random() < 0.5 else 1
        guardian_name = None
        for priority, (c_name, relation, c_phone) in enumerate(candidates[:count], start=1):
            guardian = bool(health) and priority == 1
            if guardian:
                guardian_name = c_name
            self.writer.add(
                Contact,
                {
                    "id": self.writer.take_id(Contact),
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
                    "id": self.writer.take_id(Consent),
                    "elder_id": elder_id,
                    "kind": ConsentKind.DATA_PROCESSING,
                    "granted": u < 0.96,
                    "signed_by": guardian_name if proxy else name,
                    "recorded_at": self.now,
                    "recorded_by_id": self.system_user_id,
                    "note": "监护人代签" if proxy else "",
                },
            )
