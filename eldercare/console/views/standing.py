"""长期服务: an elder's standing orders and preferred caregiver, from the elder's record.

Whoever may order services for the elder (a centre operator, a community worker) sets one up:
the weekdays, the time, the service and the dates, optionally naming the caregiver the elder
asks for (the preferred caregiver, whom matching then prefers); the coming fortnight's orders
are made at once. Those who only see orders see the list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, require
from eldercare.elders import selectors as elder_selectors
from eldercare.elders.models import Elder
from eldercare.homecare.models import Caregiver, Recurrence
from eldercare.homecare.selectors import catalogue
from eldercare.homecare.services import preferences, recurrences

from ..forms import DateInput, add_service_errors, field_as
from .actions import Action, NoInput, perform, table

WEEKDAY_CHOICES = [
    ("1", gettext_lazy("周一")),
    ("2", gettext_lazy("周二")),
    ("3", gettext_lazy("周三")),
    ("4", gettext_lazy("周四")),
    ("5", gettext_lazy("周五")),
    ("6", gettext_lazy("周六")),
    ("7", gettext_lazy("周日")),
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class StandingForm(forms.Form):
    item = forms.ChoiceField(label=gettext_lazy("服务项目"))
    weekdays = forms.MultipleChoiceField(label=gettext_lazy("每周哪几天"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple)
    start_time = forms.TimeField(label=gettext_lazy("开始时间"), widget=TimeInput, input_formats=["%H:%M"])
    window_minutes = forms.IntegerField(
        label=gettext_lazy("上门时段长度（分钟）"),
        min_value=15,
        max_value=12 * 60,
        help_text=gettext_lazy("护理员在此时段内到达并完成服务"),
    )
    valid_from = forms.DateField(label=gettext_lazy("起始日期"), widget=DateInput)
    valid_to = forms.DateField(label=gettext_lazy("截止日期"), widget=DateInput, required=False, help_text=gettext_lazy("留空：长期有效"))
    preferred_caregiver = forms.ChoiceField(
        label=gettext_lazy("指定护理员"),
        required=False,
        help_text=gettext_lazy("可选：老人希望固定由这位护理员上门；派单匹配时优先考虑"),
    )

    def __init__(self, *args: Any, elder: Elder, **kwargs: Any) -> None:
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        kwargs.setdefault("initial", {"start_time": dt.time(9), "window_minutes": 120, "valid_from": tomorrow})
        super().__init__(*args, **kwargs)
        self.items = {i.code: i for i in catalogue()}
        field_as(self, "item", forms.ChoiceField).choices = [
            (code, f"{item.category.name.partition(' / ')[0]} · {item.name.partition(' / ')[0]}") for code, item in self.items.items()
        ]
        self.caregivers = {str(c.pk): c for c in preferences.caregivers_serving(elder.residence_id)}
        current = preferences.preference_of(elder)
        if current is not None and "preferred_caregiver" not in self.initial:
            self.initial["preferred_caregiver"] = str(current.caregiver_id)
        field_as(self, "preferred_caregiver", forms.ChoiceField).choices = [("", _("不指定"))] + [
            (pk, f"{c.name}（{c.provider.name}）") for pk, c in self.caregivers.items()
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        chosen = data.get("preferred_caregiver")
        return {
            "item": self.items[data["item"]],
            "weekdays": [int(d) for d in data["weekdays"]],
            "start_time": data["start_time"],
            "window_minutes": data["window_minutes"],
            "valid_from": data["valid_from"],
            "valid_to": data.get("valid_to"),
            "preferred_caregiver": self.caregivers[chosen] if chosen else None,
        }


class CaregiverChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.provider.name}）"


class PreferredForm(forms.Form):
    caregiver = CaregiverChoiceField(label=gettext_lazy("指定护理员"), queryset=Caregiver.objects.none(), required=False)

    def __init__(self, *args: Any, elder: Elder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = field_as(self, "caregiver", forms.ModelChoiceField)
        field.queryset = preferences.caregivers_serving(elder.residence_id)
        field.empty_label = _("不指定")
        current = preferences.preference_of(elder)
        if current is not None and not self.is_bound:
            self.initial["caregiver"] = current.caregiver_id


def _page(request, elder: Elder, *, form: StandingForm | None = None, preferred_form: PreferredForm | None = None, status: int = 200):
    user = request.user
    may_order = has_cap(user, Cap.REQUEST_SERVICE)
    standing = list(recurrences.recurrence_list(actor=user, elder=elder))
    for rec in standing:
        rec.days = "、".join(str(label) for code, label in WEEKDAY_CHOICES if int(code) in rec.weekdays)  # type: ignore[attr-defined]  # for the template
        rec.end = (  # type: ignore[attr-defined]  # for the template
            dt.datetime.combine(dt.date.min, rec.start_time) + dt.timedelta(minutes=rec.window_minutes)
        ).time()
    context = {
        "elder": elder,
        "standing": standing,
        "preferred": preferences.preference_of(elder),
        "may_order": may_order,
        "form": form or (StandingForm(elder=elder) if may_order else None),
        "preferred_form": preferred_form or (PreferredForm(elder=elder) if may_order else None),
    }
    return render(request, "console/standing_orders.html", context, status=status)


@login_required
@never_cache
def standing_orders(request, pk: int) -> HttpResponse:
    """The elder's standing orders; a POST sets one up."""
    elder = elder_selectors.elder_get(actor=request.user, pk=pk)
    if request.method != "POST":
        return _page(request, elder)
    require(request.user, Cap.REQUEST_SERVICE)
    form = StandingForm(request.POST, elder=elder)
    if form.is_valid():
        try:
            made = recurrences.recurrence_create(actor=request.user, elder=elder, generate=True, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("长期服务已设置，已生成未来两周的%(count)s张工单。") % {"count": made.orders.count()})
            return redirect("console:standing_orders", elder.pk)
    return _page(request, elder, form=form)


