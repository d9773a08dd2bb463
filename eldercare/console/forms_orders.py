"""Forms of the service order pages: they parse input; the order services check the rules.

The forms of an order's steps name their fields after the services' arguments (see `views.actions`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.homecare.models import Caregiver, Channel, Order, OrderStatus
from eldercare.homecare.selectors import catalogue

from .forms import field_as


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All orders"))] + OrderStatus.choices)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _next_morning() -> dt.datetime:
    return timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)


class OrderForm(forms.Form):
    item = forms.ChoiceField(label=_("Service"))
    window_start = forms.DateTimeField(label=_("From"), widget=DateTimeInput, input_formats=["%Y-%m-%dT%H:%M"])
    window_end = forms.DateTimeField(label=_("Until"), widget=DateTimeInput, input_formats=["%Y-%m-%dT%H:%M"])
    quantity = forms.IntegerField(label=_("Minutes (hourly services) or visits"), required=False, min_value=1)
    channel = forms.ChoiceField(
        label=_("How the request came"), choices=[(code, label) for code, label in Channel.choices if code in ("community", "phone")]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        start = _next_morning()
        kwargs.setdefault("initial", {"window_start": start, "window_end": start + dt.timedelta(hours=2), "channel": Channel.PHONE})
        super().__init__(*args, **kwargs)
        self.items = {i.code: i for i in catalogue()}
        field_as(self, "item", forms.ChoiceField).choices = [
            (code, f"{item.category.name.partition(' / ')[0]} · {item.name.partition(' / ')[0]}") for code, item in self.items.items()
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "item": self.items[data["item"]],
            "window_start": data["window_start"],
            "window_end": data["window_end"],
            "quantity": data["quantity"],
            "channel": data["channel"],
            "note": data["note"],
        }


# ---------------------------------------------------------------- an order's steps

MICRODEGREE = Decimal("0.000001")  # the precision the order stores a check-in position at


class AssignForm(forms.Form):
    caregiver = forms.ModelChoiceField(label=_("Caregiver"), queryset=Caregiver.objects.select_related("provider"))
    note = forms.CharField(label=_("Why (kept on the order)"), required=False, max_length=300)


class ReasonForm(forms.Form):
    """Declining, cancelling, a no-show: the services want the reason."""

    reason = forms.CharField(label=Order._meta.get_field("reason").verbose_name, max_length=300)


class CheckInForm(forms.Form):
    """Where the caregiver stands (the phone's position, six decimals)."""

    latitude = forms.DecimalField(label=_("Latitude"), min_value=-90, max_value=90)
    longitude = forms.DecimalField(label=_("Longitude"), min_value=-180, max_value=180)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("latitude", "longitude"):
            if data.get(name) is not None:
                data[name] = data[name].quantize(MICRODEGREE)
        return data


class CheckOutForm(forms.Form):
    record = forms.CharField(label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(forms.Form):
    rating = forms.IntegerField(label=_("Rating"), min_value=1, max_value=5)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=300)
