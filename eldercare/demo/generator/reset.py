"""Finding and deleting what a demo build creates."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection, models, transaction

from eldercare.accounts.models import User
from eldercare.elders.models import Elder, Household
from eldercare.entitlements.models import Account, Entry, IssuanceRun
from eldercare.facilities.models import Institution
from eldercare.regions.models import Region

Log = Callable[[str], None]


def demo_data_present() -> dict[str, int]:
    """Counts of rows that would clash with a new demo city (empty dict: none)."""
    counts = {"elders": Elder.objects.count(), "regions": Region.objects.count()}
    return {k: v for k, v in counts.items() if v}


def _reverse_relations(model: type[models.Model]):
    """Foreign keys and one-to-ones elsewhere (many-to-many tables included) that point at model."""
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            yield rel


def _wipe(qs: models.QuerySet, log: Log, depth: int = 0) -> int:
    """Delete the rows of qs with plain SQL, dependent rows first, without loading them or sending signals.

    Rows pointing at them are deleted too (CASCADE, PROTECT, RESTRICT: all demo
    data), or set to NULL (SET_NULL); a self-reference is fine only when the whole
    table goes, or when no row of the part is referred to.
    """
    if depth > 12:
        raise RuntimeError("relations too deep to wipe")
    model = qs.model
    for rel in _reverse_relations(model):
        related, fk = rel.related_model, rel.field
        if related is model:
            if qs.query.where and related._base_manager.filter(**{f"{fk.name}__in": qs}).exists():
                raise RuntimeError(f"cannot wipe part of self-referencing {model.__name__}")
            continue
        dependents = related._base_manager.filter(**{f"{fk.name}__in": qs})
        if rel.on_delete is models.DO_NOTHING:
            continue
        if rel.on_delete is models.SET_NULL:
            dependents.update(**{fk.name: None})
        else:
            _wipe(dependents, log, depth + 1)
    deleted = qs._raw_delete(qs.db)
    if deleted:
        log(f"  删除 deleted {deleted:,} {model._meta.label}")
    return deleted


def reset_demo_data(log: Log = print) -> None:
    """Delete what a demo build creates (and anything hanging off it), in FK-safe order.

    Elders (with their groups, contacts, consents and any other app's rows about
    them), households, institutions, users other than superusers, regions.
    Superusers stay, detached from their region.
    """
    started = time.perf_counter()
    log("清除演示数据 / deleting demo data")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The append-only tables refuse DELETE row by row (core.appendonly); the demo's owner
            # empties them whole, and the audit chain starts again.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
                cursor.execute(
                    "TRUNCATE entitlements_entry, auditlog_logentry, accounts_securityevent, core_auditseal, core_auditpending"
                )
                cursor.execute("UPDATE core_audithead SET seq = 0, digest = ''")
        # The ledger refers to itself (a reversal to its spend): it goes whole, before the elders.
        for ledger_model in (Entry, Account, IssuanceRun):
            _wipe(ledger_model._base_manager.all(), log)
        _wipe(Elder._base_manager.all(), log)
        _wipe(Household._base_manager.all(), log)
        _wipe(Institution._base_manager.all(), log)
        _wipe(User._base_manager.filter(is_superuser=False), log)
        User._base_manager.filter(region__isnull=False).update(region=None)
        _wipe(Region._base_manager.all(), log)
    log(f"  {time.perf_counter() - started:.1f} s")
