"""Posting an action from a record's page: the one way every page of the console does it.

A page offers the actions its selector grants the user on the record (`order_actions`,
`alarm_actions`, an assessment view's `actions`). Each action is a small form for its input and the
service that performs it. `perform` refuses an action not offered, parses the input with the form,
calls the service, and then either goes back to the page with a message or shows the page again
with the form's errors, the service's ValidationErrors among them: bad input never ends in a 500.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from eldercare.core.errors import Err

from ..forms import add_service_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ERR_NOT_OFFERED = Err("console.not_offered", "您不能对该记录执行此操作 / you may not do this to this record")
ERR_MOVED_ON = Err("console.moved_on", "该记录已变为“{status}”，此操作已不可用 / this record is now {status_en}: the page was out of date")


class NoInput(forms.Form):
    """The input of an action that takes none."""


@dataclass(frozen=True)
class Action:
    """One thing a user may do to a record from its page.

    `service` is called as `service(actor=…, <record's model name>=record, **form.cleaned_data)`:
    the services name their record after its model (`order_confirm(order=…)`,
    `alarm_resolve(alarm=…)`), and the form's fields after the service's arguments. `done` is the
    message once it is done; without one, the record's new status is shown."""

    name: str
    form: type[forms.Form]
    service: Callable[..., Any]
    done: StrOrPromise | Callable[[Any], StrOrPromise] | None = None  # a message, or one from the result


def table(*actions: Action) -> dict[str, Action]:
    return {action.name: action for action in actions}


def stale(
    actor,
    record: Any,
    offers: Callable[[Any, Any], Collection[str]],
    starts: Mapping[str, Collection[str]],
    message: Callable[[str], StrOrPromise] | None = None,
) -> Callable[[str], StrOrPromise | None]:
    """For `perform`'s out_of_date: the action is not offered only because the record's status moved
    on since the page was shown (someone else took a step), i.e. the selector `offers` it to the
    actor from a status the action starts from (`starts`). The reason shown is `message(name)`
    (a service's named transition error) or ERR_MOVED_ON; None when it is the actor who may not."""

    def reason(name: str) -> StrOrPromise | None:
        statuses = starts.get(name, ())
        if record.status in statuses or not any(name in offers(actor, _in_status(record, status)) for status in statuses):
            return None
        if message is not None:
            return message(name)
        return ERR_MOVED_ON.format(status=record.get_status_display(), status_en=str(record.status).replace("_", " "))

    return reason


def _in_status(record: Any, status: str) -> Any:
    """A copy of the record as it would be in another status, to ask a selector about; never saved."""
    other = copy.copy(record)
    other.status = status
    return other


def perform(
    request: HttpRequest,
    record: Model,
    action: Action | None,
    *,
    offered: Collection[str],
    page: Callable[[Action, forms.Form], HttpResponse],
    back: str,
    out_of_date: Callable[[str], StrOrPromise | None] | None = None,
    form_kwargs: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Take one action on a record already loaded through a scoped selector (404 out of scope).

    - GET: back to the page (`back`), nothing done.
    - An action not `offered` (or unknown): refused, 403, before any service is called; unless the
      record's state alone rules it out (`out_of_date` gives the reason): the page was stale, so
      back to it with the reason as a message.
    - Invalid input, or a ValidationError from the service: the page again (`page(action, form)`,
      200) with the bound form and its errors.
    - Done: back to the page with a message.
    """
    if request.method != "POST":
        return redirect(back)
    if action is None or action.name not in offered:
        reason = out_of_date(action.name) if action is not None and out_of_date is not None else None
        if not reason:
            raise PermissionDenied(ERR_NOT_OFFERED)
        messages.error(request, reason)
        return redirect(back)
    form = action.form(request.POST, **(form_kwargs or {}))
    if form.is_valid():
        try:
            result = action.service(actor=request.user, **{str(record._meta.model_name): record}, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if callable(action.done):
                messages.success(request, action.done(result))
            elif action.done is not None:
                messages.success(request, action.done)
            else:
                messages.success(request, _("Done: %(status)s") % {"status": result.get_status_display()})
            return redirect(back)
    return page(action, form)
