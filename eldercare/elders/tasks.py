"""Background tasks of the registry (Django's tasks interface, as `entitlements.tasks`)."""

from __future__ import annotations

from django.tasks import task


@task()
def export_elders(export_id: int) -> dict:
    from .exports import export_run

    export = export_run(export_id=export_id)
    return {"status": export.status if export else "missing", "rows": export.rows_done if export else 0}
