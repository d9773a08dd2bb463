"""Forms of the console: they parse and shape input; the services validate the rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.accounts import selectors as region_selectors
from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, scope_for
from eldercare.accounts.selectors import ERR_REGION_UNKNOWN
from eldercare.assessments import selectors as assessment_selectors
from eldercare.devices.models import HomeCareBed
from eldercare.elders.models import (
    ASSESSED_GROUPS,
    HEALTH_GROUPS,
    ConsentKind,
    Elder,
    ElderStatus,
    LivingStatus,
    PriorityGroup,
    Relation,
    Sex,
)
from eldercare.elders.selectors import ElderFilters
from eldercare.facilities import selectors as facility_selectors
from eldercare.facilities.models import Institution, Stay, StayKind
from eldercare.regions.models import CODE_LENGTH, Level, Region

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CODE_RE = re.compile(rf"^\d{{{CODE_LENGTH}}}$")
code_validator = RegexValidator(CODE_RE, _("A region code has 12 digits."))

AGE_BANDS = {"60-69": (60, 69), "70-79": (70, 79), "80-89": (80, 89), "90+": (90, None)}
STATUS_ALL = "all"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: keyed messages next to their
    field when the form has it, everything else at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def field_as[F: forms.Field](form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """The form's field `name` as the kind of field the form made it (`form.fields` knows only Field)."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def _group_choices(actor: User, *, for_entry: bool = False) -> list[tuple[str, StrOrPromise]]:
    """Groups the actor may filter by, or (for_entry) record by hand: not those the assessment sets."""
    health = has_cap(actor, Cap.VIEW_HEALTH)
    return [
        (value, label)
        for value, label in PriorityGroup.choices
        if (health or value not in HEALTH_GROUPS) and not (for_entry and value in ASSESSED_GROUPS)
    ]


