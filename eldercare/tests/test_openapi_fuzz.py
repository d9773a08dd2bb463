"""Every operation of the OpenAPI, fuzzed (schemathesis): no input answers 500, every answer fits the
schema the OpenAPI gives for its status, and every status answered is one the OpenAPI lists.

The API is called in process (Django's WSGI handler) against a small demo city, as the platform's
admin and as a street officer, each with an API token. Drawn ids and codes are steered towards
records of the city most of the time (and left as drawn otherwise, so absent ones are asked for too):
the examples reach the services, not only the 404s. The city is built once for the module, inside a
transaction rolled back at the end; each operation's test runs in a savepoint of it and each example
in one more, rolled back after the call, so every example meets the same city. Hypothesis is
derandomized and keeps no example database: every machine runs the same examples.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from ninja import Schema
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from eldercare.accounts.models import ApiToken, User
from eldercare.assessments.models import Assessment
from eldercare.demo.generator import build_demo_city
from eldercare.demo.generator.devices import build_devices
from eldercare.demo.generator.services import build_services
from eldercare.devices.models import Alarm, EarlyWarning, HomeCareBed, WarningAction
from eldercare.devices.simulator import Simulator, homes
from eldercare.elders.models import Elder
from eldercare.entitlements.models import Account, Entry, IssuanceRun, Settlement
from eldercare.entitlements.services.issuance import issuance_execute
from eldercare.entitlements.services.ledger import allowance_spend
from eldercare.entitlements.services.settlement import settlement_prepare
from eldercare.facilities.models import Institution, Stay
from eldercare.homecare.models import Caregiver, FlagKind, FraudFlag, Order, ServiceItem
from eldercare.providers.models import Provider
from eldercare.regions.models import Level, Region

APP = WSGIHandler()
# The coverage phase's requests with methods an operation does not have are left out: ninja answers
# them all the same way (405), and they were a tenth of the run.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": []}}})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP, config=CONFIG)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PERSONAS = ("admin", "street_officer")
EXAMPLES = 10  # per operation and persona: the whole file stays within a few minutes on SQLite
SEED = 5


@dataclass
class City:
    tokens: dict[str, str] = field(default_factory=dict)
    # What a drawn value of each name (a path parameter, a query parameter or a body field) is
    # steered to: the city's ids and codes of that kind.
    known: dict[str, list[Any]] = field(default_factory=dict)


def _build() -> City:
    """A small demo city (the `demo_city` command's steps, at a few dozen elders): the registry with
    its assessments, this month's and last month's allowances, providers, caregivers and orders at
    every stage, devices with a round of readings and alarms; plus a spend, a prepared settlement,
    a fraud flag and an early warning, so that each kind of record an operation names exists."""
    quiet = lambda _message: None  # noqa: E731
    build_demo_city(elders=60, communities=26, seed=SEED, log=quiet)
    admin = User.objects.get(username="admin")
    city = Region.objects.get(level=Level.CITY)
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for month in (last_month, this_month):
        issuance_execute(run_id=IssuanceRun.objects.create(region=city, month=month).pk)
    build_services(seed=SEED, per_community=0.3, log=quiet)
    build_devices(seed=SEED, log=quiet)
    Simulator(homes(quiet_share=0.2, seed=SEED), seed=SEED).tick(press_chance=0.3)
    provider = Provider.objects.order_by("pk").first()
    account = Account.objects.filter(month=last_month, balance__gt=0).order_by("pk").first()
    if provider and account:
        allowance_spend(
            actor=admin, account=account, amount=1, key="fuzz-spend", on=last_month, provider=provider, value=100, reference="fuzz"
        )
    settlement_prepare(actor=admin, region=city, month=last_month)
    order = Order.objects.order_by("pk").first()
    if order:
        FraudFlag.objects.create(order=order, kind=FlagKind.TOO_SHORT, detail="fuzz")
    alarm = Alarm.objects.select_related("elder").order_by("pk").first()
    if alarm:
        EarlyWarning.objects.create(
            elder=alarm.elder, region_id=alarm.elder.residence_id, rule="fuzz", detail="fuzz", action=WarningAction.VISIT
        )

    def ids(model) -> list[int]:
        return list(model.objects.order_by("pk").values_list("pk", flat=True)[:40])

    regions = list(Region.objects.order_by("code").values_list("code", flat=True))
    communities = list(Region.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("code", flat=True))
    elders = ids(Elder)
    users = ids(User)
    made = City()
    made.known = {
        "elder_id": elders, "elder": elders,
        "assessment_id": ids(Assessment),
        "stay_id": ids(Stay), "facility": ids(Institution),
        "account_id": ids(Account), "entry_id": ids(Entry), "run_id": ids(IssuanceRun), "settlement_id": ids(Settlement),
        "provider_id": ids(Provider), "provider": ids(Provider),
        "order_id": ids(Order), "caregiver": ids(Caregiver), "flag_id": ids(FraudFlag),
        "alarm_id": ids(Alarm), "bed_id": ids(HomeCareBed), "warning_id": ids(EarlyWarning),
        "user": users, "assessor": users, "second_assessor": users,
        "code": regions, "parent": regions, "region": regions, "hukou_region": communities, "residence": communities,
        "item": list(ServiceItem.objects.order_by("code").values_list("code", flat=True)),
        "slug": ["gbt_42195_2022", "mzt_039_2013"],
        "month": [f"{last_month:%Y-%m}", f"{this_month:%Y-%m}"],
    }  # fmt: skip
    for username in PERSONAS:
        _, made.tokens[username] = ApiToken.issue(user=User.objects.get(username=username), name="fuzz")
    return made


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker) -> Iterator[City]:
    """The city, built once, in a transaction rolled back when the module is done. It is marked as
    Django's TestCase marks its class-wide transaction, so durable services can run inside it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]  # what TestCase sets on its own atomics
        outer.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module", autouse=True)
def _keep_connection_across_requests() -> Iterator[None]:
    """As Django's test client does: the handler must not close the test's connection (and with it
    the transaction) when a request starts or finishes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _steer(value: Any, known: list[Any]) -> Any:
    """Most drawn values become one of the city's (picked by the value, so the same example always
    picks the same record); one in four is left as drawn."""
    if not known or isinstance(value, bool):
        return value
    if isinstance(value, int) and value % 4:
        return known[value % len(known)]
    if isinstance(value, str) and len(value) % 4:
        return known[len(value) % len(known)]
    return value


def steer(case, known: dict[str, list[Any]]) -> None:
    for part in (case.path_parameters, case.query):
        for name in list(part or {}):
            if name in known:
                part[name] = _steer(part[name], known[name])
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in known:
                case.body[name] = _steer(case.body[name], known[name])


@pytest.fixture
def safety_net(caplog) -> Iterator[None]:
    """The API's last resort turns a ValueError or OverflowError into a 400 and logs it: each one is
    a bound missing where the value came in. None may fire here."""
    with caplog.at_level(logging.ERROR, logger="eldercare.api"):
        yield
    fired = [r.getMessage() for r in caplog.records if r.name == "eldercare.api"]
    assert not fired, fired


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def call(case, city: City, persona: str):
    """One example: steered, sent with the persona's token, checked (CHECKS), and rolled back;
    returns the response."""
    steer(case, city.known)
    point = transaction.savepoint_create()
    try:
        return case.call_and_validate(headers={"Authorization": f"Bearer {city.tokens[persona]}"}, checks=CHECKS)
    finally:
        transaction.savepoint_rollback(point)
        transaction.set_rollback(False)


# The admin reaches every record: each operation gets schemathesis's coverage cases (each parameter
# at its bounds and past them, each required part left out) besides the drawn examples. The street
# officer, whose scope refuses most of the city, gets the drawn examples only.
@schema.parametrize()
@settings(SETTINGS, phases=[Phase.explicit, Phase.generate])
def test_as_admin(case, city, db, safety_net):
    assert call(case, city, "admin").status_code < 500


@schema.parametrize()
@settings(SETTINGS, phases=[Phase.generate])
def test_as_street_officer(case, city, db, safety_net):
    assert call(case, city, "street_officer").status_code < 500


def test_every_schema_has_its_own_name():
    """ninja names an OpenAPI schema by its class's name: two classes of one name would describe
    one operation with the other's shape."""
    found: dict[str, set[str]] = {}
    todo = [Schema]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("eldercare."):
            found.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {name: modules for name, modules in found.items() if len(modules) > 1} == {}
