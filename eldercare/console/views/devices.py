"""Registering what is installed in an elder's home from the console (the API's device and bed
registration, for the region's staff who keep elders' records): the elder's devices with the
登记设备 form, and 登记家庭养老床位 (first finding the elder, then the contract)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_NO_CAPABILITY, has_cap
from eldercare.devices import beds, registration, selectors
from eldercare.elders.models import Elder
from eldercare.elders.selectors import ElderFilters, elder_get, elder_list
from eldercare.providers.models import Provider, ProviderStatus
from eldercare.regions.models import covering_codes

from ..forms import add_service_errors
from ..forms_alarms import BedElderSearchForm, BedForm, DeviceForm

ELDER_MATCHES = 20


def _may_register(actor: User) -> None:
    """Devices and beds are registered by those who keep the elders' records (the services check again)."""
    if not has_cap(actor, Cap.EDIT_ELDERS):
        raise PermissionDenied(ERR_NO_CAPABILITY)


@login_required
@never_cache
def elder_devices(request, pk: int):
    """The devices in the elder's home, and for the region's record keepers the 登记设备 form."""
    actor = request.user
    devices = list(selectors.elder_devices(actor=actor, elder_id=pk))  # 403 for those without the devices
    elder = elder_get(actor=actor, pk=pk)  # 404 outside the actor's region
    may_register = has_cap(actor, Cap.EDIT_ELDERS)
    form = DeviceForm()
    status = 200
    if request.method == "POST":
        _may_register(actor)
        form = DeviceForm(request.POST)
        if form.is_valid():
            try:
                device = registration.device_register(actor=actor, elder=elder, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已登记设备 %(serial)s。") % {"serial": device.serial})
                return redirect("console:elder_devices", pk=elder.pk)
        status = 422
    context = {"elder": elder, "devices": devices, "may_register": may_register, "form": form}
    return render(request, "console/device_form.html", context, status=status)


def _providers_for(elder: Elder) -> QuerySet[Provider]:
    """The providers one may contract a bed with: those in business serving the elder's community."""
    return (
        Provider.objects.filter(status=ProviderStatus.ACTIVE, areas__region_id__in=covering_codes(elder.residence_id))
        .distinct()
        .order_by("name", "pk")
    )


@login_required
@never_cache
def bed_register_start(request):
    """登记家庭养老床位 from the beds list: find the elder first (by name or ID number)."""
    actor = request.user
    _may_register(actor)
    form = BedElderSearchForm(request.GET or None)
    matches: list[Elder] = []
    if form.is_valid() and form.cleaned_data["q"]:
        matches = list(elder_list(actor=actor, filters=ElderFilters(q=form.cleaned_data["q"]))[:ELDER_MATCHES])
    return render(request, "console/bed_form.html", {"search": form, "matches": matches, "searched": form.is_bound})


@login_required
@never_cache
def bed_register(request, pk: int):
    """The bed's contract for one elder: the provider, the contract number, the date and what was installed."""
    actor = request.user
    _may_register(actor)
    elder = elder_get(actor=actor, pk=pk)
    providers = _providers_for(elder)
    form = BedForm(request.POST or None, providers=providers)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                bed = beds.bed_register(
                    actor=actor,
                    elder=elder,
                    provider=data["provider"],
                    contract_number=data["contract_number"].strip(),
                    starts=data["starts"],
                    equipment=data["equipment"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已登记家庭养老床位，合同编号 %(number)s。") % {"number": bed.contract_number})
                return redirect("console:bed_detail", bed.pk)
        status = 422
    return render(request, "console/bed_form.html", {"elder": elder, "form": form, "no_providers": not providers.exists()}, status=status)
