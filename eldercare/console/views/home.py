"""Each role's home: what needs the person who opens it.

- Elders and families: an age-friendly page (large type, one thing per step) with the elder's
  services, a way to book one, ratings of delivered ones, the allowance left and who to call.
- Officers, community workers, centre operators (anyone with the registry): a work home, each tile a
  count of what waits for them linking to its list, shown only where the capabilities allow.
- A provider's admins: open orders to dispatch, caregivers on duty. Caregivers: today's and
  tomorrow's tasks.
Which home follows capabilities and scope, never role names (accounts/roles.py is the only table).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, scope_for
from eldercare.assessments import selectors as assessment_selectors
from eldercare.assessments.models import Status as AssessmentStatus
from eldercare.devices import selectors as device_selectors
from eldercare.elders import selectors as elder_selectors
from eldercare.elders.models import Elder, ElderStatus
from eldercare.entitlements import selectors as entitlement_selectors
from eldercare.homecare import selectors as order_selectors
from eldercare.homecare.models import Caregiver, Order, OrderStatus, ServiceItem
from eldercare.homecare.services import orders as order_services

from .actions import perform
from .orders import ORDER_ACTIONS

# --------------------------------------------------------------------------------- who lands where


@login_required
@never_cache
def home(request) -> HttpResponse:
    user = request.user
    if scope_for(user).personal and has_cap(user, Cap.VIEW_ORDERS):
        return _elder_home(request)
    if has_cap(user, Cap.VIEW_ELDERS):
        return _work_home(request)
    if has_cap(user, Cap.MANAGE_CAREGIVERS) or has_cap(user, Cap.SERVE):
        return _service_home(request)
    if has_cap(user, Cap.ASSESS):
        return _assessor_home(request)
    # Volunteers meet elders through visits (the community-care pages).
    return render(request, "console/no_registry.html")


# --------------------------------------------------------------------------------- work homes


@dataclass
class Tile:
    count: int
    label: str
    url: str | None  # None: a figure with no list of its own (yet)
    urgent: bool = False  # shown in the alert colour when there is anything


def _tiles(user) -> list[Tile]:
    """What waits for the user, one count per list they may open."""
    tiles: list[Tile] = []
    scope = scope_for(user)
    if has_cap(user, Cap.VIEW_ALARMS):
        board = reverse("console:alarm_board")
        tiles.append(Tile(device_selectors.alarm_board(user).count(), _("未处理的紧急告警"), board, urgent=True))
        tiles.append(Tile(device_selectors.open_warnings(user).count(), _("未关闭的预警"), board + "#warnings-h", urgent=True))
    if has_cap(user, Cap.VIEW_ORDERS) and scope.regional:
        orders = reverse("console:order_list")
        waiting = order_selectors.order_list(actor=user, status=OrderStatus.REQUESTED).count()
        tiles.append(Tile(waiting, _("待派单的服务工单"), orders + "?status=" + OrderStatus.REQUESTED))
        if has_cap(user, Cap.VIEW_ELDERS):
            flags = order_selectors.flags_visible(user).filter(resolved_by__isnull=True).count()
            tiles.append(Tile(flags, _("待处理的服务异常"), orders + "#flags-h", urgent=True))
    if has_cap(user, Cap.MANAGE_ASSESSMENTS):
        submitted = assessment_selectors.assessment_list(
            actor=user, filters=assessment_selectors.AssessmentFilters(status=AssessmentStatus.SUBMITTED)
        ).count()
        tiles.append(Tile(submitted, _("待审核的能力评估"), reverse("console:assessment_list") + "?status=" + AssessmentStatus.SUBMITTED))
    if has_cap(user, Cap.VIEW_HEALTH):
        due = assessment_selectors.overdue_reassessments(actor=user).count()
        tiles.append(Tile(due, _("到期应复评的老人"), reverse("console:assessment_list") + "#overdue-h"))
    return tiles


def _work_home(request) -> HttpResponse:
    user = request.user
    context = {
        "tiles": _tiles(user),
        "counts": elder_selectors.elder_counts(actor=user),
        "everywhere": scope_for(user).everywhere,
    }
    return render(request, "console/home.html", context)


def _service_home(request) -> HttpResponse:
    """A provider's admins and caregivers: the orders that wait for them."""
    user = request.user
    tiles: list[Tile] = []
    today = timezone.localdate()
    if has_cap(user, Cap.MANAGE_CAREGIVERS):
        orders = reverse("console:order_list")
        visible = order_selectors.orders_visible(user)
        tiles.append(
            Tile(
                visible.filter(status=OrderStatus.REQUESTED).count(),
                _("服务区域内待派单的工单"),
                orders + "?status=" + OrderStatus.REQUESTED,
            )
        )
        tiles.append(
            Tile(
                visible.filter(status=OrderStatus.MATCHED, provider__admins=user).count(),
                _("已匹配、待派出的工单"),
                orders + "?status=" + OrderStatus.MATCHED,
            )
        )
        on_duty = Caregiver.objects.filter(provider__admins=user, active=True).count()
        tiles.append(Tile(on_duty, _("在岗护理员"), None))
    if has_cap(user, Cap.SERVE):
        care = reverse("console:care_tasks")
        for day, label in ((today, _("今天的任务")), (today + dt.timedelta(days=1), _("明天的任务"))):
            count = order_selectors.caregiver_tasks(actor=user, day=day).exclude(status__in=DONE).count()
            tiles.append(Tile(count, label, f"{care}?day={day.isoformat()}"))
    return render(request, "console/no_registry.html", {"tiles": tiles})


