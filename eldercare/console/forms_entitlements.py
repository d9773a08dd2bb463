"""Forms of the entitlement pages: they parse input; the entitlement services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.accounts.models import User
from eldercare.entitlements.engine import bilingual
from eldercare.entitlements.policy import format_amount, load_policies
from eldercare.regions.models import Region

from .forms import RegionChoiceField, field_as


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
    """A region of the actor's scope, picked by name (the form posts its code), and a month."""

    month = MonthField(label=_("Month"))

    def __init__(self, *args: Any, actor: User, regions: list[Region] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"region": RegionChoiceField(actor, label=_("区划"), regions=regions), **self.fields}


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
