"""The registry pages: list, export, one record and the small forms on it."""

from __future__ import annotations

import io
from collections.abc import Callable, Collection
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from eldercare.accounts import selectors as region_selectors
from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap
from eldercare.assessments import selectors as assessment_selectors
from eldercare.assessments import services as assessment_services
from eldercare.assessments.services import ObservationOutcome
from eldercare.elders import errors as elder_errors
from eldercare.elders import excel, idnumber, presenters, services
from eldercare.elders import selectors as elder_selectors
from eldercare.elders.models import Elder
from eldercare.facilities import selectors as facility_selectors
from eldercare.facilities import services as facility_services

from ..forms import (
    ConsentForm,
    ContactForm,
    ElderFilterForm,
    GroupForm,
    ObservationForm,
    StatusForm,
    StayEndForm,
    StayForm,
    add_service_errors,
)
from .actions import Action, perform, table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DETAIL_TEMPLATE = "console/elder_detail.html"


def _filter_region(actor, form: ElderFilterForm):
    """The region a valid filter form names, for its heading; None when the actor may not open it."""
    code = form.cleaned_data.get("region") if form.is_valid() else None
    if not code or not has_cap(actor, Cap.VIEW_REGIONS):
        return None
    try:
        return region_selectors.region_get(actor=actor, code=code)
    except (Http404, PermissionDenied):
        return None


def _personal(form: ElderFilterForm) -> bool:
    """Whether a valid filter form searches by an ID or phone number (or part of one)."""
    return form.is_valid() and bool(form.cleaned_data.get("q")) and idnumber.looks_personal(form.cleaned_data["q"])


def _personal_in_url(form: ElderFilterForm) -> bool:
    """A GET whose search text holds an ID or phone number: refused (it belongs in a POST)."""
    if _personal(form):
        form.add_error("q", elder_errors.ERR_PERSONAL_IN_URL)
        return True
    return False


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def elder_list(request):
    """The filtered list. The filter form posts: a search by ID or phone number is answered here,
    and any other search is sent back as a GET link (pages, export) without personal numbers."""
    actor = request.user
    personal = False
    if request.method == "POST":
        form = ElderFilterForm(request.POST, actor=actor)
        personal = _personal(form)
        if form.is_valid() and not personal:
            kept = {name: value for name, value in request.POST.items() if name in form.fields and value}
            return redirect(reverse("console:elder_list") + ("?" + urlencode(kept) if kept else ""), permanent=False)
    else:
        form = ElderFilterForm(request.GET, actor=actor)
        _personal_in_url(form)
    page_obj, rows = None, []
    if form.is_valid():
        try:
            queryset = elder_selectors.elder_list(actor=actor, filters=form.to_filters())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            paginator = Paginator(elder_selectors.with_groups(queryset), settings.ELDERCARE_PAGE_SIZE)
            page_obj = paginator.get_page(1 if personal else request.GET.get("page"))
            today = timezone.localdate()
            rows = [presenters.elder_row(actor, elder, today) for elder in page_obj.object_list]
    context = {
        "form": form,
        "page_obj": page_obj,
        "rows": rows,
        "filter_region": _filter_region(actor, form),
        "personal_search": personal,
    }
    return render(request, "console/elder_list.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def elder_export(request):
    """The list's export. Up to `exports.immediate_rows()` rows the file comes at once; a larger one
    asks to be confirmed (GET) and then runs in the background (POST), showing on the exports page."""
    from eldercare.accounts.scoping import require
    from eldercare.elders import exports

    actor = request.user
    params = request.POST if request.method == "POST" else request.GET
    form = ElderFilterForm(params, actor=actor)
    kept = {name: value for name, value in params.items() if name in form.fields and value}
    back = reverse("console:elder_list") + ("?" + urlencode(kept) if kept else "")
    if not form.is_valid() or _personal_in_url(form):
        return redirect(reverse("console:elder_list"))
    full_ids = params.get("full_ids") == "1"
    region = _filter_region(actor, form)
    try:
        queryset = elder_selectors.elder_list(actor=actor, filters=form.to_filters())
        if request.method == "POST":
            exports.export_request(actor=actor, filters=form.to_filters(), full_ids=full_ids, region=region, query=urlencode(kept))
            return redirect("console:exports")
    except ValidationError:
        return redirect(back)
    rows = min(queryset.count(), settings.ELDERCARE_EXPORT_MAX_ROWS)
    if rows > exports.immediate_rows():
        require(actor, Cap.EXPORT_ELDERS)
        if full_ids:
            require(actor, Cap.REVEAL_ID)
        context = {"rows": rows, "params": kept, "full_ids": full_ids, "filter_region": region, "back": back}
        return render(request, "console/export_start.html", context)
    out = io.BytesIO()
    excel.export_elders_xlsx(actor=actor, queryset=queryset, out=out, full_ids=full_ids, region=region)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="elders-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


def _detail_context(request, elder, **overrides) -> dict:
    actor = request.user
    can_edit = has_cap(actor, Cap.EDIT_ELDERS)
    context = {
        "elder": elder,
        "detail": presenters.elder_detail(actor, elder),
        "consents": elder_selectors.elder_consents(actor=actor, elder=elder),
        "audit": elder_selectors.elder_audit_page(actor=actor, elder=elder),
        "stays": list(facility_selectors.elder_stays(actor=actor, elder=elder)[:20]),
        "institution": facility_selectors.current_institution(actor=actor, elder=elder),
        "can_edit": can_edit,
    }
    if can_edit:
        context.update(
            group_form=GroupForm(actor=actor),
            contact_form=ContactForm(),
            consent_form=ConsentForm(),
            status_form=StatusForm(initial={"status": elder.status, "on": timezone.localdate()}),
            stay_form=StayForm(actor=actor),
            stay_end_form=StayEndForm(actor=actor, elder=elder),
        )
    observe_form = ObservationForm(actor=actor, elder=elder)
    if observe_form.watch is not None:
        context.update(observe_form=observe_form)
    context.update(overrides)
    return context


@login_required
@never_cache
@require_GET
def elder_detail(request, pk: int):
    elder = elder_selectors.elder_get_with_groups(actor=request.user, pk=pk)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, elder))


