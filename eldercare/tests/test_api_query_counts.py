"""Query-count pins for every list endpoint of the REST API.

Every list answers `{total, page, page_size, items}` through `core.pagination`. For each endpoint a
persona sees N rows; one GET is counted, 3N more rows of the same shapes (with the related data a
row shows: contacts, groups, events, records, devices…) are added, and the same GET must cost
exactly as many queries again: a query per row (an N+1) fails here, naming the query that repeats.
Each count is also held under a ceiling (what the page costs today plus MARGIN, so a failure lists the
queries), and each test states the count itself: one more query per page shows up too. The static lists (policies, standards, the service catalogue) have the
ceiling only.

What a page costs today: a session login costs two queries (the session, the user), a regional
role's scope one more (the user's region); then usually a count and the page itself, plus one per
prefetched relation. The comment by each ceiling lists the rest.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eldercare.accounts.models import ApiToken
from eldercare.accounts.roles import Role
from eldercare.assessments import services as assessment_services
from eldercare.assessments.models import Reason
from eldercare.assessments.tests.conftest import effective, qualify
from eldercare.core.months import add_months
from eldercare.devices import alarms as alarm_services
from eldercare.devices.beds import bed_record_add, bed_register
from eldercare.devices.ingest import parse, store
from eldercare.devices.models import Alarm, AlarmSource, BedRecord, Device, EarlyWarning, WarningAction
from eldercare.devices.tests.conftest import msg
from eldercare.elders import idnumber
from eldercare.elders import services as elder_services
from eldercare.elders.models import ConsentKind, Contact, DisabilityLevel, LivingStatus, PriorityGroup, Relation
from eldercare.entitlements.models import Account, IssuanceRun
from eldercare.entitlements.services.issuance import issuance_execute, issuance_request
from eldercare.homecare.catalog import catalog_sync
from eldercare.homecare.models import ServiceItem
from eldercare.homecare.services import caregivers as caregiver_services
from eldercare.homecare.services import orders
from eldercare.homecare.tests.conftest import HOME, caregiver_for, code
from eldercare.providers.models import Provider, ServiceArea
from eldercare.regions.models import Level
from eldercare.tests import builders as testing

R = Role
N = 2  # rows at first; then 3N more
MORE = 3 * N
MARGIN = 1  # each ceiling: what the page costs today plus this


# ---------------------------------------------------------------- measuring


def _shape(sql: str) -> str:
    """A query with its literals taken out: the same query for another row counts as the same."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def _get(client, url: str, **headers) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in ctx.captured_queries]


def _growth(few: list[str], many: list[str]) -> str:
    extra = Counter(map(_shape, many)) - Counter(map(_shape, few))
    return "queries that grew with the rows (an N+1):\n" + "\n".join(f"  ×{n} {sql}" for sql, n in extra.most_common())


def pin(client, url: str, *, grow: Callable[[], object], before: int, after: int, ceiling: int, **headers) -> int:
    """GET `url` with `before` rows, call `grow`, GET it with `after` rows: the same number of
    queries both times, and no more than `ceiling`. Answers the count."""
    client.get(url, **headers)  # warm per-process caches (content types, parsed standards): not what is pinned here
    few_page, few = _get(client, url, **headers)
    assert (few_page["total"], len(few_page["items"])) == (before, before)
    grow()
    many_page, many = _get(client, url, **headers)
    assert (many_page["total"], len(many_page["items"])) == (after, after)
    assert len(many) == len(few), _growth(few, many)
    assert len(few) <= ceiling, "\n".join(few)
    return len(few)


def ceiling_only(client, url: str, *, ceiling: int) -> int:
    """The queries one GET of a static list costs (held under `ceiling`, which lists them if not)."""
    client.get(url)
    page, queries = _get(client, url)
    assert page["total"] == len(page["items"]) > 0
    assert len(queries) <= ceiling, "\n".join(queries)
    return len(queries)


def today_at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))


# ---------------------------------------------------------------- regions and elders


def test_regions(client, city, personas):
    client.force_login(personas[R.CIVIL_STREET])

    def grow():
        for n in range(3, 3 + MORE):
            testing.RegionFactory(code=f"330102001{n:03d}", name=f"新社区{n}", level=Level.COMMUNITY, parent=city.street)

    # login 3, the parent, the children
    cost = pin(client, f"/api/regions/?parent={city.street.code}", grow=grow, before=2, after=2 + MORE, ceiling=5 + MARGIN)
    assert cost == 5


