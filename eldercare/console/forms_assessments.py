"""Forms of the assessment pages: they parse input; the assessment services check the rules
(answers against the standard, qualifications, transitions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.accounts.models import User
from eldercare.assessments.choices import Reason, StandardCode
from eldercare.assessments.choices import Status as AssessmentStatus
from eldercare.assessments.models import Assessment
from eldercare.assessments.selectors import OPEN_FILTER, AssessmentFilters
from eldercare.assessments.standards import CURRENT, Standard

from .forms import DateInput, code_validator, field_as

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STATUS_ALL = "all"
FACTS = ("coma", "dementia", "mental_disorder", "care_risk_events")


class AssessmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(OPEN_FILTER, _("Open (planned, in progress, submitted, reviewed)"))]
        + AssessmentStatus.choices
        + [(STATUS_ALL, _("All assessments"))],
    )
    region = forms.CharField(label=_("Region code"), required=False, max_length=12, validators=[code_validator])

    def to_filters(self) -> AssessmentFilters:
        status = self.cleaned_data.get("status") or OPEN_FILTER
        return AssessmentFilters(status=None if status == STATUS_ALL else status, region=self.cleaned_data.get("region") or None)


def _person_choices(people: Iterable[User]) -> list[tuple[str, StrOrPromise]]:
    return [("", _("Not assigned yet")), *[(str(p.pk), f"{p}（{p.get_role_display()}）") for p in people]]


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateField(label=_("Planned date"), widget=DateInput)
    reason = forms.ChoiceField(label=_("Reason for the assessment"), choices=Reason.choices)
    standard = forms.ChoiceField(label=_("Standard"), choices=StandardCode.choices, initial=CURRENT)
    assessor = forms.ChoiceField(label=_("Assessor"), required=False)
    second_assessor = forms.ChoiceField(label=_("Second assessor"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"scheduled_for": timezone.localdate(), "standard": CURRENT})
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        for name in ("assessor", "second_assessor"):
            field_as(self, name, forms.ChoiceField).choices = _person_choices(people)
        self.fields["assessor"].help_text = _("People holding a valid assessor qualification.")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("assessor", "second_assessor"):
            data[name] = self.people.get(data[name] or "")
        return data


class AnswerForm(forms.Form):
    """One radio group per item of the standard, in its order, worded as the standard words the
    options; the facts the level-change rules read; and for submitting, the date and the second
    assessor. Every item is optional here: a draft may be partial, and the service says which
    items a submission still lacks."""

    coma = forms.BooleanField(label=_("In a coma (A.5.11)"), required=False)
    dementia = forms.BooleanField(label=_("Diagnosed dementia (F00–F03)"), required=False)
    mental_disorder = forms.BooleanField(
        label=_("Other mental or behavioural disorder diagnosed by a psychiatrist (F04–F99)"), required=False
    )
    care_risk_events = forms.IntegerField(
        label=_("Care-risk events in the last 30 days"),
        help_text=_("Falls, choking, suicide or self-harm, getting lost and other events, all types counted together."),
        min_value=0,
        max_value=99,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    assessed_on = forms.DateField(label=_("Assessment date"), widget=DateInput, required=False)
    second_assessor = forms.ChoiceField(label=_("Second assessor"), required=False)

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, standard: Standard, assessment: Assessment, people: Iterable[User] = (), **kwargs: Any
    ) -> None:
        initial = {**assessment.answers, **assessment.facts, "assessed_on": assessment.assessed_on or timezone.localdate()}
        if assessment.second_assessor_id:
            initial["second_assessor"] = str(assessment.second_assessor_id)
        super().__init__(data, initial=initial, **kwargs)
        self.standard = standard
        for indicator in standard.indicators:
            for item in indicator.items:
                self.fields[item.code] = forms.TypedChoiceField(
                    label=f"{item.number} {item.name}",
                    required=False,
                    coerce=int,
                    empty_value=None,
                    choices=[(o.score, o.text) for o in item.options],
                    widget=forms.RadioSelect,
                    help_text=item.definition or "",
                )
        self.people = {str(p.pk): p for p in people}
        if assessment.second_assessor is not None:  # no query when there is none
            self.people.setdefault(str(assessment.second_assessor.pk), assessment.second_assessor)
        field_as(self, "second_assessor", forms.ChoiceField).choices = _person_choices(list(self.people.values()))

    def sections(self):
        """(indicator, [bound fields of its items], answered count) in the standard's order."""
        for indicator in self.standard.indicators:
            fields = [self[item.code] for item in indicator.items]
            answered = sum(1 for f in fields if f.value() not in (None, ""))
            yield indicator, fields, answered

    def fact_fields(self):
        return [self[name] for name in FACTS]

    def answers(self) -> dict[str, int]:
        return {item: self.cleaned_data[item] for item in self.standard.items if self.cleaned_data.get(item) is not None}

    def facts(self) -> dict:
        data = {name: self.cleaned_data[name] for name in FACTS}
        data["care_risk_events"] = data["care_risk_events"] or 0
        return data

    def second(self):
        return self.people.get(self.cleaned_data.get("second_assessor") or "")


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Review note"), required=False, max_length=500)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(data, prefix="review", **kwargs)


class ReturnForm(forms.Form):
    note = forms.CharField(label=_("What must be revised"), max_length=500)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(data, prefix="return", **kwargs)


class EffectiveForm(forms.Form):
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"effective_from": timezone.localdate()})
        super().__init__(data, prefix="effective", **kwargs)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(data, prefix="cancel", **kwargs)
