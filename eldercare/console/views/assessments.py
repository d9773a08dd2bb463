"""Ability assessment pages: the work list, scheduling, the tablet answer form, the result with
its review / make-effective / cancel forms, and the printable report (HTML and PDF)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, require
from eldercare.assessments import selectors, services
from eldercare.assessments.errors import TransitionError
from eldercare.assessments.models import SCORED
from eldercare.assessments.standards import CURRENT
from eldercare.elders import selectors as elder_selectors

from ..forms import add_service_errors
from ..forms_assessments import AnswerForm, AssessmentFilterForm, CancelForm, EffectiveForm, ReturnForm, ReviewForm, ScheduleForm
from .actions import Action, perform, stale, table

DETAIL_TEMPLATE = "console/assessment_detail.html"
OVERDUE_ROWS = 50
PDF = "application/pdf"


def _people(actor, standard: str = CURRENT) -> list:
    """Qualified assessors to choose from, for those who plan assessments; others choose none."""
    try:
        return selectors.qualified_assessors(actor=actor, standard=standard, on=timezone.localdate())
    except PermissionDenied:
        return []


@login_required
@never_cache
@require_GET
def assessment_list(request):
    actor = request.user
    form = AssessmentFilterForm(request.GET)
    page_obj, overdue, today = None, None, timezone.localdate()
    if form.is_valid():
        try:
            queryset = selectors.assessment_list(actor=actor, filters=form.to_filters())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            page_obj = Paginator(queryset, settings.ELDERCARE_PAGE_SIZE).get_page(request.GET.get("page"))
            if has_cap(actor, Cap.VIEW_HEALTH):
                rows = selectors.overdue_reassessments(actor=actor, region=form.cleaned_data.get("region") or None, on=today)
                overdue = list(rows[: OVERDUE_ROWS + 1])
                for row in overdue:
                    assert row.reassess_due is not None  # the selector keeps those due before today
                    row.days_overdue = (today - row.reassess_due).days  # type: ignore[attr-defined]  # for the template; Assessment (assessments, not console) should declare `days_overdue: int`
    else:
        selectors.assessment_list(actor=actor)  # refuses (403) those who may read no assessment
    context = {
        "form": form,
        "page_obj": page_obj,
        "overdue": overdue[:OVERDUE_ROWS] if overdue else overdue,
        "overdue_more": overdue is not None and len(overdue) > OVERDUE_ROWS,
        "today": today,
    }
    return render(request, "console/assessment_list.html", context)


@login_required
@never_cache
def assessment_schedule(request, pk: int):
    actor = request.user
    elder = elder_selectors.elder_get(actor=actor, pk=pk)
    # The service refuses too; asking first keeps the form away from roles that may not plan.
    require(actor, Cap.MANAGE_ASSESSMENTS)
    form = ScheduleForm(request.POST if request.method == "POST" else None, people=_people(actor))
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_schedule(actor=actor, elder=elder, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The assessment has been scheduled."))
            return redirect("console:assessment_detail", pk=assessment.pk)
    return render(request, "console/assessment_schedule.html", {"form": form, "elder": elder})


def _detail_context(request, view: selectors.AssessmentView, **overrides) -> dict:
    a = view.assessment
    context = {
        "view": view,
        "a": a,
        "items": _answered_items(view),
        "review_form": ReviewForm(),
        "return_form": ReturnForm(),
        "effective_form": EffectiveForm(),
        "cancel_form": CancelForm(),
        "scored": a.status in SCORED,
    }
    context.update(overrides)
    return context


def _answered_items(view: selectors.AssessmentView) -> list[dict]:
    """Each indicator with its items, the option chosen (the standard's wording) and its score."""
    answers = view.assessment.answers
    out = []
    for indicator in view.standard.indicators:
        rows = []
        for item in indicator.items:
            score = answers.get(item.code)
            option = item.option(score) if score is not None else None
            rows.append({"item": item, "score": score, "text": option.text if option else ""})
        stored = view.assessment.indicator_scores.get(indicator.code, {})
        out.append({"indicator": indicator, "rows": rows, "score": stored.get("score"), "grade_name": stored.get("grade_name", "")})
    return out


@login_required
@never_cache
@require_GET
def assessment_detail(request, pk: int):
    view = selectors.assessment_view(actor=request.user, pk=pk)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, view))


