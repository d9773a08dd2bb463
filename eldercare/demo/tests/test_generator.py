import datetime as dt
import hashlib
from collections import Counter

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import REQUIRED_LEVEL, Role
from eldercare.assessments.models import Assessment
from eldercare.core.crypto import keyed_hash
from eldercare.demo import data
from eldercare.demo.generator import DEMO_PASSWORD, DemoDataExists, build_demo_city, default_communities
from eldercare.elders import idnumber
from eldercare.elders.models import Consent, Contact, Elder, ElderGroup, Household, LivingStatus, PriorityGroup
from eldercare.facilities.models import Institution
from eldercare.regions.models import Level, Region
from eldercare.regions.services import validate_region

SMALL = 2_000


def quiet(_message):
    pass


@pytest.fixture
def demo(db):
    return build_demo_city(elders=SMALL, seed=7, log=quiet)


def age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def digest() -> str:
    """A fingerprint of what was generated, independent of primary keys."""
    h = hashlib.sha256()
    elders = sorted(Elder.objects.values_list("name", "id_hash", "residence_id", "birth_date", "sex", "living_status", "status", "address"))
    for row in elders:
        h.update(repr(row).encode())
    for e in Elder.objects.order_by("id_hash").prefetch_related("contacts", "groups", "stays__facility"):
        stays = sorted((s.facility.name, s.kind, s.start, s.end) for s in e.stays.all())
        h.update(f"{e.phone}|{e.latitude}|{e.longitude}|{e.hukou_region_id}|{stays}".encode())
        h.update(repr(sorted((c.name, c.relation, c.phone, c.is_guardian, c.is_emergency, c.priority) for c in e.contacts.all())).encode())
        h.update(repr(sorted((g.group, g.level, g.valid_from, g.valid_to, g.source) for g in e.groups.all())).encode())
    h.update(repr(sorted(Region.objects.values_list("code", "name", "level", "parent_id", "is_main_urban", "is_rural"))).encode())
    h.update(repr(sorted(Institution.objects.values_list("name", "kind", "ownership", "community_id", "beds", "nursing_beds"))).encode())
    assessments = Assessment.objects.select_related("elder", "assessor", "second_assessor", "reviewer").order_by("elder__id_hash", "status")
    for a in assessments:
        people = [p.username if p else "" for p in (a.assessor, a.second_assessor, a.reviewer)]
        h.update(repr((a.elder.id_hash, a.standard, a.status, a.reason, a.scheduled_for, a.assessed_on, people)).encode())
        h.update(repr((sorted(a.answers.items()), sorted(a.facts.items()), a.total, sorted(a.indicator_scores.items()))).encode())
        h.update(repr((a.base_level, a.level, a.adjustments, a.care_category, a.disability_degree)).encode())
        h.update(repr((a.effective_from, a.effective_to, a.reassess_due, a.submitted_at, a.reviewed_at)).encode())
    return h.hexdigest()


def test_summary_counts(demo):
    assert demo.elders == Elder.objects.count() == SMALL
    assert demo.households == Household.objects.count()
    assert demo.contacts == Contact.objects.count()
    assert demo.groups == ElderGroup.objects.count()
    assert demo.consents == Consent.objects.count()
    assert demo.assessments == Assessment.objects.count() > 0
    assert demo.institutions == Institution.objects.count()
    assert demo.communities == Region.objects.filter(level=Level.COMMUNITY).count() == default_communities(SMALL) == 200
    # Bulk writes leave no audit trail.
    assert LogEntry.objects.count() == 0


