"""Query-count pins for every console page that lists rows.

As `eldercare/tests/test_api_query_counts.py` does for the API: the persona who works on a page
loads it with N rows; 3N more rows of the same shapes are added, with the related data a row shows
(its elder and community, caregiver, actor, payee…), and the page must cost exactly as many queries
again: a query per row (an N+1) fails here, naming the query that repeats. Each count is also held
under a ceiling (what the page costs today plus MARGIN, so a failure lists the queries), and each
test states the count itself: one more query per page shows up too.

The pages render templates, so each pin also counts, in the HTML, the rows the template wrote with
their related text: a relation read lazily by the template is counted, not just the view's queries.

A console page costs: the session and the user (2), the user's region for a regional role (1), the
rows' queries; the comment by each ceiling lists the rest.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.core.months import add_months
from eldercare.devices import alarms as alarm_services
from eldercare.devices.models import Alarm, AlarmSource, Device, Event, Reading, Responder
from eldercare.elders import services as elder_services
from eldercare.elders.models import ConsentKind, Contact, Relation
from eldercare.entitlements.models import SettlementLine, Unit
from eldercare.entitlements.services.issuance import issuance_request
from eldercare.entitlements.services.settlement import settlement_prepare
from eldercare.facilities.models import FacilityKind, Institution, Ownership, StayKind
from eldercare.facilities.services import stay_record
from eldercare.homecare.models import FlagKind, FraudFlag
from eldercare.homecare.services import orders
from eldercare.homecare.tests.conftest import HOME, caregiver_for, code
from eldercare.providers.models import Provider
from eldercare.regions.models import Level
from eldercare.tests import builders as testing
from eldercare.tests import test_api_query_counts as api_pins
from eldercare.tests.test_api_query_counts import (
    MARGIN,
    MORE,
    N,
    _growth,
    add_alarms,
    add_beds,
    add_elders,
    add_warnings,
    assessments,
    overdue,
    today_at,
)

# The API pins' fixtures, by name: the assessment team, the provider with its two caregivers (`svc`),
# its orders (`add_orders`), and the provider of home care beds.
team, svc, add_orders, bed_provider = api_pins.team, api_pins.svc, api_pins.add_orders, api_pins.bed_provider

R = Role


# ---------------------------------------------------------------- measuring


def _load(client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries]


def pin_page(client, url: str, *, rows: Callable[[str], object], grow: Callable[[], object], before, after, ceiling: int) -> int:
    """GET the page, call `grow`, GET it again: `rows(html)` (what the template wrote) is `before`,
    then `after`; both loads cost the same number of queries, no more than `ceiling`. Answers the count."""
    client.get(url)  # warm per-process caches (content types, policies, standards): not what is pinned here
    few_html, few = _load(client, url)
    assert rows(few_html) == before
    grow()
    many_html, many = _load(client, url)
    assert rows(many_html) == after
    assert len(many) == len(few), _growth(few, many)
    assert len(few) <= ceiling, "\n".join(few)
    return len(few)


def counts(*patterns: str) -> Callable[[str], tuple[int, ...]]:
    """How often each regular expression occurs in the page: a row each."""
    compiled = [re.compile(p) for p in patterns]
    return lambda html: tuple(len(p.findall(html)) for p in compiled)


ELDER = "测试老人"  # the name testing.elder gives every elder


# ---------------------------------------------------------------- regions and elders


def test_regions(client, city, personas):
    """A street's communities, each with its count of elders."""
    client.force_login(personas[R.CIVIL_STREET])
    testing.elder(residence=city.community)

    def grow():
        for n in range(3, 3 + MORE):
            community = testing.RegionFactory.create(code=f"330102001{n:03d}", name=f"新社区{n}", level=Level.COMMUNITY, parent=city.street)
            testing.elder(residence=community)

    url = reverse("console:regions", args=[city.street.code])
    rows = counts(r'<th scope="row">\s*(?:清波社区|柳翠井社区|新社区\d+)\s*</th>', r'\?region=330102001\d{3}" aria-label')
    # login 3, the region (region_children), its children, the region again (region_get), its
    # ancestors (breadcrumb), the elders counted per child (one grouped query)
    cost = pin_page(client, url, rows=rows, grow=grow, before=(2, 2), after=(2 + MORE, 2 + MORE), ceiling=8 + MARGIN)
    assert cost == 8


