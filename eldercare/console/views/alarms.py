"""The alarm board (live: the server pushes the open alarms as server-sent events; the page polls the
API only when the stream fails), an alarm's page with the elder's context, the steps the operator may
take and the call buttons, and the early warnings' close form."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eldercare.devices import alarms, selectors
from eldercare.devices.models import Responder
from eldercare.elders.services import phone_reveal

from ..forms import add_service_errors
from ..forms_alarms import AlarmDispatchForm, AlarmResolveForm, CallForm, WarningCloseForm
from .actions import Action, NoInput, perform, stale, table

BOARD_ROWS, WARNING_ROWS = 100, 50  # the first page; the live board then follows the stream
# The stream: the board's mark checked every second, a comment now and then so proxies keep the
# connection, and an end after under a minute (the browser's EventSource reconnects by itself, a
# worker is never held for long, and a user who lost access stops getting news within a minute).
STREAM_SECONDS, STREAM_TICK, KEEPALIVE_SECONDS, RETRY_MS = 55.0, 1.0, 15.0, 2_000


def _board_context(request, **extra) -> dict:
    actor = request.user
    return {
        "alarms": selectors.alarm_board(actor)[:BOARD_ROWS],
        "warnings": selectors.open_warnings(actor)[:WARNING_ROWS],
        "may_close": selectors.warning_may_close(actor),
        **extra,
    }


@login_required
@never_cache
def alarm_board(request):
    return render(request, "console/alarm_board.html", _board_context(request))


def _alarm_page(request, alarm, *, forms: dict | None = None, revealed: dict | None = None):
    """The alarm's page; `forms` holds a step's form sent back with errors, `revealed` the phone
    numbers just revealed ("elder" or a contact's id → number)."""
    contacts, devices = selectors.alarm_context(alarm)
    context = {
        "alarm": alarm,
        "events": alarm.events.select_related("actor").order_by("pk"),
        "contacts": contacts,
        "devices": devices,
        "responders": Responder.choices,
        "actions": selectors.alarm_actions(request.user, alarm),
        "can_call": selectors.alarm_may_call(request.user, alarm),
        "revealed": revealed or {},
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


# ---------------------------------------------------------------- calling from an alarm


@login_required
@never_cache
def alarm_call(request, pk: int):
    """拨打: reveal the elder's or a contact's number (audited) and dial it. A POST, so no phone number
    ever sits in a URL; the page's script asks for JSON and opens the `tel:` link itself (one click),
    without it the page comes back with the number as a `tel:` link."""
    if request.method != "POST":
        return redirect("console:alarm_detail", pk=pk)
    actor = request.user
    alarm = selectors.alarm_get(actor=actor, pk=pk)
    if not selectors.alarm_may_call(actor, alarm):
        raise PermissionDenied
    form = CallForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("请选择要拨打的人 / choose whom to call")
    who = form.cleaned_data["who"]
    record = alarm.elder if who == "elder" else selectors.alarm_contact(alarm, int(who))
    phone = phone_reveal(actor=actor, record=record, alarm_id=alarm.pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"phone": phone, "tel": f"tel:{phone}" if phone else ""})
    return _alarm_page(request, alarm, revealed={"elder" if who == "elder" else int(who): phone})


# ---------------------------------------------------------------- the live board


def _board_rows(actor) -> dict:
    alarms_ = list(selectors.alarm_board(actor)[:BOARD_ROWS])
    return {
        "items": [
            {
                "id": a.pk,
                "elder_name": a.elder.name,
                "address": a.elder.address,
                "community": a.elder.residence.name,
                "source": a.source,
                "source_label": a.get_source_display(),
                "status": a.status,
                "status_label": a.get_status_display(),
                "raised_at": a.raised_at,
                "escalation_level": a.escalation_level,
            }
            for a in alarms_
        ],
    }


def _board_steps(actor) -> Iterator[str | None]:
    """The stream's steps: each chunk to send, or None where it waits a tick. The actor's open alarms
    at once, then again whenever they change (checked each tick by the cheap global mark), a comment
    while nothing changes, and an end when the time is up."""
    yield f"retry: {RETRY_MS}\n\n"
    start = last_sent = time.monotonic()
    mark, sent = None, ""
    while True:
        now_mark = selectors.board_mark()
        if now_mark != mark:
            mark = now_mark
            rows = json.dumps(_board_rows(actor), cls=DjangoJSONEncoder, ensure_ascii=False)
            if rows != sent:  # an alarm in another region moves the mark and changes nothing here
                sent, last_sent = rows, time.monotonic()
                yield f"id: {mark}\nevent: alarms\ndata: {rows}\n\n"
        if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        if time.monotonic() - start >= STREAM_SECONDS:
            return
        yield None


def _board_events(actor) -> Iterator[str]:
    """The stream under WSGI: a thread per open board, sleeping between ticks."""
    for chunk in _board_steps(actor):
        if chunk is None:
            time.sleep(STREAM_TICK)
        else:
            yield chunk


async def _board_events_async(actor) -> AsyncIterator[str]:
    """The same stream under ASGI: each step's queries in a worker thread, the waits on the event loop."""
    steps = _board_steps(actor)
    done = object()
    step = sync_to_async(lambda: next(steps, done), thread_sensitive=True)
    while (chunk := await step()) is not done:
        if isinstance(chunk, str):
            yield chunk
        else:
            await asyncio.sleep(STREAM_TICK)


@login_required
@never_cache
@require_GET
def alarm_stream(request):
    """Server-sent events for the alarm board: `alarms` events carrying the open alarms the user may
    see (as the API's board lists them). Refused (403) before streaming to roles without the board."""
    actor = request.user
    selectors.alarm_board(actor)  # PermissionDenied here, while a status can still be sent
    stream = _board_events_async(actor) if isinstance(request, ASGIRequest) else _board_events(actor)
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
    return response


# ---------------------------------------------------------------- closing early warnings


@login_required
@never_cache
def warning_close(request, pk: int):
    """The community worker closes a warning with what the visit found."""
    if request.method != "POST":
        return redirect("console:alarm_board")
    actor = request.user
    warning = selectors.warning_get(actor=actor, pk=pk)
    if not selectors.warning_may_close(actor):
        raise PermissionDenied
    back = reverse("console:alarm_board") + "#warnings-h"
    form = WarningCloseForm(request.POST)
    if form.is_valid():
        try:
            alarms.warning_close(actor=actor, warning=warning, note=form.cleaned_data["note"], seen=form.cleaned_data["seen"])
        except ValidationError as exc:
            if "warning" in getattr(exc, "error_dict", {}):  # closed meanwhile (by a colleague): it is off the list
                messages.error(request, alarms.ERR_WARNING_CLOSED)
                return redirect(back)
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已记录探访情况，预警已处理。"))
            return redirect(back)
    return render(request, "console/alarm_board.html", _board_context(request, close_form=form, close_pk=pk), status=422)
