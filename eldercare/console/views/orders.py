"""Service order pages: the operators' list and order page (match, assign, dispatch, cancel), the
new-order form from an elder's record, and the caregiver's phone page of the day's tasks."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap
from eldercare.elders import selectors as elder_selectors
from eldercare.homecare import matching, selectors
from eldercare.homecare.models import Caregiver, OrderStatus
from eldercare.homecare.services import orders

from ..forms import add_service_errors
from ..forms_orders import AssignForm, CheckInForm, CheckOutForm, ConfirmForm, OrderFilterForm, OrderForm, ReasonForm
from .actions import Action, NoInput, perform, stale, table


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


def _order_page(request, order, *, forms: dict | None = None):
    """The order's page: its steps as the selector offers them; `forms` holds a step's form sent back with errors."""
    actions = selectors.order_actions(request.user, order)
    choice = matching.match(order) if actions & {"auto_dispatch", "assign"} else None
    ranked = [cid for cid, _score in choice.candidates] if choice else []
    context = {
        "order": order,
        "events": order.events.select_related("actor").order_by("pk"),
        "flags": order.flags.all(),
        "choice": choice,
        "candidates": sorted(Caregiver.objects.filter(pk__in=ranked).select_related("provider"), key=lambda c: ranked.index(c.pk)),
        "actions": actions,
        "forms": forms or {},
        "S": OrderStatus,
    }
    return render(request, "console/order_detail.html", context)


@login_required
@never_cache
def order_detail(request, pk: int):
    return _order_page(request, selectors.order_get(actor=request.user, pk=pk))


ORDER_ACTIONS = table(
    Action("auto_dispatch", NoInput, orders.order_auto_dispatch),
    Action("assign", AssignForm, orders.order_assign),
    Action("dispatch", NoInput, orders.order_dispatch),
    Action("accept", NoInput, orders.order_accept),
    Action("decline", ReasonForm, orders.order_decline),
    Action("depart", NoInput, orders.order_depart),
    Action("check_in", CheckInForm, orders.order_check_in),
    Action("check_out", CheckOutForm, orders.order_check_out),
    Action("confirm", ConfirmForm, orders.order_confirm),
    Action("cancel", ReasonForm, orders.order_cancel),
    Action("no_show", ReasonForm, orders.order_no_show),
)


def _safe_next(request) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


def _step(name: str) -> str:
    """The transition an action is checked as: matching and dispatching in one go starts where assigning does."""
    return "assign" if name == "auto_dispatch" else name


ORDER_STARTS = {name: orders.TRANSITIONS[_step(name)][0] for name in ORDER_ACTIONS}


@login_required
@never_cache
def order_act(request, pk: int):
    """Every step of an order posts here, named by `action`; the caregiver's task page adds `next`
    (where to go back to, and the page shown again when the input is refused)."""
    order = selectors.order_get(actor=request.user, pk=pk)
    target = _safe_next(request)
    care_day = _care_day(target)

    def page(action, form):
        if care_day is not None:
            assert target is not None  # a care day is read from the target (_care_day)
            return _care_page(request, care_day, here=target, failed={"order": order.pk, "action": action.name, "form": form})
        return _order_page(request, selectors.order_get(actor=request.user, pk=pk), forms={action.name: form})

    return perform(
        request,
        order,
        ORDER_ACTIONS.get(request.POST.get("action", "")),
        offered=selectors.order_actions(request.user, order),
        page=page,
        back=target or reverse("console:order_detail", args=[pk]),
        out_of_date=stale(
            request.user, order, selectors.order_actions, ORDER_STARTS, lambda name: orders.TransitionError(order, _step(name)).message
        ),
    )


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _care_day(target: str | None) -> dt.date | None:
    """The day of the caregiver's task page a step was posted from, if it was."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.path != reverse("console:care_tasks"):
        return None
    return _day(QueryDict(parts.query).get("day"))


# A caregiver's steps that wait for the visit's day (orders.too_early): setting off, checking in, and
# reporting nobody home.
WAIT_FOR_THE_DAY = frozenset({orders.OrderAction.DEPART, orders.OrderAction.CHECK_IN, orders.OrderAction.NO_SHOW})


def _care_page(request, day: dt.date, *, here: str, failed: dict | None = None):
    """The day's tasks, each with the steps the selector offers; `here` is this page's address (the
    steps come back to it); `failed` holds a step's form sent back with errors, shown on its task
    (or above them all when the order is not among the day's)."""
    if not dt.date(1900, 1, 1) <= day <= dt.date(2999, 12, 31):
        day = timezone.localdate()  # a typed-in day past any task's (and past the day before date.max)
    tasks = list(selectors.caregiver_tasks(actor=request.user, day=day))
    now = timezone.now()
    for task in tasks:
        steps = selectors.order_actions(request.user, task)
        # A later day's task: accept or decline it now, set off and check in on its day.
        waits = orders.too_early(task, now) and steps & WAIT_FOR_THE_DAY
        task.not_yet = bool(waits and steps & {orders.OrderAction.DEPART, orders.OrderAction.CHECK_IN})  # type: ignore[attr-defined]  # for the template: say why there is no 出发 yet
        if waits:
            steps = steps - WAIT_FOR_THE_DAY
        task.actions = steps  # type: ignore[attr-defined]  # for the template; Order (homecare, not console) should declare `actions: frozenset[str]`
    if failed is not None:
        failed["listed"] = any(task.pk == failed["order"] for task in tasks)
    today = timezone.localdate()
    context = {
        "tasks": tasks,
        "day": day,
        "S": OrderStatus,
        "here": here,
        "failed": failed,
        # Day navigation: a caregiver works tomorrow's tasks (accepts or declines them) from here too.
        "today": today,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "relative": {-1: _("昨天"), 0: _("今天"), 1: _("明天")}.get((day - today).days, ""),
    }
    return render(request, "console/care_tasks.html", context)


@login_required
@never_cache
def care_tasks(request):
    """The caregiver's phone page: the day's tasks with one big button for the next step."""
    return _care_page(request, _day(request.GET.get("day")), here=request.get_full_path())