def test_elder_list(client, city, personas):
    """Pinned with groups only in test_elder_list.py; here with contacts too, and today's ceiling."""
    add_elders(city, N)
    client.force_login(personas[R.CIVIL_STREET])
    rows = counts(rf'<th scope="row"><a href="/elders/\d+/">{ELDER}</a></th>')
    # login 3, count, page, the page's active groups (one prefetch)
    cost = pin_page(
        client,
        reverse("console:elder_list"),
        rows=rows,
        grow=lambda: add_elders(city, MORE),
        before=(N,),
        after=(N + MORE,),
        ceiling=6 + MARGIN,
    )
    assert cost == 6


# ---------------------------------------------------------------- assessments


def test_assessment_list(client, city, team):
    """The work list (each with its elder, community and two assessors) and the overdue list."""

    def grow(count: int, start: int = 0) -> None:
        assessments(city, team, count, start=start)
        overdue(city, team, count, start=start)

    grow(N)
    client.force_login(team["officer"])
    rows = counts(
        r'<span class="cell-sub">(?:清波社区|柳翠井社区)</span>',
        r'<td class="wrap">[^<—]+、[^<]+</td>',  # both assessors named
        r'<td class="num late">\d+</td>',
    )
    # All statuses: N assessments, then N effective overdue ones and the reassessment planned for
    # every other one (without assessors yet); all others name their two assessors.
    before = (N + N + N // 2, N + N, N)
    total = N + MORE
    after = (total + total + total // 2, total + total, total)
    url = reverse("console:assessment_list") + "?status=all"
    # login 3, count, page, the overdue rows
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE, N), before=before, after=after, ceiling=6 + MARGIN)
    assert cost == 6


# ---------------------------------------------------------------- door-to-door services


@pytest.mark.parametrize("role", [R.CIVIL_STREET, R.CENTER_OPERATOR])
def test_order_list(client, personas, add_orders, role):
    """Orders (elder, item, caregiver) and, for those who may see elders, the fraud flags (the
    order's item and caregiver): every other order served in ten minutes, flagged too short."""
    add_orders(N)
    client.force_login(personas[role])
    rows = counts(
        rf"<td>{ELDER}</td>\s*<td>[^<]+</td>", r'<li><span class="tag">[^<]+</span> <a href="/orders/\d+/">#\d+ [^<]+</a> · 张护理'
    )
    served = (N + 1) // 2, (N + MORE + 1) // 2
    # login 3, count, the flags, page
    cost = pin_page(
        client,
        reverse("console:order_list"),
        rows=rows,
        grow=lambda: add_orders(MORE, start=N),
        before=(N, served[0]),
        after=(N + MORE, served[1]),
        ceiling=6 + MARGIN,
    )
    assert cost == 6