# --------------------------------------------------------------------------------- the elder's home

ACTIVE = (
    OrderStatus.REQUESTED,
    OrderStatus.MATCHED,
    OrderStatus.DISPATCHED,
    OrderStatus.ACCEPTED,
    OrderStatus.EN_ROUTE,
    OrderStatus.CHECKED_IN,
)
DONE = (OrderStatus.CONFIRMED, OrderStatus.SETTLED, OrderStatus.NO_SHOW, OrderStatus.CANCELLED)
RECENT_DAYS = 30
# The services offered first, one big button each (the whole catalogue is one step further); a
# family sees respite care first: it is what a family carer books for themselves.
FEATURED = ("respite_care", "clean_home", "meal_delivery", "bath_home", "medical_escort", "life_care", "comfort_visit", "home_repair")
RATINGS = (
    (5, gettext_lazy("非常满意")),
    (4, gettext_lazy("满意")),
    (3, gettext_lazy("一般")),
    (2, gettext_lazy("不满意")),
    (1, gettext_lazy("很不满意")),
)


@dataclass
class ElderCard:
    elder: Elder
    upcoming: list[Order] = field(default_factory=list)
    to_rate: list[Order] = field(default_factory=list)
    recent: list[Order] = field(default_factory=list)
    accounts: list[Any] = field(default_factory=list)
    contacts: list[tuple[Any, str]] = field(default_factory=list)
    phone: str = ""


def _my_elders(user) -> QuerySet[Elder]:
    return elder_selectors.scoped_elders(user).filter(status=ElderStatus.ACTIVE).select_related("residence").order_by("name", "pk")


def _card(user, elder: Elder, now: dt.datetime) -> ElderCard:
    card = ElderCard(elder=elder)
    orders = order_selectors.orders_visible(user).filter(elder=elder)
    card.upcoming = list(orders.filter(status__in=ACTIVE, window_end__gte=now - dt.timedelta(hours=12)).order_by("window_start")[:6])
    waiting = list(orders.filter(status=OrderStatus.CHECKED_OUT).order_by("-window_start")[:6])
    card.to_rate = [o for o in waiting if "confirm" in order_selectors.order_actions(user, o)]
    card.recent = list(
        orders.filter(
            status__in=(OrderStatus.CONFIRMED, OrderStatus.SETTLED), window_start__gte=now - dt.timedelta(days=RECENT_DAYS)
        ).order_by("-window_start")[:5]
    )
    if has_cap(user, Cap.VIEW_ENTITLEMENTS):
        month = timezone.localdate().replace(day=1)
        card.accounts = list(entitlement_selectors.elder_accounts(actor=user, elder_id=elder.pk, month=month)[1])
    card.contacts = [(c, elder_selectors.phone_for(user, c)) for c in elder.contacts.filter(is_emergency=True).order_by("priority", "pk")]
    card.phone = elder_selectors.phone_for(user, elder) if elder.user_id != user.pk else ""
    return card


def _elder_home(request) -> HttpResponse:
    user = request.user
    now = timezone.now()
    cards = [_card(user, elder, now) for elder in _my_elders(user)]
    context = {"cards": cards, "ratings": RATINGS, "family": scope_for(user).family, "here": reverse("console:home")}
    return render(request, "console/home_elder.html", context)


# --------------------------------------------------------------------------------- booking, step by step

SLOTS = {"morning": (dt.time(9), gettext_lazy("上午")), "afternoon": (dt.time(14), gettext_lazy("下午"))}
DAYS_AHEAD = 7
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _window(item: ServiceItem, day: dt.date, slot: str) -> tuple[dt.datetime, dt.datetime]:
    """The time window booked: from the slot's hour, as long as the service and at least two hours
    (the caregiver's arrival window)."""
    start = timezone.make_aware(dt.datetime.combine(day, SLOTS[slot][0]))
    return start, start + dt.timedelta(minutes=max(item.minutes, 120))


