"""Entitlement pages: what an elder gets and why (an age-friendly page for elders and families
too), and for the offices that fund allowances: issuance runs, what-if and settlement."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eldercare.accounts.scoping import scope_for
from eldercare.accounts.selectors import region_get
from eldercare.entitlements import selectors
from eldercare.entitlements.excel import export_settlement_xlsx
from eldercare.entitlements.policy import get_policy
from eldercare.entitlements.services import issuance, settlement
from eldercare.entitlements.simulation import Change, Figures, simulate

from ..forms import add_service_errors, picker_regions
from ..forms_entitlements import MonthField, RegionMonthForm, SimulateForm, last_month, this_month
from .jobs import STUCK_MINUTES, is_stuck

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@never_cache
def elder_entitlements(request, pk: int):
    month = this_month()
    if request.GET.get("month"):
        try:
            month = MonthField().clean(request.GET["month"])
        except ValidationError:
            raise Http404 from None
    elder, found = selectors.elder_decisions(actor=request.user, elder_id=pk, month=month)
    _, accounts = selectors.elder_accounts(actor=request.user, elder_id=pk)
    context = {
        "elder": elder,
        "month": month,
        "found": found,
        "accounts": list(accounts[:24]),
        "senior": scope_for(request.user).personal,
    }
    return render(request, "console/entitlements_elder.html", context)


def _region(request, form):
    # The picker offers only the actor's regions; reading it again through the selector keeps the
    # one scope check (403 for another region) even if the field were ever loosened.
    return region_get(actor=request.user, code=form.cleaned_data["region"].code)


@login_required
@never_cache
def entitlements_home(request):
    actor = request.user
    runs = list(selectors.runs(actor=actor)[:20])  # refuses (403) roles that do not fund allowances
    default = {"region": getattr(actor.region, "code", ""), "month": this_month()}
    regions = picker_regions(actor)  # one query for both pickers
    run_form = RegionMonthForm(
        request.POST if request.POST.get("action") == "issue" else None, initial=default, prefix="run", actor=actor, regions=regions
    )
    settle_form = RegionMonthForm(
        request.POST if request.POST.get("action") == "settle" else None,
        initial={**default, "month": last_month()},
        prefix="settle",
        actor=actor,
        regions=regions,
    )
    if request.method == "POST":
        form = run_form if request.POST.get("action") == "issue" else settle_form
        if form.is_valid():
            try:
                region = _region(request, form)
                if form is run_form:
                    run = issuance.issuance_request(actor=actor, region=region, month=form.cleaned_data["month"])
                    messages.success(
                        request, _("Issuance queued: %(region)s %(month)s") % {"region": region, "month": f"{run.month:%Y-%m}"}
                    )
                    return redirect("console:entitlements")
                found = settlement.settlement_prepare(actor=actor, region=region, month=form.cleaned_data["month"])
                return redirect("console:settlement_detail", found.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
    # A run still queued after minutes has no background worker taking it: say so, and what to do.
    now = timezone.now()
    stuck = {run.pk for run in runs if is_stuck(run.status, run.requested_at, now=now)}
    context = {
        "runs": runs,
        "stuck_runs": stuck,
        "stuck_minutes": STUCK_MINUTES,
        "settlements": list(selectors.settlements(actor=actor)[:20]),
        "run_form": run_form,
        "settle_form": settle_form,
    }
    return render(request, "console/entitlements_home.html", context)


@login_required
@never_cache
def settlement_detail(request, pk: int):
    found = selectors.settlement_get(actor=request.user, pk=pk)
    rows = [(line, *_names(line.policy, line.benefit)) for line in selectors.settlement_lines(found)]
    return render(request, "console/settlement_detail.html", {"settlement": found, "rows": rows})


def _names(policy_id: str, benefit_key: str) -> tuple[str, str]:
    """The "中文 / English" title of a policy and name of its benefit, from the policy files; the
    ids themselves for a line whose policy file has since been removed."""
    try:
        policy = get_policy(policy_id)
    except KeyError:
        return policy_id, benefit_key
    benefit = policy.benefits.get(benefit_key)
    return policy.title, benefit.name if benefit is not None else benefit_key


@login_required
@require_POST
def settlement_lock(request, pk: int):
    found = selectors.settlement_get(actor=request.user, pk=pk)
    try:
        settlement.settlement_lock(actor=request.user, settlement=found)
        messages.success(request, _("The settlement is locked."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console:settlement_detail", pk)


@login_required
def settlement_export(request, pk: int):
    found = selectors.settlement_get(actor=request.user, pk=pk)
    out = io.BytesIO()
    export_settlement_xlsx(found, out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="settlement-{found.region_id}-{found.month:%Y-%m}.xlsx"'
    return response


def _benefit(code: str):
    policy_id, key = code.split("/", 1)
    return get_policy(policy_id).benefits[key]


@login_required
@never_cache
def entitlements_simulate(request):
    actor = request.user
    selectors.runs(actor=actor)  # the same offices
    form = SimulateForm(request.GET or None, initial={"region": getattr(actor.region, "code", ""), "month": this_month()}, actor=actor)
    results = None
    if form.is_valid():
        policy, benefit, tier = form.cleaned_data["tier"].split("|")
        try:
            region = _region(request, form)
            results = simulate(
                actor=actor,
                region=region,
                month=form.cleaned_data["month"],
                changes=[Change(policy, benefit, tier, form.cleaned_data["amount"])],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    rows = []
    for county in results or ():
        for code in sorted(set(county.baseline) | set(county.changed)):
            benefit = _benefit(code)
            before, after = county.baseline.get(code, Figures()), county.changed.get(code, Figures())
            change = after.amount - before.amount
            rows.append(
                {
                    "county": county,
                    "name": benefit.name,
                    "unit": benefit.unit.value,
                    "before_elders": before.elders,
                    "before": before.amount,
                    "after_elders": after.elders,
                    "after": after.amount,
                    "change": change,
                    "change_abs": abs(change),
                }
            )
    return render(request, "console/entitlements_simulate.html", {"form": form, "rows": rows, "ran": results is not None})