def test_care_tasks(client, svc, personas):
    """The caregiver's day: tasks dispatched to them (accept, decline), on their way (check in) and
    served, each of another elder; the buttons each task offers are worked out per task."""
    worker, centre, carer = personas[R.COMMUNITY_WORKER], personas[R.CENTER_OPERATOR], personas[R.CAREGIVER]

    now, midnight = timezone.now(), today_at(0) + dt.timedelta(days=1)

    def slot(i: int) -> dt.datetime:
        return now + (midnight - now) * i / (N + MORE + 1)

    def tasks(count: int, *, start: int = 0) -> None:
        for i in range(start, start + count):
            elder = testing.elder(residence=svc.city.community, latitude=HOME[0], longitude=HOME[1], address=f"清波街{i}号")
            order = orders.order_request(
                actor=worker,
                elder=elder,
                item=svc.item,
                # each in a window of its own (one caregiver never serves two at once), all in what
                # is left of today, however late the test runs
                window_start=slot(i),
                window_end=slot(i + 1) - dt.timedelta(microseconds=1),
                channel="phone",
            )
            orders.order_assign(actor=centre, order=order, caregiver=svc.zhang)
            orders.order_dispatch(actor=centre, order=order)
            if i % 3 == 0:
                continue  # to accept or decline
            orders.order_accept(actor=carer, order=order)
            orders.order_depart(actor=carer, order=order)
            if i % 3 == 1:
                continue  # to check in
            at = today_at(0) + dt.timedelta(minutes=15 * i)
            orders.order_check_in(actor=carer, order=order, latitude=HOME[0], longitude=HOME[1], at=at)
            orders.order_check_out(actor=carer, order=order, record="打扫客厅", at=at + dt.timedelta(minutes=10))

    tasks(N)
    client.force_login(carer)
    rows = counts(rf'<p class="big">{ELDER} · 清波街\d+号</p>', r'value="accept"', r'value="check_in"')
    before = (N, len(range(0, N, 3)), len(range(1, N, 3)))
    after = (N + MORE, len(range(0, N + MORE, 3)), len(range(1, N + MORE, 3)))
    # login 2, the tasks
    cost = pin_page(
        client, reverse("console:care_tasks"), rows=rows, grow=lambda: tasks(MORE, start=N), before=before, after=after, ceiling=3 + MARGIN
    )
    assert cost == 3


def test_order_detail(client, svc, personas):
    """One order declined again and again (assigned, dispatched and declined by either caregiver:
    three events a round, each with its actor), and overlap flags with as many other orders."""
    worker, centre = personas[R.COMMUNITY_WORKER], personas[R.CENTER_OPERATOR]
    users = {svc.zhang: personas[R.CAREGIVER], svc.li: svc.li.user}

    tomorrow = today_at(9) + dt.timedelta(days=1)

    def request():
        return orders.order_request(
            actor=worker,
            elder=testing.elder(residence=svc.city.community, latitude=HOME[0], longitude=HOME[1]),
            item=svc.item,
            window_start=tomorrow,
            window_end=tomorrow + dt.timedelta(hours=1),
            channel="phone",
        )

    order = request()
    wang = caregiver_for(svc.provider, "王护理", seq=3)  # on shift tomorrow morning: the one candidate matching offers
    wang.hours = {str(day): [["08:00", "18:00"]] for day in range(1, 8)}
    wang.save()
    rounds = itertools.count()

    def grow(count: int) -> None:
        for _ in range(count):
            i = next(rounds)
            caregiver = (svc.zhang, svc.li)[i % 2]
            orders.order_assign(actor=centre, order=order, caregiver=caregiver)
            orders.order_dispatch(actor=centre, order=order)
            orders.order_decline(actor=users[caregiver], order=order, reason=f"第{i}次没空")
            FraudFlag.objects.create(order=order, kind=FlagKind.OVERLAP, other=request(), detail=f"与其他工单重叠{i}")

    grow(N)
    client.force_login(centre)
    rows = counts(
        r"没空</li>", r'<li class="error-msg">[^<]+：与其他工单重叠\d+</li>', r'<option value="\d+">王护理（清波居家养老服务中心）</option>'
    )
    url = reverse("console:order_detail", args=[order.pk])
    # login 3, the order; matching: the index's freshness (caregivers, providers, service areas), the
    # candidates' orders that day, the elder's preferred caregiver; the candidates, the events, the flags
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE), before=(N, N, 1), after=(N + MORE, N + MORE, 1), ceiling=12 + MARGIN)
    assert cost == 12


# ---------------------------------------------------------------- devices


