"""Audit entries for bulk writes.

django-auditlog writes its entries from model signals, which `bulk_create`
does not send. Bulk imports call `log_bulk_create` in the same transaction so
every created row still has its entry: same diff (with the registry's masking),
same actor, one INSERT per thousand entries instead of one per row.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


def log_bulk_create(*, actor, instances: Iterable[models.Model], batch_size: int = 1000) -> int:
    now = timezone.now()
    entries = []
    for obj in instances:
        pk = obj.pk
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(obj),
                object_pk=str(pk),
                object_id=pk if isinstance(pk, int) else None,
                object_repr=str(obj),
                action=LogEntry.Action.CREATE,
                changes=model_instance_diff(None, obj),
                actor=actor,
                timestamp=now,
            )
        )
    LogEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)