def test_id_numbers_valid_and_consistent(demo):
    today = timezone.localdate()
    for e in Elder.objects.all():
        parsed = idnumber.parse(e.id_number, today=today)
        assert parsed.birth_date == e.birth_date
        assert parsed.sex == e.sex
        assert e.hukou_region_id is not None and parsed.address_code == e.hukou_region_id[:6]
        assert e.id_hash == keyed_hash(e.id_number)
        assert e.id_masked == idnumber.mask(e.id_number)
        assert age(e.birth_date, today) >= 60
        if e.phone:
            assert len(e.phone) == 11 and e.phone.isdigit() and e.phone[:2] in {"13", "15", "18"}
            assert e.phone_masked == f"{e.phone[:3]}****{e.phone[-4:]}"
        else:
            assert e.phone_masked == ""
    assert Elder.objects.values("id_hash").distinct().count() == SMALL


def test_regions_valid_and_elders_in_communities(demo):
    regions: dict[str | None, Region] = {r.code: r for r in Region.objects.all()}
    for r in regions.values():
        validate_region(code=r.code, level=r.level, parent=regions.get(r.parent_id))
        assert (r.parent_id is None) == (r.level == Level.PROVINCE)
    assert regions["330100000000"].name == "杭州市"
    counties = {r.code[:6]: r for r in regions.values() if r.level == Level.COUNTY}
    assert {code: r.name for code, r in counties.items()} == {c.code6: c.name for c in data.COUNTIES}
    for spec in data.COUNTIES:
        assert counties[spec.code6].is_main_urban == spec.main_urban
    assert {c.code6 for c in data.COUNTIES if c.main_urban} == {
        "330102",
        "330105",
        "330106",
        "330108",
        "330109",
        "330110",
        "330113",
        "330114",
    }
    villages = [r for r in regions.values() if r.level == Level.COMMUNITY and r.name.endswith("村")]
    assert villages and all(r.is_rural for r in villages)
    for code6 in ("330122", "330127", "330182"):
        assert any(r.code.startswith(code6) for r in villages)

    assert set(Elder.objects.values_list("residence__level", flat=True)) == {Level.COMMUNITY}
    assert set(Elder.objects.values_list("hukou_region__level", flat=True)) == {Level.COMMUNITY}
    for e in Elder.objects.select_related("household").exclude(household=None):
        assert e.household is not None and e.household.community_id == e.residence_id
        assert not e.stays.exists()
    # Where an elder in an institution lives is their long-term stay (the registry keeps no second copy).
    in_institution = Elder.objects.filter(living_status=LivingStatus.IN_INSTITUTION)
    for e in in_institution.prefetch_related("stays__facility"):
        assert e.household_id is None
        (stay,) = [s for s in e.stays.all() if s.kind == "long_term"]
        assert stay.facility.community_id[:6] == e.residence_id[:6]
        assert (stay.end is None) == (e.status == "active")
    for inst in Institution.objects.all():
        assert inst.stays.filter(end__isnull=True).count() <= inst.beds
        assert inst.nursing_beds <= inst.beds


