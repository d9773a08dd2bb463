"""Reads of door-to-door services, scoped to the acting user.

Officers and centre operators see the orders of their region; a provider's admins its orders and
the open orders in its service areas; a caregiver their own tasks; an elder and their family the
elder's orders.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, require, scope_for
from eldercare.core.errors import Err
from eldercare.elders.selectors import scoped_elders
from eldercare.providers.models import Provider
from eldercare.providers.selectors import areas_run_by
from eldercare.regions.models import code_bounds, covering_codes

from .models import Caregiver, FraudFlag, GuidePrice, Order, OrderStatus, ServiceItem
from .services.orders import TRANSITIONS, may_dispatch
from .services.orders import OrderAction as A

ERR_ORDER_NOT_FOUND = Err("homecare.order_not_found", "未找到该工单 / no such order")


def orders_visible(actor: User) -> QuerySet[Order]:
    require(actor, Cap.VIEW_ORDERS)
    scope = scope_for(actor)
    orders = Order.objects.select_related("item", "elder", "caregiver", "provider")
    if scope.regional:
        return orders.filter(scope.q(region_field="region_id"))
    if has_cap(actor, Cap.MANAGE_CAREGIVERS):  # a provider's admins
        return orders.filter(Q(provider__admins=actor) | (Q(status=OrderStatus.REQUESTED) & areas_run_by(actor))).distinct()
    if has_cap(actor, Cap.SERVE):  # a caregiver
        return orders.filter(caregiver__user=actor)
    if scope.personal:
        return orders.filter(elder__in=scoped_elders(actor).values("pk"))
    return orders.none()


def order_get(*, actor: User, pk: int) -> Order:
    order = orders_visible(actor).filter(pk=pk).first()
    if order is None:
        raise Http404(ERR_ORDER_NOT_FOUND)
    return order


def order_list(*, actor: User, status: str | None = None, region: str | None = None) -> QuerySet[Order]:
    orders = orders_visible(actor)
    if status:
        orders = orders.filter(status=status)
    if region:
        lo, hi = code_bounds(region)
        orders = orders.filter(region_id__gte=lo, region_id__lte=hi)
    return orders.order_by("-window_start", "-pk")


def caregiver_tasks(*, actor: User, day: dt.date | None = None) -> QuerySet[Order]:
    """A caregiver's tasks of a day (today by default), in time order, cancelled ones left out."""
    require(actor, Cap.SERVE)
    day = day or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return (
        Order.objects.select_related("item", "elder", "elder__residence", "caregiver")
        .filter(caregiver__user=actor, window_start__lt=start + dt.timedelta(days=1), window_end__gt=start)
        .exclude(status__in=[OrderStatus.CANCELLED])
        .order_by("window_start")
    )


def flags_visible(actor: User) -> QuerySet[FraudFlag]:
    """Fraud flags for supervisors: the officers of the region the orders are in."""
    require(actor, Cap.VIEW_ELDERS)
    require(actor, Cap.VIEW_ORDERS)
    scope = scope_for(actor)
    if not scope.regional:
        return FraudFlag.objects.none()
    return FraudFlag.objects.select_related("order", "order__caregiver", "order__item").filter(scope.q(region_field="order__region_id"))


def guide_prices_current(*, actor: User, day: dt.date | None = None, item: ServiceItem | None = None) -> QuerySet[GuidePrice]:
    """The guide prices in force on `day` (today) or set to start later, for the actor's region:
    those set for a region inside it and those of the regions above it that apply there."""
    require(actor, Cap.MANAGE_CATALOG)
    day = day or timezone.localdate()
    scope = scope_for(actor)
    where = scope.q(region_field="region_id")
    if not scope.everywhere and actor.region_id is not None:
        where |= Q(region_id__in=covering_codes(actor.region_id))
    prices = GuidePrice.objects.filter(where).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    if item is not None:
        prices = prices.filter(item=item)
    return prices.select_related("item", "item__category", "region", "set_by").order_by(
        "item__category", "item__code", "region_id", "valid_from"
    )


