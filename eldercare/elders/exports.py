"""Large registry exports in the background.

A city's export (hundreds of thousands of rows) takes half a minute: too long for a request. Up to
`immediate_rows()` rows the console still answers with the file at once; beyond that
`export_request` records an `ElderExport` and queues the `tasks.export_elders` task, which writes the
workbook into `export_dir()` (settings' var dir), reporting rows done as it goes. Only the user who
asked downloads the file, and only while the export's region is still in their scope and they may
still export (and, for full ID numbers, reveal them). Files are deleted `KEEP_DAYS` after they were
made (`exports_expire`, run by every export task and whenever the exports page opens). The
formula safety (`core.spreadsheet`) and the audit of full-ID exports are those of
`excel.export_elders_xlsx`, which does the writing in both cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, in_region, require
from eldercare.core.errors import Err
from eldercare.regions.models import Region

from . import excel
from .models import ElderExport, ExportStatus
from .selectors import ElderFilters, elder_list

logger = logging.getLogger(__name__)

IMMEDIATE_ROWS = 5_000  # up to this many rows the file is made in the request (ELDERCARE_EXPORT_IMMEDIATE_ROWS)
KEEP_DAYS = 7  # a finished export's file is deleted after this many days
ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ERR_EXPORT_NOT_FOUND = Err("elders.export_not_found", "没有这个导出文件 / no such export")


def immediate_rows() -> int:
    """The most rows an export made in the request may have; larger ones run in the background."""
    return int(getattr(settings, "ELDERCARE_EXPORT_IMMEDIATE_ROWS", IMMEDIATE_ROWS))


def export_dir() -> Path:
    """Where export files are written: `ELDERCARE_EXPORT_DIR` if set, else `var/exports`."""
    found = getattr(settings, "ELDERCARE_EXPORT_DIR", None) or Path(settings.VAR_DIR) / "exports"
    return Path(found)


def _stored(filters: ElderFilters) -> dict:
    data = dataclasses.asdict(filters)
    data.pop("on", None)  # always today's registry
    return data


def export_request(
    *, actor: User, filters: ElderFilters, full_ids: bool = False, region: Region | None = None, query: str = ""
) -> ElderExport:
    """Queue an export of the elders `filters` select in the actor's scope; an identical export the
    actor already has queued or running is answered instead of a second one."""
    require(actor, Cap.EXPORT_ELDERS)
    if full_ids:
        require(actor, Cap.REVEAL_ID)
    elder_list(actor=actor, filters=filters)  # refuses a filter the actor may not use, before queueing
    stored = _stored(filters)
    if region is None:  # the download is checked against it: the filter's region, else the actor's
        region = Region.objects.filter(code=filters.region).first() if filters.region else getattr(actor, "region", None)
    for existing in ElderExport.objects.filter(requested_by=actor, status__in=ACTIVE):
        if existing.filters == stored and existing.full_ids == full_ids:
            return existing
    with transaction.atomic():
        export = ElderExport.objects.create(requested_by=actor, filters=stored, full_ids=full_ids, region=region, query=query[:500])
        from .tasks import export_elders

        transaction.on_commit(lambda: export_elders.enqueue(export.pk))
    return export


def export_run(*, export_id: int) -> ElderExport | None:
    """The background task's work: claim a queued export, write its file, record how it went."""
    exports_expire()
    claimed = ElderExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    export = ElderExport.objects.select_related("requested_by", "region").filter(pk=export_id).first()
    if export is None or not claimed:
        return export  # gone, or another worker has it
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"elders-{export.pk}-{secrets.token_hex(8)}.xlsx"
    partial = folder / (name + ".part")
    actor = export.requested_by
    try:
        queryset = elder_list(actor=actor, filters=ElderFilters(**export.filters))
        total = min(queryset.count(), settings.ELDERCARE_EXPORT_MAX_ROWS)
        ElderExport.objects.filter(pk=export.pk).update(rows_total=total)

        def progress(done: int) -> None:
            ElderExport.objects.filter(pk=export.pk).update(rows_done=done)

        with partial.open("wb") as out:
            count = excel.export_elders_xlsx(
                actor=actor, queryset=queryset, out=out, full_ids=export.full_ids, region=export.region, progress=progress
            )
        partial.replace(folder / name)
    except Exception as exc:  # the export fails, the worker goes on
        logger.exception("Elder export %s failed", export.pk)
        partial.unlink(missing_ok=True)
        ElderExport.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED, error=str(exc)[:500], finished_at=timezone.now())
    else:
        ElderExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.DONE, rows_done=count, rows_total=count, file_name=name, finished_at=timezone.now()
        )
    export.refresh_from_db()
    return export


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of exports finished more than `KEEP_DAYS` ago; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=KEEP_DAYS)
    old = list(ElderExport.objects.filter(status=ExportStatus.DONE, finished_at__lt=cutoff).values_list("pk", "file_name"))
    folder = export_dir()
    for _, name in old:
        if name:
            (folder / name).unlink(missing_ok=True)
    if old:
        ElderExport.objects.filter(pk__in=[pk for pk, _ in old]).update(status=ExportStatus.EXPIRED, file_name="")
    return len(old)


# ---------------------------------------------------------------- reads


def exports_of(*, actor: User) -> QuerySet[ElderExport]:
    """The actor's own exports, newest first."""
    require(actor, Cap.EXPORT_ELDERS)
    return ElderExport.objects.filter(requested_by=actor).select_related("region")


def may_download(actor: User, export: ElderExport) -> bool:
    """Whether the file may still go to the actor: theirs, finished, and still in their scope."""
    if export.requested_by_id != actor.pk or export.status != ExportStatus.DONE or not export.file_name:
        return False
    if not has_cap(actor, Cap.EXPORT_ELDERS) or (export.full_ids and not has_cap(actor, Cap.REVEAL_ID)):
        return False
    return export.region_id is None or in_region(actor, export.region_id)


def export_file(*, actor: User, pk: int) -> tuple[ElderExport, Path]:
    """The export's file for its requester; 404 for anyone else, or once it has expired."""
    export = ElderExport.objects.filter(pk=pk, requested_by=actor).select_related("region").first()
    if export is None or not may_download(actor, export):
        raise Http404(ERR_EXPORT_NOT_FOUND)
    if export.finished_at and export.finished_at < timezone.now() - dt.timedelta(days=KEEP_DAYS):
        exports_expire()
        raise Http404(ERR_EXPORT_NOT_FOUND)
    path = export_dir() / export.file_name
    if not path.is_file():
        raise Http404(ERR_EXPORT_NOT_FOUND)
    return export, path
