"""Forms of an alarm's steps: they parse input (named after the services' arguments); the alarm
services check the rules."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from eldercare.devices.models import DeviceKind, Responder
from eldercare.providers.models import Provider


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


# ---------------------------------------------------------------- registering devices and home care beds


class DeviceForm(forms.Form):
    """A device installed in the elder's home (`devices.registration.device_register` checks the serial)."""

    serial = forms.CharField(
        label=_("设备编号"),
        max_length=64,
        help_text=_("设备上报时使用的编号（1至64个字符，不含空格），见设备背面或包装"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(label=_("设备类型"), choices=[("", _("请选择"))] + list(DeviceKind.choices))


class BedElderSearchForm(forms.Form):
    q = forms.CharField(label=_("老人姓名或身份证号码"), max_length=50, required=False)


class BedForm(forms.Form):
    """A home care bed (家庭养老床位): the contract with a provider and what was installed."""

    provider = forms.ModelChoiceField(label=_("签约服务商"), queryset=Provider.objects.none(), empty_label=_("请选择"))
    contract_number = forms.CharField(label=_("合同编号"), max_length=50)
    starts = forms.DateField(label=_("签约日期"), widget=forms.DateInput(attrs={"type": "date"}))
    equipment = forms.CharField(
        label=_("适老化改造与设备"),
        required=False,
        max_length=2_000,
        help_text=_("每行一项，例如：护理床、扶手、防滑垫"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, providers: QuerySet[Provider], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["provider"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = providers

    def clean_equipment(self) -> list[dict[str, str]]:
        lines = (line.strip() for line in self.cleaned_data["equipment"].splitlines())
        return [{"item": line[:100]} for line in lines if line]
