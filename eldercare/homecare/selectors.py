"""Reads of door-to-door services, scoped to the acting user.

Officers and centre operators see the orders of their region; a provider's admins its orders and
the open orders in its service areas; a caregiver their own tasks; an elder and their family the
elder's orders.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, require, scope_for
from eldercare.elders.selectors import scoped_elders
from eldercare.providers.selectors import areas_run_by
from eldercare.regions.models import code_bounds

from .models import FraudFlag, Order, OrderStatus, ServiceItem

ERR_ORDER_NOT_FOUND = "未找到该工单 / no such order"


def orders_visible(actor) -> QuerySet[Order]:
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


def order_get(*, actor, pk: int) -> Order:
    order = orders_visible(actor).filter(pk=pk).first()
    if order is None:
        raise Http404(ERR_ORDER_NOT_FOUND)
    return order


def order_list(*, actor, status: str | None = None, region: str | None = None) -> QuerySet[Order]:
    orders = orders_visible(actor)
    if status:
        orders = orders.filter(status=status)
    if region:
        lo, hi = code_bounds(region)
        orders = orders.filter(region_id__gte=lo, region_id__lte=hi)
    return orders.order_by("-window_start", "-pk")


def caregiver_tasks(*, actor, day: dt.date | None = None) -> QuerySet[Order]:
    """A caregiver's tasks of a day (today by default), in time order, cancelled ones left out."""
    require(actor, Cap.SERVE)
    day = day or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return (
        Order.objects.select_related("item", "elder", "elder__residence")
        .filter(caregiver__user=actor, window_start__lt=start + dt.timedelta(days=1), window_end__gt=start)
        .exclude(status__in=[OrderStatus.CANCELLED])
        .order_by("window_start")
    )


def flags_visible(actor) -> QuerySet[FraudFlag]:
    """Fraud flags for supervisors: the officers of the region the orders are in."""
    require(actor, Cap.VIEW_ELDERS)
    require(actor, Cap.VIEW_ORDERS)
    scope = scope_for(actor)
    if not scope.regional:
        return FraudFlag.objects.none()
    return FraudFlag.objects.select_related("order", "order__caregiver", "order__item").filter(scope.q(region_field="order__region_id"))


def catalogue() -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(active=True).order_by("category", "code")
