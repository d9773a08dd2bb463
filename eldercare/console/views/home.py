from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, scope_for
from eldercare.elders import selectors as elder_selectors


@login_required
def home(request):
    if not has_cap(request.user, Cap.VIEW_ELDERS):
        # Providers, caregivers and volunteers meet elders through orders and visits.
        return render(request, "console/no_registry.html")
    context = {"counts": elder_selectors.elder_counts(actor=request.user), "everywhere": scope_for(request.user).everywhere}
    return render(request, "console/home.html", context)
