"""The alarm board (live: the page asks the API for the open alarms every half second) and an
alarm's page with the elder's context and the operator's actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eldercare.devices import alarms, selectors
from eldercare.devices.models import Responder


@login_required
@never_cache
def alarm_board(request):
    context = {"alarms": selectors.alarm_board(request.user), "warnings": selectors.open_warnings(request.user, limit=50)}
    return render(request, "console/alarm_board.html", context)


@login_required
@never_cache
def alarm_detail(request, pk: int):
    alarm = selectors.alarm_get(actor=request.user, pk=pk)
    contacts, devices = selectors.alarm_context(alarm)
    context = {
        "alarm": alarm,
        "events": alarm.events.select_related("actor").order_by("pk"),
        "contacts": contacts,
        "devices": devices,
        "responders": Responder.choices,
    }
    return render(request, "console/alarm_detail.html", context)


ACTIONS = {
    "acknowledge": lambda request, alarm: alarms.alarm_acknowledge(actor=request.user, alarm=alarm),
    "dispatch": lambda request, alarm: alarms.alarm_dispatch(
        actor=request.user, alarm=alarm, responder=request.POST.get("responder", ""), name=request.POST.get("name", "")
    ),
    "resolve": lambda request, alarm: alarms.alarm_resolve(actor=request.user, alarm=alarm, outcome=request.POST.get("outcome", "")),
}


@login_required
@require_POST
def alarm_act(request, pk: int):
    alarm = selectors.alarm_get(actor=request.user, pk=pk)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise PermissionDenied
    try:
        done = action(request, alarm)
        messages.success(request, _("Done: %(status)s") % {"status": done.get_status_display()})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console:alarm_detail", pk)