@login_required
@never_cache
def elder_reveal_id(request, pk: int):
    if request.method != "POST":
        return redirect("console:elder_detail", pk=pk)
    elder = elder_selectors.elder_get_with_groups(actor=request.user, pk=pk)
    full_number = services.elder_reveal_id(actor=request.user, elder=elder)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, elder, revealed_id=full_number))


OBSERVED = {
    ObservationOutcome.SCHEDULED: _("Recorded: a reassessment is planned for that day, as the standard asks."),
    ObservationOutcome.BROUGHT_FORWARD: _("Recorded: the open assessment comes first; the level in force is now due that day."),
    ObservationOutcome.NONE: _("Recorded: the standard asks for no new assessment on this."),
}


ELDER_ACTIONS = table(
    Action("group", GroupForm, services.elder_group_add, _("The priority group has been recorded.")),
    Action("contact", ContactForm, services.contact_add, _("The contact has been added.")),
    Action("consent", ConsentForm, services.consent_record, _("The consent has been recorded.")),
    Action("status", StatusForm, services.elder_set_status, _("The record status has been changed.")),
    Action("stay", StayForm, facility_services.stay_record, _("The stay has been recorded.")),
    Action("stay_end", StayEndForm, facility_services.stay_end, _("The stay has ended.")),
    Action("observe", ObservationForm, assessment_services.observation_record, lambda seen: OBSERVED[seen.outcome]),
)


def _record_action(
    request,
    pk: int,
    name: str,
    *,
    anchor: str,
    with_elder: bool = False,
    offered_if: Callable[[User, Elder], bool] | None = None,
    **form_kwargs,
):
    """One of the small forms on the record page (`views.actions`): saved, back to the record at
    `anchor`; refused input, the record again with the form open and its errors. `with_elder`: the
    form offers choices of the elder's own (their open stays). `offered_if`: who may use it, where
    that is not the registry's editors."""
    actor = request.user
    elder = elder_selectors.elder_get_with_groups(actor=actor, pk=pk)
    if with_elder:
        form_kwargs["elder"] = elder
    offered: Collection[str]
    if offered_if is not None:
        offered = (name,) if offered_if(actor, elder) else ()
    else:
        offered = ELDER_ACTIONS.keys() if has_cap(actor, Cap.EDIT_ELDERS) else ()

    def page(action, form):
        key = f"{action.name}_form"
        return render(request, DETAIL_TEMPLATE, _detail_context(request, elder, **{key: form, "open_form": key}))

    return perform(
        request,
        elder,
        ELDER_ACTIONS[name],
        # The services refuse too; asking first keeps the forms away from roles that may not use them.
        offered=offered,
        page=page,
        back=reverse("console:elder_detail", args=[pk]) + "#" + anchor,
        form_kwargs=form_kwargs,
    )


@login_required
@never_cache
def elder_group_add(request, pk: int):
    return _record_action(request, pk, "group", anchor="groups", actor=request.user)


@login_required
@never_cache
def elder_contact_add(request, pk: int):
    return _record_action(request, pk, "contact", anchor="contacts")


@login_required
@never_cache
def elder_consent_add(request, pk: int):
    return _record_action(request, pk, "consent", anchor="consents")


@login_required
@never_cache
def elder_status(request, pk: int):
    return _record_action(request, pk, "status", anchor="record")


@login_required
@never_cache
def elder_observe(request, pk: int):
    return _record_action(request, pk, "observe", anchor="assessments", actor=request.user, with_elder=True, offered_if=_may_observe)


def _may_observe(actor: User, elder: Elder) -> bool:
    return assessment_selectors.elder_observable(actor=actor, elder=elder) is not None


@login_required
@never_cache
def elder_stay_add(request, pk: int):
    return _record_action(request, pk, "stay", anchor="stays", actor=request.user)


@login_required
@never_cache
def elder_stay_end(request, pk: int):
    return _record_action(request, pk, "stay_end", anchor="stays", actor=request.user, with_elder=True)


@login_required
@never_cache
def elder_reveal_phone(request, pk: int):
    """拨打 on the record: the full phone number for those who answer alarms (the call desk, whose
    registry is masked), audited; a POST, so the number is never in a URL."""
    from django.http import JsonResponse  # (this module's imports belong to the registry's pages)

    if request.method != "POST":
        return redirect("console:elder_detail", pk=pk)
    elder = elder_selectors.elder_get_with_groups(actor=request.user, pk=pk)
    phone = services.phone_reveal(actor=request.user, record=elder)
    if request.headers.get("Accept", "").startswith("application/json"):  # the page's script dials at once
        return JsonResponse({"phone": phone, "tel": f"tel:{phone}" if phone else ""})
    return render(request, DETAIL_TEMPLATE, _detail_context(request, elder, revealed_phone=phone))
