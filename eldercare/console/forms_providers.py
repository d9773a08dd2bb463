"""Forms of the providers pages: providers, their areas and caregivers, guide prices, fraud flags.
They parse and shape input; the services check the rules and the scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from eldercare.accounts.models import User
from eldercare.accounts.scoping import scope_for
from eldercare.core.errors import Err
from eldercare.homecare.models import Caregiver, ServiceCategory, ServiceItem, VocationalLevel
from eldercare.homecare.services.caregivers import linkable_accounts
from eldercare.homecare.services.prices import ERR_PRICE_RANGE, MAX_PRICE
from eldercare.providers import creditcode
from eldercare.providers.models import ProviderStatus
from eldercare.regions.models import Level, Region

from .forms import DateInput
from .forms import RegionChoiceField as PickerField
from .templatetags.entitlement_tags import in_language

REGION_SELECT_LIMIT = 500  # past this many streets the select would be unusable; the levels above still fit
ERR_REGION_CHOICE = Err("console.region_choice", "请从列表中选择区域 / choose a region from the list")
ERR_SHIFT = Err("console.shift", "下班时间须晚于上班时间 / a shift ends after it starts")
ERR_SHIFT_HALF = Err("console.shift_half", "请同时填写上班和下班时间 / give both the start and the end of the shift")
WEEKDAYS = [("1", _("周一")), ("2", _("周二")), ("3", _("周三")), ("4", _("周四")), ("5", _("周五")), ("6", _("周六")), ("7", _("周日"))]


def regions_in_scope(actor: User, *, deepest: int = Level.STREET) -> list[Region]:
    """The regions an officer may choose (their own and those under it, down to `deepest`), in tree
    order; the street level is left out when there are too many streets to list."""
    rows = list(
        Region.objects.filter(scope_for(actor).q(region_field="code"), level__lte=deepest).order_by("code")[: REGION_SELECT_LIMIT + 1]
    )
    if len(rows) > REGION_SELECT_LIMIT and deepest > Level.COUNTY:
        return regions_in_scope(actor, deepest=Level.COUNTY)
    return rows


def region_label(region: Region) -> str:
    indent = "\u3000" * max(0, region.level - Level.CITY)
    return f"{indent}{region.name}（{region.code}）"


class RegionChoiceField(forms.ChoiceField):
    """A select of regions given as a list; cleans to the Region."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions: dict[str, Region] = {}
        self.error_messages["invalid_choice"] = ERR_REGION_CHOICE

    def set_regions(self, regions: list[Region]) -> None:
        self.regions = {r.code: r for r in regions}
        self.choices = [("", _("请选择区域"))] + [(r.code, region_label(r)) for r in regions]

    def clean(self, value: Any) -> Region | None:  # a ChoiceField that answers the Region chosen
        code = super().clean(value)
        if not code:
            return None
        region = self.regions.get(code)
        if region is None:
            raise ValidationError(ERR_REGION_CHOICE)
        return region


class ActorForm(forms.Form):
    """A form that may need the acting user (the record actions all receive it, see views.actions.perform)."""

    def __init__(self, *args: Any, actor: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor


# ---------------------------------------------------------------- providers


class ProviderFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或信用代码"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态"))] + ProviderStatus.choices)


