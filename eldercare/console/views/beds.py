"""Home care beds (家庭养老床位): the region's (or a provider's own) list, oldest inspection first, and
a bed's page with its equipment, devices and records, where the provider or the region adds one."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eldercare.devices import beds, selectors
from eldercare.devices.models import BedRecord
from eldercare.regions.models import Level, Region

from ..forms import BedFilterForm


@login_required
def bed_list(request):
    """The beds, oldest inspection first, a page at a time, filtered by status and street."""
    visible = selectors.bed_list(request.user)  # refuses (403) those who see no beds
    streets = list(
        Region.objects.filter(level=Level.STREET, children__resident_elders__home_beds__in=visible.values("pk"))
        .select_related("parent")
        .distinct()
        .order_by("code")
    )
    form = BedFilterForm(request.GET or None, streets=streets)
    page_obj = Paginator(form.filter(visible, timezone.localdate()), settings.ELDERCARE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/beds.html", {"form": form, "page_obj": page_obj, "beds": page_obj.object_list})


@login_required
def bed_detail(request, pk: int):
    bed = selectors.bed_get(actor=request.user, pk=pk)
    context = {
        "bed": bed,
        "records": bed.records.select_related("by"),
        "devices": bed.elder.devices.order_by("kind", "serial"),  # the home's, whether fitted with the bed or before
        "may_record": beds.may_record(request.user, bed),
        "kinds": BedRecord.Kind.choices,
        "today": timezone.localdate(),
    }
    return render(request, "console/bed_detail.html", context)


@login_required
@require_POST
def bed_record(request, pk: int):
    bed = selectors.bed_get(actor=request.user, pk=pk)
    try:
        on = dt.date.fromisoformat(request.POST.get("on", ""))
    except ValueError:
        messages.error(request, _("Give the date as YYYY-MM-DD."))
        return redirect("console:bed_detail", pk)
    try:
        beds.bed_record_add(actor=request.user, bed=bed, kind=request.POST.get("kind", ""), on=on, note=request.POST.get("note", ""))
        messages.success(request, _("Record added."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console:bed_detail", pk)
