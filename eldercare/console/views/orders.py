"""Service order pages: the operators' list and order page (match, assign, dispatch, cancel), the
new-order form from an elder's record, and the caregiver's phone page of the day's tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap
from eldercare.elders import selectors as elder_selectors
from eldercare.homecare import matching, selectors
from eldercare.homecare.models import Caregiver, OrderStatus
from eldercare.homecare.services import orders

from ..forms import add_service_errors
from ..forms_orders import OrderFilterForm, OrderForm


@login_required
@never_cache
def order_list(request):
    form = OrderFilterForm(request.GET)
    status = form.cleaned_data.get("status") if form.is_valid() else None
    queryset = selectors.order_list(actor=request.user, status=status or None)
    page_obj = Paginator(queryset, 50).get_page(request.GET.get("page"))
    flags = list(selectors.flags_visible(request.user)[:20]) if has_cap(request.user, Cap.VIEW_ELDERS) else []
    return render(request, "console/order_list.html", {"form": form, "page_obj": page_obj, "flags": flags})


@login_required
@never_cache
def order_create(request, pk: int):
    elder = elder_selectors.elder_get(actor=request.user, pk=pk)
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = orders.order_request(actor=request.user, elder=elder, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The order is placed."))
            return redirect("console:order_detail", order.pk)
    return render(request, "console/order_form.html", {"form": form, "elder": elder})


@login_required
@never_cache
def order_detail(request, pk: int):
    order = selectors.order_get(actor=request.user, pk=pk)
    choice = None
    can_dispatch = False
    if order.status in (OrderStatus.REQUESTED, OrderStatus.MATCHED):
        try:
            orders.may_dispatch(request.user, order)
            can_dispatch = True
        except PermissionDenied:
            pass
        if can_dispatch:
            choice = matching.match(order)
    candidates = Caregiver.objects.filter(pk__in=[cid for cid, _ in choice.candidates]) if choice else []
    context = {
        "order": order,
        "events": order.events.select_related("actor").order_by("pk"),
        "flags": order.flags.all(),
        "choice": choice,
        "candidates": sorted(candidates, key=lambda c: [cid for cid, _ in choice.candidates].index(c.pk)) if choice else [],
        "can_dispatch": can_dispatch,
        "can_confirm": order.status == OrderStatus.CHECKED_OUT and has_cap(request.user, Cap.CONFIRM_SERVICE),
        "can_cancel": order.status in orders.TRANSITIONS["cancel"][0]
        and (has_cap(request.user, Cap.DISPATCH) or has_cap(request.user, Cap.REQUEST_SERVICE)),
    }
    return render(request, "console/order_detail.html", context)


def _decimal(value: str | None):
    try:
        return Decimal(value) if value not in (None, "") else None
    except InvalidOperation:
        return None


ACTIONS = {
    "auto_dispatch": lambda request, order: orders.order_auto_dispatch(actor=request.user, order=order),
    "assign": lambda request, order: orders.order_assign(
        actor=request.user,
        order=order,
        caregiver=get_object_or_404(Caregiver, pk=request.POST.get("caregiver") or 0),
        note=request.POST.get("note", ""),
    ),
    "dispatch": lambda request, order: orders.order_dispatch(actor=request.user, order=order),
    "accept": lambda request, order: orders.order_accept(actor=request.user, order=order),
    "decline": lambda request, order: orders.order_decline(actor=request.user, order=order, reason=request.POST.get("reason", "")),
    "depart": lambda request, order: orders.order_depart(actor=request.user, order=order),
    "check_in": lambda request, order: orders.order_check_in(
        actor=request.user, order=order, latitude=_decimal(request.POST.get("latitude")), longitude=_decimal(request.POST.get("longitude"))
    ),
    "check_out": lambda request, order: orders.order_check_out(actor=request.user, order=order, record=request.POST.get("record", "")),
    "confirm": lambda request, order: orders.order_confirm(
        actor=request.user, order=order, rating=int(request.POST.get("rating") or 0), comment=request.POST.get("comment", "")
    ),
    "cancel": lambda request, order: orders.order_cancel(actor=request.user, order=order, reason=request.POST.get("reason", "")),
    "no_show": lambda request, order: orders.order_no_show(actor=request.user, order=order, reason=request.POST.get("reason", "")),
}


@login_required
@require_POST
def order_act(request, pk: int):
    """One form target for every transition: the service decides whether it is allowed."""
    order = selectors.order_get(actor=request.user, pk=pk)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise PermissionDenied
    try:
        done = action(request, order)
        messages.success(request, _("Done: %(status)s") % {"status": done.get_status_display()})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("console:order_detail", pk)


@login_required
@never_cache
def care_tasks(request):
    """The caregiver's phone page: the day's tasks with one big button for the next step."""
    day = timezone.localdate()
    if request.GET.get("day"):
        try:
            day = dt.date.fromisoformat(request.GET["day"])
        except ValueError:
            pass
    tasks = list(selectors.caregiver_tasks(actor=request.user, day=day))
    return render(request, "console/care_tasks.html", {"tasks": tasks, "day": day, "S": OrderStatus})