def test_alarm_board(client, city, personas):
    """The board's first page (the live part polls the API, pinned there): open alarms of elders
    living alone, every other one acknowledged, and open early warnings."""

    def grow(count: int, start: int = 0) -> None:
        add_alarms(city, personas, count, start=start)
        add_warnings(city, count, start=start)

    grow(N)
    client.force_login(personas[R.CENTER_OPERATOR])
    rows = counts(
        rf'<span class="alarm-source">[^<]+</span>\s*<strong>{ELDER}</strong> · (?:清波社区|柳翠井社区) · ',
        rf'<li><span class="tag">[^<]+</span>\s*<strong>{ELDER}</strong> · (?:清波社区|柳翠井社区) · ',
    )
    # alarms: one a call button, every other warning one more; the warnings: one each
    before = (N + len(range(1, N, 2)), N)
    after = (N + MORE + len(range(1, N + MORE, 2)), N + MORE)
    # login 3, the alarms (elder and community joined), the warnings (the same)
    cost = pin_page(
        client, reverse("console:alarm_board"), rows=rows, grow=lambda: grow(MORE, N), before=before, after=after, ceiling=5 + MARGIN
    )
    assert cost == 5


def test_alarm_detail(client, city, personas):
    """One alarm of an elder with ever more emergency contacts, and ever more dispatches (an event
    each, by another operator)."""
    [elder] = add_elders(city, 1)  # two contacts
    now = timezone.now()
    alarm = alarm_services.alarm_raise(
        elder_id=elder.pk, region_code=elder.residence_id, source=AlarmSource.BUTTON, at=now, received_at=now, detail="按下呼叫"
    )
    alarm_services.alarm_acknowledge(actor=personas[R.CENTER_OPERATOR], alarm=Alarm.objects.get(pk=alarm.pk))
    rounds = itertools.count(1)

    def grow(count: int) -> None:
        for _ in range(count):
            i = next(rounds)
            operator = testing.user(f"qc-centre{i}", R.CENTER_OPERATOR, city.street, display_name=f"值班员{i}")
            alarm_services.alarm_dispatch(
                actor=operator, alarm=Alarm.objects.get(pk=alarm.pk), responder=Responder.values[0], name=f"网格员{i}"
            )
            Contact.objects.create(
                elder=elder,
                name=f"紧急联系人{i}",
                relation=Relation.NEIGHBOUR,
                phone="13900002222",
                phone_masked="139****2222",
                priority=2 + i,
            )

    grow(N)
    client.force_login(personas[R.CENTER_OPERATOR])
    rows = counts(r" · 值班员\d+ · ", r"<li>紧急联系人\d+（")
    url = reverse("console:alarm_detail", args=[alarm.pk])
    # login 3, the alarm, its emergency contacts, the home's devices (none here), the events
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE), before=(N, N), after=(N + MORE, N + MORE), ceiling=7 + MARGIN)
    assert cost == 7


def test_alarm_detail_devices(client, city, personas):
    """The same page with ever more devices in the home, each with its last reading."""
    [elder] = add_elders(city, 1)
    now = timezone.now()
    alarm = alarm_services.alarm_raise(
        elder_id=elder.pk, region_code=elder.residence_id, source=AlarmSource.BUTTON, at=now, received_at=now, detail="按下呼叫"
    )
    serials = itertools.count(1)

    def grow(count: int) -> None:
        for _ in range(count):
            i = next(serials)
            device = Device.objects.create(serial=f"MOT-Q{i:04d}", kind="motion", elder=elder, battery=80)
            Reading.objects.create(device=device, message_id=f"m{i}", kind=Event.MOTION, at=now, received_at=now)

    grow(N)
    client.force_login(personas[R.CENTER_OPERATOR])
    rows = counts(r"MOT-Q\d{4} · [^·]+ · [^<@]+ @ ")
    url = reverse("console:alarm_detail", args=[alarm.pk])
    # login 3, the alarm, its emergency contacts, the devices, their newest readings (one query: today one a device), the events
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE), before=(N,), after=(N + MORE,), ceiling=8 + MARGIN)
    assert cost == 9


