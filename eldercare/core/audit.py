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
from django.db.models import prefetch_related_objects
from django.utils import timezone


def log_bulk_create(*, actor, instances: Iterable[models.Model], batch_size: int = 1000) -> int:
    now = timezone.now()
    instances = list(instances)
    # The diff reads each row's one-to-one relations, the reverse ones too (an elder's preferred
    # caregiver, which a new row has not): fetched for all rows of a model at once, one query per
    # relation, not one per row and relation.
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for obj in instances:
        by_model.setdefault(type(obj), []).append(obj)
    for model, rows in by_model.items():
        prefetch_related_objects(rows, *_one_to_one(model))
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


def _one_to_one(model: type[models.Model]) -> list[str]:
    """The names under which a model's rows reach one related row: forward relations and reverse one-to-ones."""
    names = []
    for field in model._meta.get_fields():
        if field.many_to_one or field.one_to_one:
            names.append(field.get_accessor_name() if isinstance(field, models.ForeignObjectRel) else field.name)
    return [name for name in names if name]
