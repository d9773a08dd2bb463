"""Forms of the entitlement pages: they parse input; the entitlement services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.entitlements.engine import bilingual
from eldercare.entitlements.policy import format_amount, load_policies

from .forms import code_validator, field_as


class MonthField(forms.DateField):
    """<input type="month">: YYYY-MM, cleaned to the first day of the month."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def last_month() -> dt.date:
    return (this_month() - dt.timedelta(days=1)).replace(day=1)


class RegionMonthForm(forms.Form):
    region = forms.CharField(label=_("Region code"), max_length=12, validators=[code_validator])
    month = MonthField(label=_("Month"))


def tier_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped by policy: "benefit · tier (now: amount)"."""
    return [
        (
            bilingual(p.title)[0],
            [
                (
                    f"{p.id}|{b.key}|{t.id}",
                    f"{bilingual(b.name)[0]} · {bilingual(t.name)[0]}（{_('now')} {format_amount(t.amount, b.unit)}）",
                )
                for b in p.benefits.values()
                for t in b.tiers
            ],
        )
        for p in load_policies()
    ]


class SimulateForm(RegionMonthForm):
    tier = forms.ChoiceField(label=_("Tier to change"))
    amount = forms.DecimalField(label=_("New amount (hours or yuan, as the policy states it)"), min_value=0, decimal_places=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_as(self, "tier", forms.ChoiceField).choices = tier_choices()
