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