@pytest.mark.parametrize(
    ("role", "costs"),
    [
        # login 3, the street filter's streets, the pager's count, the page of beds (elder, community and
        # provider joined, last inspection annotated)
        (R.COMMUNITY_WORKER, 6),
        (R.PROVIDER_ADMIN, 5),  # login 2, streets, count, the beds
    ],
)
def test_bed_list(client, city, personas, bed_provider, role, costs):
    worker = personas[R.COMMUNITY_WORKER]

    def beds(count: int, *, start: int = 0) -> None:
        add_beds(city, worker, bed_provider, count, start=start)

    beds(N)
    client.force_login(personas[role])
    rows = counts(rf"<td>{ELDER}</td><td>清波社区</td><td>清波家庭床位服务中心</td>", r'<td class="nowrap">2026-02-\d\d</td>')
    cost = pin_page(
        client,
        reverse("console:bed_list"),
        rows=rows,
        grow=lambda: beds(MORE, start=N),
        before=(N, N),
        after=(N + MORE, N + MORE),
        ceiling=costs + MARGIN,
    )
    assert cost == costs


# ---------------------------------------------------------------- entitlements


@pytest.mark.parametrize("role", [R.CIVIL_CITY, R.CIVIL_COUNTY])
def test_entitlements(client, city, personas, role):
    """The allowances office: issuance runs (region, who asked) and settlements (region), of the
    regions of 上城区 month after month."""
    officer = personas[role]
    regions = (city.community, city.community_b, city.street, city.county, city.community2, city.street2)
    this_month = timezone.localdate().replace(day=1)

    def grow(count: int, *, start: int = 0) -> None:
        for i in range(start, start + count):
            region = regions[i % len(regions)]
            issuance_request(actor=officer, region=region, month=add_months(this_month, -(i // len(regions))))
            settlement_prepare(actor=officer, region=region, month=add_months(this_month, -1 - i // len(regions)))

    grow(N)
    client.force_login(officer)
    names = "|".join(r.name for r in regions)
    rows = counts(rf'<th scope="row">(?:{names})</th>', rf'<th scope="row"><a href="/entitlements/settlements/\d+/">(?:{names})</a></th>')
    url = reverse("console:entitlements")
    # login 3, the region picker's regions (one for both forms), the runs, the settlements
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE, start=N), before=(N, N), after=(N + MORE, N + MORE), ceiling=6 + MARGIN)
    assert cost == 6


def test_settlement_detail(client, city, personas):
    """A settlement's lines, one per payee: providers and institutions, turn about."""
    officer = personas[R.CIVIL_CITY]
    found = settlement_prepare(actor=officer, region=city.county, month=add_months(timezone.localdate().replace(day=1), -1))
    payees = itertools.count(1)

    def grow(count: int) -> None:
        for _ in range(count):
            i = next(payees)
            payee: dict[str, Any] = {}
            if i % 2:
                payee["provider"] = Provider.objects.create(
                    name=f"服务商{i}", credit_code=code(f"52330102MJ00001{i:02d}"), region=city.county
                )
            else:
                payee["facility"] = Institution.objects.create(
                    name=f"机构{i}", kind=FacilityKind.INSTITUTION, ownership=Ownership.PRIVATE, community=city.community, beds=10
                )
            SettlementLine.objects.create(
                settlement=found,
                policy="hz-home-care",
                benefit="service",
                unit=Unit.MINUTES,
                quantity=600,
                amount=4000,
                records=3,
                elders=2,
                **payee,
            )

    grow(N)
    client.force_login(officer)
    rows = counts(r'<th scope="row">(?:服务商|机构)\d+</th>')
    url = reverse("console:settlement_detail", args=[found.pk])
    # login 3, the settlement, its lines (providers and institutions joined)
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE), before=(N,), after=(N + MORE,), ceiling=5 + MARGIN)
    assert cost == 5


# ---------------------------------------------------------------- one elder's record


def test_elder_detail(client, city, personas):
    """One elder with ever more stays (each in another facility), contacts, consents (each signed
    and recorded by another worker) and audit entries (by another worker each round)."""
    officer = personas[R.CIVIL_STREET]
    elder = elder_services.elder_create(actor=officer, **testing.elder_data(residence=city.community))
    rounds = itertools.count(1)

    def grow(count: int) -> None:
        for _ in range(count):
            i = next(rounds)
            worker = testing.user(f"qc-record-worker{i}", R.COMMUNITY_WORKER, city.community, display_name=f"社工{i}")
            elder_services.elder_update(actor=worker, elder=elder, notes=f"第{i}次走访")
            elder_services.elder_group_add(actor=worker, elder=elder, group="dibao", valid_from=dt.date(2020, 1, i))
            elder_services.contact_add(actor=worker, elder=elder, name=f"联系人{i}", relation=Relation.CHILD, phone="13800001111")
            elder_services.consent_record(actor=worker, elder=elder, kind=ConsentKind.DATA_SHARING, granted=True, signed_by=f"签字人{i}")
            facility = Institution.objects.create(
                name=f"托养中心{i}", kind=FacilityKind.DAY_CARE, ownership=Ownership.PUBLIC, community=city.community, beds=10
            )
            start = dt.date(2025, 1, 1) + dt.timedelta(days=10 * i)
            stay_record(actor=worker, elder=elder, facility=facility, kind=StayKind.RESPITE, start=start, end=start + dt.timedelta(days=2))

    grow(N)
    client.force_login(officer)
    rows = counts(
        r"<td>托养中心\d+</td>",
        r'<th scope="row">联系人\d+</th>',
        r"<td>签字人\d+</td>\s*<td>[^<]+ · 社工\d+</td>",
        r'<td class="nowrap">[^<]+</td>\s*<td>[^<]+</td>',
    )
    # The trail: the registration and the first round's four entries, then four a round and the
    # closing of the group the round before opened.
    url = reverse("console:elder_detail", args=[elder.pk])
    # login 3; the elder and its contacts (elder_get), its active groups, its consents; the ids of its
    # groups, contacts and consents, the audit page; the stays, the stays again (current institution),
    # the facilities (stay form), whether a stay is open (stay-end form); the assessments section (the
    # elder again, two of assessments), the allowances section (the elder again, the accounts); the
    # assessment in force (whether there is an observation to report)
    before, after = (N, N, N, 5 * N), (N + MORE, N + MORE, N + MORE, 5 * (N + MORE))
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE), before=before, after=after, ceiling=21 + MARGIN)
    assert cost == 21


def test_elder_detail_audit_of_moves(client, city, personas):
    """The audit trail of an elder who moves between the street's two communities, again and again."""
    officer = personas[R.CIVIL_STREET]
    elder = elder_services.elder_create(actor=officer, **testing.elder_data(residence=city.community))
    rounds = itertools.count(1)

    def grow(count: int) -> None:
        for _ in range(count):
            i = next(rounds)
            worker = testing.user(f"qc-move-worker{i}", R.COMMUNITY_WORKER, city.street, display_name=f"社工{i}")
            elder_services.elder_update(actor=worker, elder=elder, residence=(city.community, city.community_b)[i % 2])

    grow(N)
    client.force_login(officer)
    rows = counts(r"<li><strong>[^<]+</strong>: (?:清波社区|柳翠井社区) → (?:清波社区|柳翠井社区)</li>")
    url = reverse("console:elder_detail", args=[elder.pk])
    # As the page above, with the communities the moves name (one query for all of them).
    cost = pin_page(client, url, rows=rows, grow=lambda: grow(MORE), before=(N,), after=(N + MORE,), ceiling=22 + MARGIN)
    assert cost == 22
