"""`selectors.order_actions` offers exactly the steps the order services let each user take: for
every status an order can be in, every persona (and a caregiver the order is not assigned to) and
every step, the selector's answer is checked against the service itself, run in a savepoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.elders.models import Contact, Relation
from eldercare.homecare import selectors
from eldercare.homecare.matching import BUSY
from eldercare.homecare.models import Order, OrderStatus
from eldercare.homecare.services import orders as o

from .conftest import HOME

R = Role
S = OrderStatus
ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}

# Each step with input the service accepts, so that only who and when decide.
STEPS = {
    "auto_dispatch": lambda svc: {},
    "assign": lambda svc: {"caregiver": svc.zhang, "note": "就近"},
    "dispatch": lambda svc: {},
    "accept": lambda svc: {},
    "decline": lambda svc: {"reason": "生病"},
    "depart": lambda svc: {},
    "check_in": lambda svc: {"latitude": HOME[0], "longitude": HOME[1]},
    "check_out": lambda svc: {"record": "打扫卫生"},
    "confirm": lambda svc: {"rating": 5, "comment": ""},
    "cancel": lambda svc: {"reason": "老人住院"},
    "no_show": lambda svc: {"reason": "家中无人"},
}
# How to take a requested order to each status: (step, who) in turn.
PATHS = {
    S.REQUESTED: [],
    S.MATCHED: [("assign", R.CENTER_OPERATOR)],
    S.DISPATCHED: [("assign", R.CENTER_OPERATOR), ("dispatch", R.CENTER_OPERATOR)],
    S.ACCEPTED: [("assign", R.CENTER_OPERATOR), ("dispatch", R.CENTER_OPERATOR), ("accept", R.CAREGIVER)],
    S.EN_ROUTE: [("assign", R.CENTER_OPERATOR), ("dispatch", R.CENTER_OPERATOR), ("accept", R.CAREGIVER), ("depart", R.CAREGIVER)],
}
PATHS[S.CHECKED_IN] = PATHS[S.EN_ROUTE] + [("check_in", R.CAREGIVER)]
PATHS[S.CHECKED_OUT] = PATHS[S.CHECKED_IN] + [("check_out", R.CAREGIVER)]
PATHS[S.CONFIRMED] = PATHS[S.CHECKED_OUT] + [("confirm", R.ELDER)]
PATHS[S.CANCELLED] = [("cancel", R.COMMUNITY_WORKER)]
PATHS[S.NO_SHOW] = PATHS[S.DISPATCHED] + [("no_show", R.CENTER_OPERATOR)]


def order_in(status, svc, personas):
    # One caregiver serves every order made here, never two at once: each order after the first
    # takes the next quarter-hour window (all of them today, near now, for the phone page's list).
    busy = Order.objects.filter(caregiver=svc.zhang, status__in=BUSY).count()
    now = timezone.now()
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time.min))
    gap = min(dt.timedelta(minutes=15), (midnight - now) / 10)  # however late the test runs
    start = now - gap / 4 + gap * busy
    order = o.order_request(
        actor=personas[R.COMMUNITY_WORKER],
        elder=svc.elder,
        item=svc.items["clean_home"],
        window_start=start,
        window_end=start + gap * 0.9,
        channel="phone",
    )
    for step, who in PATHS[status]:
        order = getattr(o, f"order_{step}")(actor=personas[who], order=order, **STEPS[step](svc))
    order.refresh_from_db()
    assert order.status == status
    return order


def service_lets(actor, order, step, svc) -> bool:
    """Whether the service gets past its checks of status and person (then undone)."""
    try:
        with transaction.atomic():
            try:
                getattr(o, f"order_{step}")(actor=actor, order=order, **STEPS[step](svc))
            finally:
                transaction.set_rollback(True)
    except (PermissionDenied, o.TransitionError):
        return False
    except ValidationError:
        return True  # refused for its input or the world (no caregiver free, no price), not for who or when
    return True


@pytest.fixture
def actors(svc, personas):
    for carer in (svc.zhang, svc.li):  # matching finds them whatever the hour
        carer.hours = ALL_DAY
        carer.save()
    return {**{role.value: user for role, user in personas.items()}, "other caregiver": svc.li.user}


@pytest.mark.parametrize("status", list(PATHS))
def test_the_selector_offers_what_the_services_allow(status, svc, personas, actors):
    order = order_in(status, svc, personas)
    for who, actor in actors.items():
        offered = selectors.order_actions(actor, order)
        allowed = {step for step in STEPS if service_lets(actor, order, step, svc)}
        assert offered == allowed, (status, who)


def test_what_each_side_is_offered(svc, personas):
    dispatched = order_in(S.DISPATCHED, svc, personas)
    assert selectors.order_actions(personas[R.CENTER_OPERATOR], dispatched) == {"cancel", "no_show"}
    assert selectors.order_actions(personas[R.CAREGIVER], dispatched) == {"accept", "decline", "no_show"}
    assert selectors.order_actions(svc.li.user, dispatched) == frozenset()
    assert selectors.order_actions(personas[R.ELDER], dispatched) == {"cancel", "no_show"}
    assert selectors.order_actions(personas[R.CIVIL_STREET], dispatched) == frozenset()  # reads orders, takes no step
    requested = order_in(S.REQUESTED, svc, personas)
    assert selectors.order_actions(personas[R.CENTER_OPERATOR], requested) == {"auto_dispatch", "assign", "cancel"}
    assert selectors.order_actions(personas[R.PROVIDER_ADMIN], requested) == {"assign"}  # an open order, for its own caregivers
    Contact.objects.create(elder=svc.elder, name="王小明", relation=Relation.CHILD, phone="13800001111", user=personas[R.FAMILY])
    checked_out = order_in(S.CHECKED_OUT, svc, personas)
    for role in (R.ELDER, R.FAMILY, R.COMMUNITY_WORKER):
        assert selectors.order_actions(personas[role], checked_out) == {"confirm"}, role
    assert selectors.order_actions(personas[R.CENTER_OPERATOR], checked_out) == frozenset()


def test_asking_costs_few_queries(svc, personas, django_assert_max_num_queries):
    order = order_in(S.CHECKED_OUT, svc, personas)
    with django_assert_max_num_queries(1):  # whether the elder is the actor's own
        offered = selectors.order_actions(personas[R.FAMILY], order)
    assert offered == frozenset()  # not the family persona's elder: nothing to confirm