@login_required
@never_cache
def standing_preferred(request, pk: int) -> HttpResponse:
    """Set (or, with no caregiver chosen, clear) the elder's preferred caregiver."""
    elder = elder_selectors.elder_get(actor=request.user, pk=pk)
    if request.method != "POST":
        return redirect("console:standing_orders", elder.pk)
    require(request.user, Cap.REQUEST_SERVICE)
    form = PreferredForm(request.POST, elder=elder)
    if form.is_valid():
        caregiver = form.cleaned_data["caregiver"]
        try:
            if caregiver is None:
                preferences.preference_clear(actor=request.user, elder=elder)
            else:
                preferences.preference_set(actor=request.user, elder=elder, caregiver=caregiver)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("已取消指定护理员") if caregiver is None else _("已指定护理员：%(name)s") % {"name": caregiver.name}
            )
            return redirect("console:standing_orders", elder.pk)
    return _page(request, elder, preferred_form=form)


STANDING_ACTIONS = table(Action("stop", NoInput, recurrences.recurrence_stop, done=gettext_lazy("长期服务已停止，尚未出发的工单已取消")))


@login_required
@never_cache
def standing_stop(request, pk: int, rid: int) -> HttpResponse:
    elder = elder_selectors.elder_get(actor=request.user, pk=pk)
    found: Recurrence = recurrences.recurrence_get(actor=request.user, pk=rid)
    if found.elder_id != elder.pk:
        return redirect("console:standing_orders", elder.pk)
    offered = {"stop"} if found.active and has_cap(request.user, Cap.REQUEST_SERVICE) else set()
    back = reverse("console:standing_orders", args=[elder.pk])
    return perform(
        request,
        found,
        STANDING_ACTIONS.get(request.POST.get("action", "stop")),
        offered=offered,
        page=lambda action, form: _page(request, elder),
        back=back,
        out_of_date=lambda name: recurrences.ERR_RECURRENCE_STOPPED if not found.active else None,
    )