def provider_caregivers(provider: Provider) -> QuerySet[Caregiver]:
    """A provider's caregivers, for its page (the caller opened the provider through
    `providers.selectors.provider_get`)."""
    return provider.caregivers.select_related("user").order_by("-active", "name", "pk")


def provider_recent_orders(provider: Provider, *, days: int = 30) -> int:
    """How many orders the provider took (was assigned) in the last `days` days."""
    return Order.objects.filter(provider=provider, window_start__gte=timezone.now() - dt.timedelta(days=days)).count()


def catalogue() -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(active=True).select_related("category").order_by("category", "code")


# ---------------------------------------------------------------- what a user may do to an order


def _dispatches(actor: User, order: Order) -> bool:
    """`services.orders.may_dispatch` asked as a question."""
    try:
        may_dispatch(actor, order)
    except PermissionDenied:
        return False
    return True


AUTO_DISPATCH = "auto_dispatch"  # match and dispatch in one step (services.orders.order_auto_dispatch)


def order_actions(actor: User, order: Order) -> frozenset[str]:
    """The steps to offer the actor on an order they can see (its buttons; the console refuses any
    other before calling a service, and each service checks again under the row lock).

    The order's status must allow the step (`TRANSITIONS`; matching and dispatching in one step
    starts where assigning does). Who may take it follows the services: the dispatchers of the
    order's region or provider (`may_dispatch`) match, assign and dispatch, and a provider's admins
    assign an open order (to their own caregivers, which the service checks); the assigned caregiver
    accepts, declines, sets off, checks in and out; the elder's side (the elder, their family, the
    community workers of the region) confirms; dispatchers, or whoever may order for the elder,
    cancel; a no-show is reported by the assigned caregiver, a dispatcher or the elder's side."""
    allowed = {step for step, (starts, _to) in TRANSITIONS.items() if order.status in starts}
    if not allowed:
        return frozenset()
    dispatcher = has_cap(actor, Cap.DISPATCH) and _dispatches(actor, order)
    own_task = has_cap(actor, Cap.SERVE) and order.caregiver is not None and order.caregiver.user_id == actor.pk
    elder_in_scope: list[bool] = []  # asked at most once, and only when a step needs it

    def for_elder(cap: Cap) -> bool:
        if not has_cap(actor, cap):
            return False
        if not elder_in_scope:
            elder_in_scope.append(scoped_elders(actor).filter(pk=order.elder_id).exists())
        return elder_in_scope[0]

    actions: set[str] = set()
    if dispatcher:
        actions |= allowed & {A.ASSIGN, A.DISPATCH}
        if A.ASSIGN in allowed:
            actions.add(AUTO_DISPATCH)
    elif A.ASSIGN in allowed and order.provider_id is None and has_cap(actor, Cap.DISPATCH) and has_cap(actor, Cap.MANAGE_CAREGIVERS):
        actions.add(A.ASSIGN)  # a provider's admin takes an open order for one of its own caregivers
    if own_task:
        actions |= allowed & {A.ACCEPT, A.DECLINE, A.DEPART, A.CHECK_IN, A.CHECK_OUT}
    if A.CONFIRM in allowed and for_elder(Cap.CONFIRM_SERVICE):
        actions.add(A.CONFIRM)
    if A.CANCEL in allowed and (dispatcher or for_elder(Cap.REQUEST_SERVICE)):
        actions.add(A.CANCEL)
    if A.NO_SHOW in allowed:
        # As the service asks: a caregiver only for their own task, then dispatchers, then the elder's side.
        if has_cap(actor, Cap.SERVE):
            reports = own_task
        elif has_cap(actor, Cap.DISPATCH):
            reports = dispatcher
        else:
            reports = for_elder(Cap.CONFIRM_SERVICE)
        if reports:
            actions.add(A.NO_SHOW)
    return frozenset(actions)