def add_elders(city, count: int) -> list:
    """Elders of 清波街道 as the list shows them: two active priority groups (one of them health data)
    and two contacts each."""
    made = []
    for i in range(count):
        elder = testing.elder(
            residence=(city.community, city.community_b)[i % 2],
            groups=((PriorityGroup.DISABLED, DisabilityLevel.MODERATE), (PriorityGroup.DIBAO, "")),
            living_status=LivingStatus.ALONE,
            phone="13800001111",
        )
        for priority, relation in enumerate((Relation.CHILD, Relation.NEIGHBOUR), start=1):
            Contact.objects.create(
                elder=elder, name=f"联系人{priority}", relation=relation, phone="13900002222", phone_masked="139****2222", priority=priority
            )
        made.append(elder)
    return made


def test_elders(client, city, personas):
    add_elders(city, N)
    client.force_login(personas[R.CIVIL_STREET])
    # login 3, count, page, the page's active groups (one prefetch)
    cost = pin(client, "/api/elders/", grow=lambda: add_elders(city, MORE), before=N, after=N + MORE, ceiling=6 + MARGIN)
    assert cost == 6


def test_elder_audit(client, city, personas):
    officer = personas[R.CIVIL_STREET]
    elder = elder_services.elder_create(actor=officer, **testing.elder_data(residence=city.community))
    rounds = itertools.count(1)

    def edits(count: int) -> None:
        """Each round by another community worker: a registry edit, a group, a contact and a consent."""
        for _ in range(count):
            i = next(rounds)
            worker = testing.user(f"qc-audit-worker{i}", R.COMMUNITY_WORKER, city.community)
            elder_services.elder_update(actor=worker, elder=elder, notes=f"第{i}次走访")
            elder_services.elder_group_add(actor=worker, elder=elder, group=PriorityGroup.DIBAO, valid_from=dt.date(2020, 1, i))
            elder_services.contact_add(actor=worker, elder=elder, name=f"联系人{i}", relation=Relation.CHILD, phone="13800001111")
            elder_services.consent_record(actor=worker, elder=elder, kind=ConsentKind.DATA_SHARING, granted=True, signed_by="本人")

    edits(N)
    client.force_login(officer)
    # Five entries a round: the registration and the first round's four, then four a round and the
    # closing of the group the round before opened.
    # login 3, the elder and its contacts (elder_get), the ids of its groups, contacts and consents, count, page
    cost = pin(client, f"/api/elders/{elder.pk}/audit", grow=lambda: edits(MORE), before=5 * N, after=5 * (N + MORE), ceiling=10 + MARGIN)
    assert cost == 10


# ---------------------------------------------------------------- assessments


@pytest.fixture
def team(personas):
    """As in eldercare/assessments/tests/conftest.py: the street officer plans, two agency assessors
    assess, the (qualified) community worker of 清波社区 reviews."""
    valid_to = timezone.localdate() + dt.timedelta(days=365)
    agency = testing.UserFactory.create(username="qc-agency1", role=R.PROVIDER_ADMIN)
    agency2 = testing.UserFactory.create(username="qc-agency2", role=R.PROVIDER_ADMIN)
    reviewer = personas[R.COMMUNITY_WORKER]
    for person in (agency, agency2, reviewer):
        qualify(person, valid_to=valid_to)
    return {"officer": personas[R.CIVIL_STREET], "assessor": agency, "second": agency2, "reviewer": reviewer}


def assessments(city, team, count: int, *, start: int = 0) -> None:
    """An effective assessment (in 清波社区, where the reviewer works) and a scheduled one (in 柳翠井社区),
    turn about, each of a new elder; each with its two assessors."""
    for i in range(start, start + count):
        if i % 2 == 0:
            elder = testing.elder(residence=city.community)
            effective(team, elder, total=66, assessed_on=dt.date(2026, 1, 10), effective_from=dt.date(2026, 2, 1))
        else:
            assessment_services.assessment_schedule(
                actor=team["officer"],
                elder=testing.elder(residence=city.community_b),
                scheduled_for=timezone.localdate(),
                reason=Reason.FIRST,
                assessor=team["assessor"],
                second_assessor=team["second"],
            )


def test_assessments(client, city, team):
    assessments(city, team, N)
    client.force_login(team["officer"])
    # login 3, count, page
    cost = pin(
        client, "/api/assessments/", grow=lambda: assessments(city, team, MORE, start=N), before=N, after=N + MORE, ceiling=5 + MARGIN
    )
    assert cost == 5