@pytest.mark.django_db
def test_distributions():
    build_demo_city(elders=10_000, seed=11, log=quiet)
    today = timezone.localdate()
    elders = list(Elder.objects.values_list("id", "birth_date", "sex", "living_status", "residence_id", "hukou_region_id"))
    n = len(elders)
    ages = {pk: age(b, today) for pk, b, *_ in elders}

    def band(a):
        return 60 if a < 70 else 70 if a < 80 else 80 if a < 90 else 90

    bands = Counter(band(a) for a in ages.values())
    for first, _last, share, _decay in data.AGE_BANDS:
        assert bands[first] / n == pytest.approx(share, abs=0.015), first
    female = {b: 0 for b in bands}
    for pk, _b, sex, *_ in elders:
        female[band(ages[pk])] += sex == "F"
    shares = [female[b] / bands[b] for b in (60, 70, 80, 90)]
    assert shares == sorted(shares) and shares[0] < 0.55 and shares[-1] > 0.55

    living = Counter(ls for _, _, _, ls, *_ in elders)
    for status, expected in (("alone", 0.10), ("empty_nest", 0.40), ("left_behind", 0.02), ("with_family", 0.45), ("in_institution", 0.03)):
        assert living[status] / n == pytest.approx(expected, abs=0.015), status

    same_hukou = sum(res == hukou for *_, res, hukou in elders) / n
    assert same_hukou == pytest.approx(0.90, abs=0.015)

    active = ElderGroup.objects.active_on(today)
    disabled = set(active.filter(group=PriorityGroup.DISABLED).values_list("elder_id", flat=True))
    old = {pk for pk, a in ages.items() if a >= 80}
    young = set(ages) - old
    assert len(disabled & old) / len(old) == pytest.approx(0.2344, abs=0.025)
    assert len(disabled & young) / len(young) == pytest.approx(0.06, abs=0.01)
    levels = Counter(active.filter(group=PriorityGroup.DISABLED).values_list("level", flat=True))
    assert levels["mild"] > levels["moderate"] > levels["severe"] > 0
    dementia = set(active.filter(group=PriorityGroup.DEMENTIA).values_list("elder_id", flat=True))
    assert len(dementia & old) / len(old) == pytest.approx(0.05, abs=0.015)
    assert len(dementia & young) / len(young) == pytest.approx(0.015, abs=0.006)
    for group, share in (("dibao", 0.03), ("tekun", 0.005), ("dibao_edge", 0.01), ("fp_special", 0.01), ("severe_handicap", 0.01)):
        assert active.filter(group=group).count() / n == pytest.approx(share, abs=max(0.004, share / 3)), group
    assert ElderGroup.objects.filter(valid_to__lt=today).exists()  # some memberships have ended
    assert not ElderGroup.objects.filter(valid_from__gt=today).exists()

    # Contacts: one or two, exactly one emergency, a guardian for disabled and dementia elders.
    per_elder = Counter(Contact.objects.values_list("elder_id", flat=True))
    assert set(per_elder) == set(ages) and set(per_elder.values()) <= {1, 2}
    assert Contact.objects.filter(is_emergency=True).count() == n
    guarded = set(Contact.objects.filter(is_guardian=True).values_list("elder_id", flat=True))
    assert disabled | dementia <= guarded
    # Couples share a household.
    sizes = Counter(Elder.objects.exclude(household=None).values_list("household_id", flat=True))
    assert set(sizes.values()) == {1, 2}
    assert Consent.objects.filter(granted=True).count() / n > 0.94


def test_every_role_has_a_demo_user(demo):
    logins = {username: (role, region) for username, role, region in demo.logins}
    users = {u.username: u for u in User.objects.select_related("region")}
    for role in Role:
        matching = [u for name, u in users.items() if name in logins and u.role == role]
        assert matching, role
        user = matching[0]
        required = REQUIRED_LEVEL[role]
        if required:
            assert user.region is not None and user.region.level in required
        assert user.display_name
    admin = users["admin"]
    assert admin.is_superuser and admin.is_staff and admin.check_password(DEMO_PASSWORD)
    county = users["county_officer"].region
    assert county is not None and county.name == "上城区"
    elder = Elder.objects.get(user=users["elder"])
    assert Contact.objects.get(user=users["family"]).elder == elder
    assert elder.residence == users["community_worker"].region
    assert users["street_officer"].region == elder.residence.parent
    assert not users["system"].is_active and not users["system"].has_usable_password()
    assert "system" not in logins


@pytest.mark.django_db
def test_deterministic_and_writers_agree():
    build_demo_city(elders=800, communities=60, seed=3, log=quiet)
    first = digest()
    build_demo_city(elders=800, communities=60, seed=3, log=quiet, reset=True)
    assert digest() == first
    build_demo_city(elders=800, communities=60, seed=3, log=quiet, reset=True, writer="orm")
    assert digest() == first  # the fast writer stores what bulk_create would
    build_demo_city(elders=800, communities=60, seed=4, log=quiet, reset=True)
    assert digest() != first


