"""Background jobs seen from the console: the user's registry exports (progress, download) and the
shared test of a job that no worker takes (an export, an allowance run still queued after minutes)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eldercare.elders import exports
from eldercare.elders.models import ElderExport, ExportStatus

STUCK_MINUTES = 5  # a job still queued this long has no background worker taking it
LISTED = 20


def is_stuck(status: str, requested_at: dt.datetime, *, now: dt.datetime | None = None) -> bool:
    """Whether a job is still queued (its status "queued") `STUCK_MINUTES` after it was asked for."""
    return status == "queued" and requested_at < (now or timezone.now()) - dt.timedelta(minutes=STUCK_MINUTES)


def percent(export: ElderExport) -> int:
    if export.status == ExportStatus.DONE:
        return 100
    return min(100, export.rows_done * 100 // export.rows_total) if export.rows_total else 0


def _rows(actor) -> list[dict]:
    now = timezone.now()
    return [
        {
            "export": export,
            "percent": percent(export),
            "active": export.status in exports.ACTIVE,
            "stuck": is_stuck(export.status, export.requested_at, now=now),
            "downloadable": exports.may_download(actor, export),
        }
        for export in exports.exports_of(actor=actor)[:LISTED]
    ]


@login_required
@never_cache
@require_GET
def export_list(request):
    exports.exports_expire()
    rows = _rows(request.user)
    context = {
        "rows": rows,
        "any_active": any(row["active"] for row in rows),
        "any_stuck": any(row["stuck"] for row in rows),
        "stuck_minutes": STUCK_MINUTES,
        "keep_days": exports.KEEP_DAYS,
    }
    return render(request, "console/export_list.html", context)


@login_required
@never_cache
@require_GET
def export_status(request):
    """The exports page's progress, polled every 2 s while one runs (jobs.js)."""
    items = [
        {
            "id": row["export"].pk,
            "status": row["export"].status,
            "label": str(row["export"].get_status_display()),
            "rows_done": row["export"].rows_done,
            "rows_total": row["export"].rows_total,
            "percent": row["percent"],
            "active": row["active"],
            "stuck": row["stuck"],
        }
        for row in _rows(request.user)
    ]
    return JsonResponse({"items": items, "active": any(item["active"] for item in items)})


@login_required
@never_cache
@require_GET
def export_download(request, pk: int):
    export, path = exports.export_file(actor=request.user, pk=pk)
    name = f"elders-{timezone.localtime(export.finished_at or export.requested_at):%Y%m%d-%H%M}.xlsx"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=exports.XLSX)
