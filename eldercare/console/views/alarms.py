"""The alarm board (live: the page asks the API for the open alarms every half second) and an
alarm's page with the elder's context and the steps the operator may take."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from eldercare.devices import alarms, selectors
from eldercare.devices.models import Responder

from ..forms_alarms import AlarmDispatchForm, AlarmResolveForm
from .actions import Action, NoInput, perform, stale, table

BOARD_ROWS, WARNING_ROWS = 100, 50  # the first page; the live board then asks the API


@login_required
@never_cache
def alarm_board(request):
    context = {"alarms": selectors.alarm_board(request.user)[:BOARD_ROWS], "warnings": selectors.open_warnings(request.user)[:WARNING_ROWS]}
    return render(request, "console/alarm_board.html", context)


def _alarm_page(request, alarm, *, forms: dict | None = None):
    """The alarm's page; `forms` holds a step's form sent back with errors."""
    contacts, devices = selectors.alarm_context(alarm)
    context = {
        "alarm": alarm,
        "events": alarm.events.select_related("actor").order_by("pk"),
        "contacts": contacts,
        "devices": devices,
        "responders": Responder.choices,
        "actions": selectors.alarm_actions(request.user, alarm),
        "forms": forms or {},
    }
    return render(request, "console/alarm_detail.html", context)


@login_required
@never_cache
def alarm_detail(request, pk: int):
    return _alarm_page(request, selectors.alarm_get(actor=request.user, pk=pk))


ALARM_ACTIONS = table(
    Action("acknowledge", NoInput, alarms.alarm_acknowledge),
    Action("dispatch", AlarmDispatchForm, alarms.alarm_dispatch),
    Action("resolve", AlarmResolveForm, alarms.alarm_resolve),
)


@login_required
@never_cache
def alarm_act(request, pk: int):
    """Every step of an alarm posts here, named by `action`."""
    alarm = selectors.alarm_get(actor=request.user, pk=pk)
    return perform(
        request,
        alarm,
        ALARM_ACTIONS.get(request.POST.get("action", "")),
        offered=selectors.alarm_actions(request.user, alarm),
        page=lambda action, form: _alarm_page(request, selectors.alarm_get(actor=request.user, pk=pk), forms={action.name: form}),
        back=reverse("console:alarm_detail", args=[pk]),
        out_of_date=stale(request.user, alarm, selectors.alarm_actions, selectors.ALARM_STEPS),
    )