def _region(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError(ERR_REGION_UNKNOWN.format(code=code))
    return region


def picker_regions(actor: User, *, max_level: int = Level.STREET) -> list[Region]:
    """The regions a RegionChoiceField offers the actor: those of the actor's scope down to
    `max_level`, by level then code (one query; a page with two pickers passes the list to both)."""
    return list(
        Region.objects.filter(scope_for(actor).q(region_field="code"), level__lte=max_level)
        .select_related("parent")
        .order_by("level", "code")
    )


class RegionChoiceField(forms.ChoiceField):
    """A region of the actor's scope, picked by its name from a list grouped by level (the city,
    its counties, their streets…), posted as its 12-digit code and cleaned to the Region. A code
    outside the actor's scope is not among the choices: the form refuses it like any bad choice.
    Needs no script and no network (the browser's own select, with type-to-find).

    `regions` (from `picker_regions`) saves the query when a page shows more than one picker."""

    def __init__(self, actor: User, *, max_level: int = Level.STREET, regions: list[Region] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("区划"))
        kwargs.setdefault("help_text", _("按名称选择；在列表中键入名称的开头可快速定位。"))
        super().__init__(**kwargs)
        rows = picker_regions(actor, max_level=max_level) if regions is None else regions
        self.regions = {r.code: r for r in rows}
        groups: dict[int, list[tuple[str, str]]] = {}
        for r in rows:
            above = f"（{r.parent.name}）" if r.parent is not None and r.level >= Level.STREET else ""
            groups.setdefault(r.level, []).append((r.code, f"{r.name}{above}"))
        choices: list[Any] = [] if self.required else [("", _("请选择…"))]
        if len(groups) == 1:
            choices += next(iter(groups.values()))
        else:
            choices += [(Level(level).label, options) for level, options in groups.items()]
        self.choices = choices

    def clean(self, value: Any) -> Region | None:
        code = super().clean(value)
        return self.regions[code] if code else None


# ---------------------------------------------------------------- list filters


class ElderFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or ID number"), required=False, max_length=50)
    region = forms.CharField(label=_("Region code"), required=False, max_length=CODE_LENGTH, validators=[code_validator])
    age_band = forms.ChoiceField(
        label=_("Age"),
        required=False,
        choices=[("", _("Any age")), ("60-69", "60–69"), ("70-79", "70–79"), ("80-89", "80–89"), ("90+", _("90 and over"))],
    )
    age_min = forms.IntegerField(label=_("Age from"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("Age to"), required=False, min_value=0, max_value=150)
    group = forms.ChoiceField(label=_("Priority group"), required=False)
    living_status = forms.ChoiceField(label=_("Living status"), required=False, choices=[("", _("Any"))] + LivingStatus.choices)
    status = forms.ChoiceField(
        label=_("Record status"),
        required=False,
        choices=ElderStatus.choices + [(STATUS_ALL, _("All records"))],
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_as(self, "group", forms.ChoiceField).choices = [("", _("Any")), *_group_choices(actor)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        band = AGE_BANDS.get(data.get("age_band") or "")
        if band:
            data["age_min"] = band[0] if data.get("age_min") is None else data["age_min"]
            data["age_max"] = band[1] if data.get("age_max") is None else data["age_max"]
        if data.get("age_min") is not None and data.get("age_max") is not None and data["age_min"] > data["age_max"]:
            raise ValidationError(_("The lower age is above the upper age."))
        return data

    def to_filters(self) -> ElderFilters:
        data = self.cleaned_data
        status = data.get("status") or ElderStatus.ACTIVE
        return ElderFilters(
            region=data.get("region") or None,
            age_min=data.get("age_min"),
            age_max=data.get("age_max"),
            groups=[data["group"]] if data.get("group") else [],
            living_status=data.get("living_status") or None,
            status=None if status == STATUS_ALL else status,
            q=data.get("q") or None,
        )


# ---------------------------------------------------------------- the record


class ElderForm(forms.Form):
    """Registration (with the ID number) and editing (without: it never changes)."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        help_text=_("18 characters; the birth date and sex are read from it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=DateInput, help_text=_("Optional: checked against the ID number.")
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", _("Read from the ID number"))] + Sex.choices)
    residence = forms.CharField(label=_("Residence community"), max_length=CODE_LENGTH)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hukou_region = forms.CharField(
        label=_("Household registration (region code)"), max_length=CODE_LENGTH, required=False, validators=[code_validator]
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    living_status = forms.ChoiceField(label=_("Living status"), choices=LivingStatus.choices, initial=LivingStatus.WITH_FAMILY)
    latitude = forms.DecimalField(label=_("Latitude"), required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, max_digits=9, decimal_places=6)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    CREATE_ONLY = ("id_number", "birth_date", "sex")

    def __init__(self, *args: Any, actor: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            for name in self.CREATE_ONLY:
                del self.fields[name]
        communities = region_selectors.communities_in_scope(actor=actor)
        if communities is not None:
            self.fields["residence"] = forms.ChoiceField(
                label=_("Residence community"),
                choices=[
                    ("", _("Choose a community")),
                    *[(c.code, f"{c.parent.name if c.parent else ''} · {c.name}（{c.code}）") for c in communities],
                ],
            )
        else:
            self.fields["residence"].validators.append(code_validator)
            self.fields["residence"].help_text = _("The 12-digit code of the community.")

    def clean_residence(self) -> Region:
        return _region(self.cleaned_data["residence"])

    def clean_hukou_region(self) -> Region | None:
        code = self.cleaned_data.get("hukou_region")
        return _region(code) if code else None

    def service_kwargs(self) -> dict:
        """Arguments for `services.elder_create` (all fields) or `services.elder_update`
        (only what the user changed)."""
        data = dict(self.cleaned_data)
        if self.editing:
            return {name: data[name] for name in self.changed_data if name in data}
        return data

    @staticmethod
    def initial_for(elder) -> dict:
        return {
            "name": elder.name,
            "residence": elder.residence_id,
            "address": elder.address,
            "hukou_region": elder.hukou_region_id or "",
            "phone": elder.phone,
            "living_status": elder.living_status,
            "latitude": elder.latitude,
            "longitude": elder.longitude,
            "notes": elder.notes,
        }


class GroupForm(forms.Form):
    group = forms.ChoiceField(label=_("Priority group"), help_text=_("Disability and its degree come from the ability assessment."))
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DateInput)
    source = forms.CharField(label=_("Certificate or document number"), max_length=100, required=False)

    def __init__(self, data: Mapping[str, Any] | None = None, *, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"valid_from": timezone.localdate()})
        super().__init__(data, prefix="grp", **kwargs)
        field_as(self, "group", forms.ChoiceField).choices = _group_choices(actor, for_entry=True)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices)
    phone = forms.CharField(label=_("Phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    is_guardian = forms.BooleanField(label=_("Guardian"), required=False)
    is_emergency = forms.BooleanField(label=_("Emergency contact"), required=False, initial=True)
    priority = forms.IntegerField(label=_("Call order"), min_value=1, max_value=9, initial=1)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(data, prefix="contact", **kwargs)


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Consent to"), choices=ConsentKind.choices)
    granted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Agrees")), ("no", _("Does not agree"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    signed_by = forms.CharField(label=_("Signed by"), max_length=50)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(data, prefix="consent", **kwargs)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Record status"), choices=ElderStatus.choices)
    on = forms.DateField(label=_("Date of change"), widget=DateInput)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(data, prefix="status", **kwargs)


class ObservationForm(forms.Form):
    """What someone who saw the elder observed of the item the standard watches (意识水平 of an elder
    assessed in coma): the platform plans the reassessment the standard asks for."""

    item = forms.CharField(widget=forms.HiddenInput)
    score = forms.TypedChoiceField(label=_("Observed"), coerce=int)
    on = forms.DateField(label=_("Date of the observation"), widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, data: Mapping[str, Any] | None = None, *, actor: User, elder: Elder, **kwargs: Any) -> None:
        watch = assessment_selectors.elder_observable(actor=actor, elder=elder)
        kwargs.setdefault("initial", {"on": timezone.localdate(), "item": watch.item if watch else ""})
        super().__init__(data, prefix="observe", **kwargs)
        self.watch = watch
        score = field_as(self, "score", forms.TypedChoiceField)
        score.choices = [(s, f"{s} {text}") for s, text in watch.options] if watch else []
        if watch:
            score.label = watch.name

    def clean_item(self) -> str:
        item: str = self.cleaned_data["item"]
        if self.watch is None or item != self.watch.item:
            raise forms.ValidationError(_("This cannot be observed for this elder."))
        return item


class StayForm(forms.Form):
    """A stay in a facility: living in an institution (long-term) or a respite stay."""

    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Institution.objects.none(), empty_label=_("Choose a facility"))
    kind = forms.ChoiceField(label=_("Kind of stay"), choices=StayKind.choices, initial=StayKind.LONG_TERM)
    start = forms.DateField(label=_("First day"), widget=DateInput)
    end = forms.DateField(label=_("Last day"), widget=DateInput, required=False, help_text=_("Empty while the stay goes on."))

    def __init__(self, data: Mapping[str, Any] | None = None, *, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start": timezone.localdate()})
        super().__init__(data, prefix="stay", **kwargs)
        field_as(self, "facility", forms.ModelChoiceField).queryset = facility_selectors.institutions_in_scope(actor=actor)


class StayEndForm(forms.Form):
    stay = forms.ModelChoiceField(label=_("Stay"), queryset=Stay.objects.none(), empty_label=None)
    end = forms.DateField(label=_("Last day"), widget=DateInput)

    def __init__(self, data: Mapping[str, Any] | None = None, *, actor: User, elder: Elder, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"end": timezone.localdate()})
        super().__init__(data, prefix="stay_end", **kwargs)
        open_stays = facility_selectors.elder_stays(actor=actor, elder=elder).filter(end__isnull=True)
        field_as(self, "stay", forms.ModelChoiceField).queryset = open_stays


# ---------------------------------------------------------------- import


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
    convert_legacy = forms.BooleanField(
        label=_("Convert 15-digit legacy ID numbers to 18 digits"),
        required=False,
        help_text=_("Each converted number is listed in the report for checking."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload an Excel workbook ending in .xlsx."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 20 MB: split it into smaller files."))
        return upload


# ---------------------------------------------------------------- home care beds


class BedStatus(models.TextChoices):
    CURRENT = "current", _("在约")
    ENDED = "ended", _("已终止")
    NEVER_INSPECTED = "never", _("从未巡检")
    ALL = "all", _("全部")


class BedFilterForm(forms.Form):
    """The beds list's filters (GET): the contract's status and the street of the elder's home."""

    status = forms.ChoiceField(label=_("状态"), required=False, choices=BedStatus.choices)
    street = forms.ChoiceField(label=_("街道（乡镇）"), required=False)

    def __init__(self, *args: Any, streets: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_as(self, "street", forms.ChoiceField).choices = [
            ("", _("全部街道")),
            *[(s.code, f"{s.name}（{s.parent.name}）" if s.parent else s.name) for s in streets],
        ]

    def filter(self, beds: QuerySet[HomeCareBed], today: dt.date) -> QuerySet[HomeCareBed]:
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status") or BedStatus.CURRENT
        current = Q(ends__isnull=True) | Q(ends__gte=today)
        if status == BedStatus.CURRENT:
            beds = beds.filter(current)
        elif status == BedStatus.ENDED:
            beds = beds.exclude(current)
        elif status == BedStatus.NEVER_INSPECTED:
            beds = beds.filter(current & Q(last_inspection__isnull=True))  # the list's annotation
        if data.get("street"):
            beds = beds.filter(elder__residence__parent_id=data["street"])
        return beds