@login_required
@never_cache
def assessment_answer(request, pk: int):
    actor = request.user
    view = selectors.assessment_view(actor=actor, pk=pk)
    a = view.assessment
    if "save" not in view.actions:
        if a.status in services.EDITABLE:
            raise PermissionDenied(_("You may not enter answers for this assessment."))
        messages.info(request, _("This assessment is no longer open for answers."))
        return redirect("console:assessment_detail", pk=pk)
    people = [p for p in _people(actor, a.standard) if p.pk not in (actor.pk, a.assessor_id)]
    form = AnswerForm(request.POST if request.method == "POST" else None, standard=view.standard, assessment=a, people=people)
    if request.method == "POST" and form.is_valid():
        submitting = request.POST.get("action") == "submit"
        try:
            if submitting:
                services.assessment_submit(
                    actor=actor,
                    assessment=a,
                    assessed_on=form.cleaned_data.get("assessed_on"),
                    second_assessor=form.second(),
                    answers=form.answers(),
                    facts=form.facts(),
                )
            else:
                services.assessment_save_answers(actor=actor, assessment=a, answers=form.answers(), facts=form.facts())
        except ValidationError as exc:
            add_service_errors(form, exc)
            for code in getattr(exc, "details", {}).get("codes", ()):
                if code in form.fields:
                    form.add_error(code, _("Choose one option."))
        else:
            if submitting:
                messages.success(request, _("The assessment has been submitted and scored."))
                return redirect("console:assessment_detail", pk=pk)
            messages.success(request, _("The draft has been saved."))
            return redirect("console:assessment_answer", pk=pk)
    return render(request, "console/assessment_answer.html", {"form": form, "view": view, "a": a})


ASSESSMENT_ACTIONS = table(
    Action("review", ReviewForm, services.assessment_review, gettext_lazy("The assessment has been reviewed.")),
    Action(
        "return", ReturnForm, services.assessment_return_for_revision, gettext_lazy("The assessment has been returned to its assessors.")
    ),
    Action("make_effective", EffectiveForm, services.assessment_make_effective, gettext_lazy("The assessment is now effective.")),
    Action("cancel", CancelForm, services.assessment_cancel, gettext_lazy("The assessment has been cancelled.")),
)
FORM_KEYS = {"review": "review_form", "return": "return_form", "make_effective": "effective_form", "cancel": "cancel_form"}
STARTS = {name: statuses for name, (statuses, _verb, _participle) in services.ACTIONS.items()}


def _illegal(a):
    """The service's named error for a step the assessment's status no longer allows."""

    def message(name: str) -> str:
        _statuses, verb, participle = services.ACTIONS[name]
        status = a.get_status_display()
        return str(TransitionError(TransitionError.ILLEGAL, status=status, status_en=a.status, action=verb, action_en=participle))

    return message


def _decide(request, pk: int, name: str):
    """One of the decision forms on the result page (`views.actions`): done, back to the page;
    refused input, the page again with the form open and its errors."""
    actor = request.user
    view = selectors.assessment_view(actor=actor, pk=pk)

    def page(action, form):
        key = FORM_KEYS[action.name]
        return render(request, DETAIL_TEMPLATE, _detail_context(request, view, **{key: form, "open_form": key}))

    return perform(
        request,
        view.assessment,
        ASSESSMENT_ACTIONS[name],
        offered=view.actions,
        page=page,
        back=reverse("console:assessment_detail", args=[pk]),
        out_of_date=stale(actor, view.assessment, selectors.allowed_actions, STARTS, _illegal(view.assessment)),
    )


@login_required
@never_cache
def assessment_review(request, pk: int):
    return _decide(request, pk, "review")


@login_required
@never_cache
def assessment_return(request, pk: int):
    return _decide(request, pk, "return")


@login_required
@never_cache
def assessment_make_effective(request, pk: int):
    return _decide(request, pk, "make_effective")


@login_required
@never_cache
def assessment_cancel(request, pk: int):
    return _decide(request, pk, "cancel")


@login_required
@never_cache
@require_GET
def assessment_report(request, pk: int):
    view = selectors.assessment_view(actor=request.user, pk=pk)
    if view.assessment.status not in SCORED:
        messages.info(request, _("The report is available once the assessment has been submitted."))
        return redirect("console:assessment_detail", pk=pk)
    context = {"view": view, "a": view.assessment, "items": _answered_items(view), "today": timezone.localdate()}
    return render(request, "console/assessment_report.html", context)


@login_required
@never_cache
@require_GET
def assessment_report_pdf(request, pk: int):
    from eldercare.assessments import report

    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    try:
        pdf = report.render_pdf(assessment, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("console:assessment_detail", args=[pk]))
    response = HttpResponse(pdf, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="assessment-{assessment.pk}.pdf"'
    return response