def test_refuses_to_build_twice(demo):
    with pytest.raises(DemoDataExists):
        build_demo_city(elders=100, log=quiet)
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo_city", "--elders", "100", stdout=_Sink())
    out = _Sink()
    call_command("demo_city", "--elders", "100", "--if-empty", stdout=out)
    assert Elder.objects.count() == SMALL and "nothing to do" in out.text


@pytest.mark.django_db
def test_command_reset_keeps_superusers():
    User.objects.create_superuser("root", password="x-not-used-123")
    call_command("demo_city", "--elders", "300", "--communities", "40", stdout=_Sink())
    out = _Sink()
    call_command("demo_city", "--elders", "200", "--communities", "30", "--reset", stdout=out)
    assert Elder.objects.count() == 200
    assert User.objects.filter(username="root", is_superuser=True).exists()
    assert "county_officer" in out.text
    assert Contact.objects.filter(user__username="family").count() == 1


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, s, *args, **kwargs):
        self.text += s + "\n"

    def flush(self):
        pass


@pytest.mark.django_db
def test_demo_services_network():
    from eldercare.demo.generator.services import DEMO_PRICES, build_services
    from eldercare.homecare.models import Caregiver, GuidePrice, Order
    from eldercare.providers.models import Provider

    build_demo_city(elders=2_000, communities=60, seed=3, log=quiet)
    made = build_services(seed=3, log=quiet)
    counties = Region.objects.filter(level=Level.COUNTY).count()
    assert made["providers"] == Provider.objects.count() == 2 * counties
    assert Caregiver.objects.count() >= made["caregivers"] > 0
    assert GuidePrice.objects.filter(document__startswith="演示数据").count() == len(DEMO_PRICES)
    demo_carer = Caregiver.objects.get(user__username="caregiver")
    assert Provider.objects.get(admins__username="provider_admin") == demo_carer.provider
    assert Order.objects.count() == made["orders"]
    assert set(Order.objects.values_list("status", flat=True)) <= {"requested", "matched", "dispatched", "accepted", "checked_out"}
    _assert_flags_for_the_supervisors()
    again = build_services(seed=3, log=quiet)  # idempotent apart from new orders
    assert Provider.objects.count() == 2 * counties and again["providers"] == made["providers"]


def _assert_flags_for_the_supervisors():
    """The demo's flagged services (far check-ins, too short) await the street officer, the centre
    operator and the community worker; yesterday's, each in the login's own region."""
    from eldercare.homecare.models import FlagKind
    from eldercare.homecare.selectors import flags_visible

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    seen = {}
    for username in ("street_officer", "centre_operator", "community_worker"):
        flags = list(flags_visible(User.objects.get(username=username)).filter(resolved_by__isnull=True))
        assert flags, username
        assert all(timezone.localdate(f.order.checked_in_at) == yesterday and f.created_at <= timezone.now() for f in flags)
        seen[username] = {f.pk for f in flags}
        assert {FlagKind.FAR_CHECKIN, FlagKind.TOO_SHORT} <= {f.kind for f in flags}, username
    assert seen["community_worker"] < seen["street_officer"] == seen["centre_operator"]


@pytest.mark.django_db
def test_demo_smart_homes():
    from eldercare.demo.generator.devices import build_devices
    from eldercare.demo.generator.services import build_services
    from eldercare.devices.models import Device, HomeCareBed

    build_demo_city(elders=2_000, communities=60, seed=3, log=quiet)
    build_services(seed=3, log=quiet)
    made = build_devices(seed=3, log=quiet)
    assert made["homes"] > 0 and Device.objects.count() == 3 * made["homes"]
    from eldercare.devices.warnings import load_rules

    others = Device.objects.exclude(elder__living_status__in=[LivingStatus.ALONE, LivingStatus.EMPTY_NEST])
    assert not others.exclude(elder__in=Elder.objects.filter(load_rules()[0].q(timezone.localdate()))).exists()  # watched ones only
    assert HomeCareBed.objects.count() == made["beds"] > 0