def _days(today: dt.date) -> list[tuple[dt.date, str]]:
    names = {0: _("今天"), 1: _("明天"), 2: _("后天")}
    return [(d, names.get(i, _(WEEKDAYS[d.weekday()]))) for i, d in ((i, today + dt.timedelta(days=i)) for i in range(DAYS_AHEAD + 1))]


def _items(family: bool) -> tuple[list[ServiceItem], list[ServiceItem]]:
    """(the featured services, the rest of the catalogue), in that order."""
    items = list(order_selectors.catalogue())
    order = [code for code in FEATURED if family or code != "respite_care"]
    featured = sorted((i for i in items if i.code in order), key=lambda i: order.index(i.code))
    return featured, [i for i in items if i not in featured]


@login_required
@never_cache
def book(request) -> HttpResponse:
    """预约服务: who (when the user looks after several elders) → which service → which day → which
    time (that button books). Each step is a page of big buttons; the steps so far ride in the URL."""
    user = request.user
    if not has_cap(user, Cap.REQUEST_SERVICE) or not scope_for(user).personal:
        raise PermissionDenied
    elders = list(_my_elders(user))
    if not elders:
        raise Http404
    chosen = {e.pk: e for e in elders}
    params = request.POST if request.method == "POST" else request.GET
    elder = chosen.get(_int(params.get("elder")) or 0) if len(elders) > 1 else elders[0]
    family = scope_for(user).family
    featured, more = _items(family)
    items = {i.code: i for i in [*featured, *more]}
    item = items.get(params.get("item", ""))
    today = timezone.localdate()
    day = _date(params.get("day"), today)
    context: dict[str, Any] = {"elders": elders, "elder": elder, "item": item, "day": day, "family": family}
    if elder is None:
        context["step"] = "elder"
    elif item is None:
        context |= {"step": "item", "featured": featured, "more": more}
    elif day is None:
        context |= {"step": "day", "days": _days(today)}
    else:
        slots = [(key, label, *_window(item, day, key)) for key, (_start, label) in SLOTS.items()]
        context |= {"step": "time", "slots": [s for s in slots if s[2] > timezone.now()]}
        if request.method == "POST":
            slot = params.get("slot", "")
            if slot not in SLOTS:
                context["error"] = _("请选择上午或下午")
            else:
                start, end = _window(item, day, slot)
                try:
                    order_services.order_request(actor=user, elder=elder, item=item, window_start=start, window_end=end)
                except ValidationError as exc:
                    context["error"] = "；".join(exc.messages)
                else:
                    messages.success(
                        request,
                        _("已预约：%(item)s，%(day)s %(start)s。服务中心会安排护理员，护理员接单后会在这里显示。")
                        % {
                            "item": item.name.partition(" / ")[0],
                            "day": day.strftime("%m月%d日"),
                            "start": timezone.localtime(start).strftime("%H:%M"),
                        },
                    )
                    return redirect("console:home")
    return render(request, "console/home_book.html", context)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _date(value: str | None, today: dt.date) -> dt.date | None:
    """A day from the booking's next week; anything else is no choice yet."""
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and today <= day <= today + dt.timedelta(days=DAYS_AHEAD) else None


@login_required
@never_cache
def rate(request, pk: int) -> HttpResponse:
    """评价: confirm a delivered service with one of five big buttons (the order's `confirm` step)."""
    order = order_selectors.order_get(actor=request.user, pk=pk)
    back = reverse("console:home")

    def again(action, form) -> HttpResponse:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)

    return perform(
        request,
        order,
        ORDER_ACTIONS["confirm"],
        offered=order_selectors.order_actions(request.user, order),
        page=again,
        back=back,
        out_of_date=lambda name: _("这项服务现在不能评价") if order.status != OrderStatus.CHECKED_OUT else None,
    )


def _assessor_home(request) -> HttpResponse:
    """An assessment agency's assessors: the assessments assigned to them that wait to be done."""
    user = request.user
    url = reverse("console:assessment_list")
    tiles = [
        Tile(
            assessment_selectors.assessment_list(actor=user, filters=assessment_selectors.AssessmentFilters(status=status)).count(),
            label,
            f"{url}?status={status}",
        )
        for status, label in ((AssessmentStatus.SCHEDULED, _("待上门评估")), (AssessmentStatus.IN_PROGRESS, _("评估中，待提交")))
    ]
    note = _("您的工作通过指派给您的能力评估下达：到老人家中按国家标准逐项评估，填写后提交审核。")
    return render(request, "console/no_registry.html", {"tiles": tiles, "note": note, "assess": True})
