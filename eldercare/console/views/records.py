"""Registering an elder and editing the record."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from eldercare.elders import selectors as elder_selectors
from eldercare.elders import services

from ..forms import ElderForm, add_service_errors


@login_required
@never_cache
def elder_create(request):
    actor = request.user
    # Building the form asks for the communities the actor may register in:
    # roles that may not edit the registry are refused there (403).
    form = ElderForm(request.POST if request.method == "POST" else None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            elder = services.elder_create(actor=actor, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:  # a residence code typed in that lies outside the actor's region
            form.add_error("residence", str(exc))
        else:
            messages.success(request, _("The elder has been registered."))
            return redirect("console:elder_detail", pk=elder.pk)
    return render(request, "console/elder_form.html", {"form": form, "elder": None})


@login_required
@never_cache
def elder_edit(request, pk: int):
    actor = request.user
    elder = elder_selectors.elder_get_with_groups(actor=actor, pk=pk)
    form = ElderForm(request.POST if request.method == "POST" else None, actor=actor, editing=True, initial=ElderForm.initial_for(elder))
    if request.method == "POST" and form.is_valid():
        changes = form.service_kwargs()
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("console:elder_detail", pk=pk)
        try:
            services.elder_update(actor=actor, elder=elder, **changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
            elder = elder_selectors.elder_get_with_groups(actor=actor, pk=pk)  # the service may have half-applied the changes in memory
        except PermissionDenied as exc:
            form.add_error("residence", str(exc))
        else:
            messages.success(request, _("The record has been saved."))
            return redirect("console:elder_detail", pk=pk)
    return render(request, "console/elder_form.html", {"form": form, "elder": elder})