def overdue(city, team, count: int, *, start: int = 0) -> None:
    """Each of a new elder: in force since February 2024, due a year later; every other one has its
    reassessment planned already."""
    for i in range(start, start + count):
        elder = testing.elder(residence=city.community)
        effective(team, elder, total=66, assessed_on=dt.date(2024, 1, 10), effective_from=dt.date(2024, 2, 1))
        if i % 2:
            assessment_services.assessment_schedule(
                actor=team["officer"], elder=elder, scheduled_for=timezone.localdate(), reason=Reason.PERIODIC
            )


def test_overdue(client, city, team):
    overdue(city, team, N)
    client.force_login(team["officer"])
    url = "/api/assessments/overdue"
    # login 3, count, page
    cost = pin(client, url, grow=lambda: overdue(city, team, MORE, start=N), before=N, after=N + MORE, ceiling=5 + MARGIN)
    assert cost == 5


def test_history(client, city, team):
    elder = testing.elder(residence=city.community)

    def history(months: range) -> None:
        """An assessment a month taken through to effective, each superseding the one before."""
        for month in months:
            effective(team, elder, total=(66, 46)[month % 2], assessed_on=dt.date(2024, month, 5), effective_from=dt.date(2024, month, 10))

    history(range(1, 1 + N))
    client.force_login(team["officer"])
    url = f"/api/assessments/elders/{elder.pk}/history"
    # login 3, the elder and its contacts (elder_get), the elder in scope again (level_history), count, page
    cost = pin(client, url, grow=lambda: history(range(1 + N, 1 + N + MORE)), before=N, after=N + MORE, ceiling=8 + MARGIN)
    assert cost == 8


def test_standards(client, personas):
    client.force_login(personas[R.CIVIL_STREET])
    assert ceiling_only(client, "/api/assessments/standards", ceiling=2 + MARGIN) == 2  # login 2: the standards are files


# ---------------------------------------------------------------- entitlements


def test_policies(client, personas):
    client.force_login(personas[R.CIVIL_STREET])
    assert ceiling_only(client, "/api/entitlements/policies", ceiling=2 + MARGIN) == 2  # login 2: the policies are files


def test_elder_accounts(client, city, personas):
    """Accounts opened by issuance runs of 清波社区, month by month, for an elder of 90 with local hukou."""
    today = timezone.localdate()
    elder = testing.elder(residence=city.community, hukou_region=city.community, birth=today.replace(year=today.year - 90, day=1))

    def issue(months_back: range) -> None:
        for back in months_back:
            issuance_execute(run_id=IssuanceRun.objects.create(region=city.community, month=add_months(today.replace(day=1), -back)).pk)

    issue(range(N))
    assert Account.objects.filter(elder=elder).count() == N  # one account a month
    client.force_login(personas[R.CIVIL_STREET])
    url = f"/api/entitlements/elders/{elder.pk}/accounts"
    # login 3, the elder in scope, count, page
    cost = pin(client, url, grow=lambda: issue(range(N, N + MORE)), before=N, after=N + MORE, ceiling=6 + MARGIN)
    assert cost == 6