class ProviderForm(ActorForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=20,
        help_text=_("18位，末位为校验码（GB 32100-2015）"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    region = RegionChoiceField(label=_("注册地"))
    licence = forms.CharField(label=_("资质（备案或许可编号）"), max_length=100, required=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, RegionChoiceField)
        region.set_regions(regions_in_scope(actor))

    def clean_credit_code(self) -> str:
        try:
            return creditcode.normalise(self.cleaned_data["credit_code"])
        except creditcode.InvalidCreditCode as exc:
            raise ValidationError(exc.error) from exc


class ReasonForm(ActorForm):
    reason = forms.CharField(
        label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": _("请填写原因")}
    )


class AreaForm(ActorForm):
    region = RegionChoiceField(label=_("新增服务区域"))

    def __init__(self, *args: Any, actor: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, RegionChoiceField)
        region.set_regions(regions_in_scope(actor) if actor is not None else [])


class AreaRemoveForm(ActorForm):
    """The area to remove, by its region's code (the service checks the officer's scope)."""

    region = forms.RegexField(regex=r"^\d{12}$", widget=forms.HiddenInput)

    def clean_region(self) -> Region:
        region = Region.objects.filter(code=self.cleaned_data["region"]).first()
        if region is None:
            raise ValidationError(ERR_REGION_CHOICE)
        return region


# ---------------------------------------------------------------- caregivers


class CaregiverForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    level = forms.TypedChoiceField(
        label=_("职业等级"), required=False, coerce=int, empty_value=None, choices=[("", _("无证书")), *VocationalLevel.choices]
    )
    certificate_number = forms.CharField(label=_("职业技能等级证书编号"), max_length=50, required=False)
    certificate_expires = forms.DateField(label=_("证书有效期至"), required=False, widget=DateInput)
    categories = forms.MultipleChoiceField(label=_("服务类别"), widget=forms.CheckboxSelectMultiple)
    latitude = forms.DecimalField(label=_("常驻点纬度"), min_value=-90, max_value=90, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label=_("常驻点经度"), min_value=-180, max_value=180, max_digits=9, decimal_places=6)
    weekdays = forms.MultipleChoiceField(
        label=_("工作日"), choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple, initial=["1", "2", "3", "4", "5"]
    )
    shift1_start = forms.TimeField(
        label=_("上午上班"), required=False, initial=dt.time(8, 0), widget=forms.TimeInput(attrs={"type": "time"})
    )
    shift1_end = forms.TimeField(
        label=_("上午下班"), required=False, initial=dt.time(12, 0), widget=forms.TimeInput(attrs={"type": "time"})
    )
    shift2_start = forms.TimeField(
        label=_("下午上班"), required=False, initial=dt.time(13, 30), widget=forms.TimeInput(attrs={"type": "time"})
    )
    shift2_end = forms.TimeField(
        label=_("下午下班"), required=False, initial=dt.time(17, 30), widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = self.fields["categories"]
        assert isinstance(categories, forms.MultipleChoiceField)
        categories.choices = [
            (c.code, in_language(c.name)) for c in ServiceCategory.objects.filter(active=True).order_by("position", "code")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in (1, 2):
            start, end = data.get(f"shift{n}_start"), data.get(f"shift{n}_end")
            if (start is None) != (end is None):
                self.add_error(f"shift{n}_end", ERR_SHIFT_HALF)
            elif start is not None and end is not None and end <= start:
                self.add_error(f"shift{n}_end", ERR_SHIFT)
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        spans = [
            [data[f"shift{n}_start"].strftime("%H:%M"), data[f"shift{n}_end"].strftime("%H:%M")]
            for n in (1, 2)
            if data.get(f"shift{n}_start") is not None and data.get(f"shift{n}_end") is not None
        ]
        hours = {day: spans for day in data.get("weekdays") or []} if spans else {}
        return {
            "name": data["name"],
            "id_number": data.get("id_number", ""),
            "phone": data.get("phone") or "",
            "level": data.get("level"),
            "certificate_number": data.get("certificate_number") or "",
            "certificate_expires": data.get("certificate_expires"),
            "categories": list(data["categories"]),
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "hours": hours,
        }


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.username}（{obj.display_name}）" if obj.display_name else obj.username


class CaregiverEditForm(CaregiverForm):
    """Editing a caregiver: everything but the ID number, plus on duty and the login they work with."""

    active = forms.BooleanField(label=_("在岗"), required=False, help_text=_("不在岗的护理员不会被匹配和派单；已派的工单不变"))
    user = AccountChoiceField(
        label=_("登录账号"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("不关联账号"),
        help_text=_("护理员用此账号在手机上接单、签到和签退；只列出尚未关联的护理员账号"),
    )

    def __init__(self, *args: Any, caregiver: Caregiver, **kwargs: Any) -> None:
        hours: dict[str, list[list[str]]] = caregiver.hours or {}
        spans: list[list[str]] = next((v for v in hours.values() if v), [])
        initial: dict[str, Any] = {
            "name": caregiver.name,
            "phone": caregiver.phone,
            "level": caregiver.level,
            "certificate_number": caregiver.certificate_number,
            "certificate_expires": caregiver.certificate_expires,
            "categories": caregiver.categories,
            "latitude": caregiver.latitude,
            "longitude": caregiver.longitude,
            "weekdays": sorted(day for day, v in hours.items() if v),
            "active": caregiver.active,
            "user": caregiver.user_id,
        }
        for n in (1, 2):
            span = spans[n - 1] if len(spans) >= n else None
            initial[f"shift{n}_start"] = dt.time.fromisoformat(span[0]) if span else None
            initial[f"shift{n}_end"] = dt.time.fromisoformat(span[1]) if span else None
        super().__init__(*args, initial=initial, **kwargs)
        self.caregiver = caregiver
        del self.fields["id_number"]
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = linkable_accounts(caregiver.provider, caregiver)

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        del kwargs["id_number"]
        if not {"weekdays", "shift1_start", "shift1_end", "shift2_start", "shift2_end"} & set(self.changed_data):
            kwargs["hours"] = self.caregiver.hours  # untouched: keep hours that differ from day to day
        return kwargs | {"active": self.cleaned_data.get("active", False), "user": self.cleaned_data.get("user")}


# ---------------------------------------------------------------- guide prices


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{in_language(obj.category.name)} · {in_language(obj.name)}"


class PriceForm(forms.Form):
    item = ItemChoiceField(label=_("服务项目"), queryset=ServiceItem.objects.none(), empty_label=_("请选择服务项目"))
    price = forms.DecimalField(
        label=_("指导价（元/计价单位）"), max_digits=9, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal(MAX_PRICE) / 100
    )
    valid_from = forms.DateField(label=_("生效日期"), widget=DateInput)
    valid_to = forms.DateField(label=_("失效日期"), required=False, widget=DateInput, help_text=_("空：长期有效，直到设定新的指导价"))
    document = forms.CharField(label=_("依据文件"), max_length=200)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item = self.fields["item"]
        assert isinstance(item, forms.ModelChoiceField)
        item.queryset = ServiceItem.objects.filter(active=True).select_related("category").order_by("category", "code")
        # Down to the communities: a community may have its own price (the most specific region's wins).
        self.fields["region"] = PickerField(
            actor,
            max_level=Level.COMMUNITY,
            label=_("区域"),
            help_text=_("指导价适用于该区域及其下级区域；在列表中键入名称的开头可快速定位"),
        )
        self.order_fields(["item", "region", "price", "valid_from", "valid_to", "document"])
        for name in ("price",):
            self.fields[name].error_messages.update({"min_value": ERR_PRICE_RANGE, "max_value": ERR_PRICE_RANGE})

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "item": data["item"],
            "region": data["region"],
            "price": int(data["price"] * 100),
            "valid_from": data["valid_from"],
            "valid_to": data.get("valid_to"),
            "document": data["document"],
        }


# ---------------------------------------------------------------- fraud flags


class FlagFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("显示"), required=False, choices=[("open", _("待处理")), ("resolved", _("已处理")), ("all", _("全部"))]
    )


class FlagResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("处理结果"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": _("请填写处理结果")}
    )
