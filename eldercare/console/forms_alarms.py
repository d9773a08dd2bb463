"""Forms of an alarm's steps: they parse input (named after the services' arguments); the alarm
services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from eldercare.devices.models import Responder


class AlarmDispatchForm(forms.Form):
    responder = forms.ChoiceField(label=_("Send"), choices=Responder.choices)
    name = forms.CharField(label=_("Who"), required=False, max_length=100)


class AlarmResolveForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=300)


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class WarningCloseForm(forms.Form):
    """Closing an early warning: what the visit found, and whether the elder was seen."""

    note = forms.CharField(label=_("探访情况"), max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))
    seen = forms.TypedChoiceField(
        label=_("见到本人"),
        choices=[("yes", _("是")), ("no", _("否"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class CallForm(forms.Form):
    """Whom the call desk calls from an alarm's page: the elder, or one of the emergency contacts."""

    who = forms.RegexField(regex=r"^(elder|\d{1,12})$")