def test_runs(client, city, personas):
    officer = personas[R.CIVIL_CITY]
    regions = (city.community, city.community_b, city.street, city.county, city.community2, city.county_b)

    def runs(count: int, *, start: int = 0) -> None:
        for i in range(start, start + count):
            month = add_months(timezone.localdate().replace(day=1), -(i // len(regions)))
            issuance_request(actor=officer, region=regions[i % len(regions)], month=month)

    runs(N)
    client.force_login(officer)
    # login 3, count, page
    cost = pin(client, "/api/entitlements/runs", grow=lambda: runs(MORE, start=N), before=N, after=N + MORE, ceiling=5 + MARGIN)
    assert cost == 5


# ---------------------------------------------------------------- door-to-door services


@pytest.fixture
def svc(city, personas):
    """As the `svc` fixture of eldercare/homecare/tests: a provider serving 上城区 with the
    PROVIDER_ADMIN persona its admin, 张护理 (the CAREGIVER persona) and 李护理."""
    catalog_sync()
    t = SimpleNamespace(city=city, item=ServiceItem.objects.get(code="clean_home"))
    t.provider = Provider.objects.create(name="清波居家养老服务中心", credit_code=code("52330102MJ0000001"), region=city.county)
    t.provider.admins.add(personas[R.PROVIDER_ADMIN])
    ServiceArea.objects.create(provider=t.provider, region=city.county)
    t.zhang = caregiver_for(t.provider, "张护理", personas[R.CAREGIVER], seq=1)
    t.li = caregiver_for(t.provider, "李护理", testing.user("qc-carer-li", R.CAREGIVER), seq=2)
    return t


@pytest.fixture
def add_orders(svc, personas):
    """`add_orders(count, start=, deliver=)`: each a new elder's order of today, requested by the
    community worker; those `deliver(i)` picks are assigned, dispatched and served by 张护理 in ten
    minutes (their events, and a too-short flag each), the others left requested."""
    worker, centre, carer = personas[R.COMMUNITY_WORKER], personas[R.CENTER_OPERATOR], personas[R.CAREGIVER]

    def add(count: int, *, start: int = 0, deliver: Callable[[int], bool] = lambda i: i % 2 == 0) -> None:
        for i in range(start, start + count):
            elder = testing.elder(residence=svc.city.community, latitude=HOME[0], longitude=HOME[1])
            order = orders.order_request(
                actor=worker,
                elder=elder,
                item=svc.item,
                window_start=today_at(0),
                window_end=max(today_at(23), timezone.now() + dt.timedelta(hours=1)),
                channel="phone",
            )
            if not deliver(i):
                continue
            orders.order_assign(actor=centre, order=order, caregiver=svc.zhang)
            orders.order_dispatch(actor=centre, order=order)
            orders.order_accept(actor=carer, order=order)
            orders.order_depart(actor=carer, order=order)
            start_at = today_at(0) + dt.timedelta(minutes=15 * i)  # no two overlap
            orders.order_check_in(actor=carer, order=order, latitude=HOME[0], longitude=HOME[1], at=start_at)
            orders.order_check_out(actor=carer, order=order, record="打扫客厅", at=start_at + dt.timedelta(minutes=10))

    return add


@pytest.mark.parametrize(
    ("role", "costs"),
    [
        (R.CIVIL_STREET, 5),  # login 3, count, page
        (R.PROVIDER_ADMIN, 5),  # login 2, the provider's service areas, count, page
    ],
)
def test_orders(client, personas, add_orders, role, costs):
    add_orders(N)
    client.force_login(personas[role])
    cost = pin(client, "/api/services/orders", grow=lambda: add_orders(MORE, start=N), before=N, after=N + MORE, ceiling=costs + MARGIN)
    assert cost == costs


def test_tasks(client, personas, add_orders):
    add_orders(N, deliver=lambda i: True)
    client.force_login(personas[R.CAREGIVER])
    # login 2, count, page
    cost = pin(
        client,
        "/api/services/tasks",
        grow=lambda: add_orders(MORE, start=N, deliver=lambda i: True),
        before=N,
        after=N + MORE,
        ceiling=4 + MARGIN,
    )
    assert cost == 4


def test_flags(client, personas, add_orders):
    add_orders(N, deliver=lambda i: True)
    client.force_login(personas[R.CIVIL_STREET])
    # login 3, count, page
    cost = pin(
        client,
        "/api/services/flags",
        grow=lambda: add_orders(MORE, start=N, deliver=lambda i: True),
        before=N,
        after=N + MORE,
        ceiling=5 + MARGIN,
    )
    assert cost == 5


def test_items(client, personas):
    catalog_sync()
    client.force_login(personas[R.CENTER_OPERATOR])
    assert ceiling_only(client, "/api/services/items", ceiling=4 + MARGIN) == 4  # login 2, count, page


def test_provider_caregivers(client, personas, svc):
    admin = personas[R.PROVIDER_ADMIN]

    def register(count: int) -> None:
        for i in range(count):
            caregiver_services.caregiver_register(
                actor=admin,
                provider=svc.provider,
                name=f"护理员{i}",
                id_number=idnumber.build("330102", dt.date(1980, 1, i + 1), 100 + i),
                latitude=HOME[0],
                longitude=HOME[1],
                categories=["clean", "life_care"],
                level=4,
                certificate_expires=dt.date(2030, 12, 31),
            )

    client.force_login(admin)
    url = f"/api/services/providers/{svc.provider.pk}/caregivers"
    # login 2, the provider (scoped: whether the user manages it, in one query), count, page
    cost = pin(client, url, grow=lambda: register(MORE), before=2, after=2 + MORE, ceiling=5 + MARGIN)
    assert cost == 5


# ---------------------------------------------------------------- devices


def add_alarms(city, personas, count: int, *, start: int = 0) -> None:
    """Each: a new elder living alone (groups, two emergency contacts) with a call button and a water
    meter; the button pressed; every other alarm acknowledged by the centre."""
    for i in range(start, start + count):
        [elder] = add_elders(city, 1)
        serial = f"BTN-Q{i:04d}"
        Device.objects.create(serial=serial, kind="button", elder=elder)
        Device.objects.create(serial=f"WTR-Q{i:04d}", kind="water", elder=elder)
        store(parse(json.dumps(msg(f"q{i}")).encode(), serial=serial))
        if i % 2:
            alarm_services.alarm_acknowledge(actor=personas[R.CENTER_OPERATOR], alarm=Alarm.objects.get(device__serial=serial))


@pytest.mark.parametrize("auth", ["session", "token"])
def test_alarm_board(client, city, personas, auth):
    """The board polls this twice a second: its cost is pinned exactly, not only under a ceiling.
    By session: the session, the user, the user's region, the count of open alarms, the page of them.
    By bearer token: the token with its user and region, the count, the page."""
    add_alarms(city, personas, N)
    operator = personas[R.CENTER_OPERATOR]
    headers = {}
    if auth == "session":
        client.force_login(operator)
    else:
        _, key = ApiToken.issue(user=operator, name="看板")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    costs = pin(
        client,
        "/api/devices/alarms",
        grow=lambda: add_alarms(city, personas, MORE, start=N),
        before=N,
        after=N + MORE,
        ceiling=5,
        **headers,
    )
    assert costs == {"session": 5, "token": 3}[auth]


@pytest.fixture
def bed_provider(city, personas):
    made = Provider.objects.create(name="清波家庭床位服务中心", credit_code=code("52330102MJ0000003"), region=city.county)
    made.admins.add(personas[R.PROVIDER_ADMIN])
    return made


def add_beds(city, worker, provider, count: int, *, start: int = 0) -> None:
    """Each: a new elder's bed with its equipment, an inspection and a service recorded."""
    for i in range(start, start + count):
        bed = bed_register(
            actor=worker,
            elder=testing.elder(residence=city.community),
            provider=provider,
            contract_number=f"HB-{i:04d}",
            starts=dt.date(2026, 1, 1),
            equipment=[{"item": "护理床"}, {"item": "扶手"}],
        )
        bed_record_add(actor=worker, bed=bed, kind=BedRecord.Kind.INSPECTION, on=dt.date(2026, 2, 1 + i), note="巡检正常")
        bed_record_add(actor=worker, bed=bed, kind=BedRecord.Kind.SERVICE, on=dt.date(2026, 3, 1 + i), note="上门护理")


@pytest.mark.parametrize(
    ("role", "costs"),
    [
        (R.COMMUNITY_WORKER, 6),  # login 3, count, page, the page's records (one prefetch)
        (R.PROVIDER_ADMIN, 5),  # login 2, count, page, the page's records
    ],
)
def test_beds(client, city, personas, bed_provider, role, costs):
    worker = personas[R.COMMUNITY_WORKER]

    def beds(count: int, *, start: int = 0) -> None:
        add_beds(city, worker, bed_provider, count, start=start)

    beds(N)
    client.force_login(personas[role])
    cost = pin(client, "/api/devices/beds", grow=lambda: beds(MORE, start=N), before=N, after=N + MORE, ceiling=costs + MARGIN)
    assert cost == costs


def add_warnings(city, count: int, *, start: int = 0) -> None:
    """Each: a new elder's open early warning; every other one raised an alarm (which the board shows too)."""
    for i in range(start, start + count):
        elder = testing.elder(residence=(city.community, city.community_b)[i % 2])
        alarm = None
        if i % 2:
            now = timezone.now()
            alarm = alarm_services.alarm_raise(
                elder_id=elder.pk,
                region_code=elder.residence_id,
                source=AlarmSource.WARNING,
                at=now,
                received_at=now,
                detail="长时间无活动",
            )
        EarlyWarning.objects.create(
            elder=elder,
            rule="no_movement" if alarm else "no_water_daytime",
            detail="长时间无活动" if alarm else "白天无用水",
            action=WarningAction.ALARM if alarm else WarningAction.VISIT,
            region_id=elder.residence_id,
            alarm=alarm,
        )


def test_warnings(client, city, personas):
    def warnings(count: int, *, start: int = 0) -> None:
        add_warnings(city, count, start=start)

    warnings(N)
    client.force_login(personas[R.CENTER_OPERATOR])
    # login 3, the open warnings (a list: no count)
    cost = pin(client, "/api/devices/warnings", grow=lambda: warnings(MORE, start=N), before=N, after=N + MORE, ceiling=4 + MARGIN)
    assert cost == 5
