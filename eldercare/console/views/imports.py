"""Bulk registration from Excel: upload, the per-row report, the template."""

from __future__ import annotations

import base64
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require
from eldercare.elders import excel

from ..forms import ImportForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_data_url(report: excel.ImportReport) -> str:
    """The report workbook inlined into the page: its messages can quote ID numbers
    (a converted legacy number), so it is never kept on the server."""
    out = io.BytesIO()
    excel.import_report_xlsx(report, out)
    return f"data:{XLSX};base64,{base64.b64encode(out.getvalue()).decode()}"


@login_required
@never_cache
def elder_import(request):
    actor = request.user
    # The page is only for roles the import service accepts; the service checks again.
    require(actor, Cap.IMPORT_ELDERS)
    require(actor, Cap.EDIT_ELDERS)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = report_url = None
    if request.method == "POST" and form.is_valid():
        report = excel.import_elders_xlsx(actor=actor, file=form.cleaned_data["file"], convert_legacy=form.cleaned_data["convert_legacy"])
        if report.errors or report.warnings:
            report_url = _report_data_url(report)
    return render(request, "console/elder_import.html", {"form": form, "report": report, "report_url": report_url})


@login_required
@require_GET
def elder_import_template(request):
    out = io.BytesIO()
    excel.import_template_xlsx(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="elders-template.xlsx"'
    return response
