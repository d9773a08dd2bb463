"""A hash chain over the audit rows, so that tampering — even by the database owner — is detected.

Each audited table has an insert trigger (`core.appendonly`) that queues the new row's id in
`AuditPending` inside the inserting transaction. The sealer (`manage.py audit_seal`, every minute)
takes the queue in order and appends one `AuditSeal` per row: its number, the digest of the seal
before it, and SHA-256(previous digest ‖ the row's canonical content). Writers never wait for one
another; a row is sealed within a minute of its commit.

`verify()` walks the chain again from the last archive: a row whose content changed, a row gone,
a link broken, or an audit row that was never queued (inserted with the triggers off) is reported.
`archive()` moves sealed rows older than the retention period (≥ 6 months, 等保 level 3) to a
gzip file and records where the chain continues, so the chain stays verifiable across archives.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .appendonly import ARCHIVING
from .models import AuditArchive, AuditHead, AuditPending, AuditSeal

# The audited tables: model label → the field holding when the row was written.
SOURCES: dict[str, str] = {
    "auditlog.logentry": "timestamp",
    "accounts.securityevent": "at",
}
BATCH = 5_000
MIN_RETENTION_DAYS = 180  # 等保 2.0 (GB/T 22239-2019) 8.1.4.3 c) as commonly applied with the Cybersecurity Law art. 21: ≥ 6 months


def source_model(source: str) -> type[models.Model]:
    return apps.get_model(source)


def canonical(row: dict[str, Any]) -> bytes:
    """A row's content as fixed bytes: its columns by name, sorted, as compact JSON."""
    return json.dumps(row, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":")).encode()


def link(previous: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + canonical(row)).hexdigest()


def _ids_by_source(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for source, row_id in pairs:
        grouped.setdefault(source, []).append(row_id)
    return grouped


def _rows(pairs: Iterable[tuple[str, int]]) -> dict[str, dict[int, dict[str, Any]]]:
    """The current content of audit rows named by (source, row id): source → row id → columns."""
    return {
        source: {row["id"]: row for row in source_model(source)._default_manager.filter(pk__in=ids).order_by().values()}
        for source, ids in _ids_by_source(pairs).items()
    }


def _head() -> AuditHead:
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head


def seal_pending(*, batch: int = BATCH) -> int:
    """Seal every queued audit row; returns how many. Safe to run in several processes: the head
    row's lock makes them take turns."""
    sealed = 0
    while True:
        with transaction.atomic():
            head = _head()
            pending = list(AuditPending.objects.order_by("pk").values_list("pk", "source", "row_id")[:batch])
            if not pending:
                return sealed
            rows = _rows((source, row_id) for _, source, row_id in pending)
            already = set(
                AuditSeal.objects.filter(row_id__in=[row_id for _, _, row_id in pending]).values_list("source", "row_id")
            )
            seals = []
            for _, source, row_id in pending:
                row = rows[source].get(row_id)
                if row is None or (source, row_id) in already:
                    continue  # queued twice, or rolled back with its row (a queue entry outlives nothing else)
                already.add((source, row_id))
                digest = link(head.digest, row)
                head.seq += 1
                seals.append(AuditSeal(seq=head.seq, source=source, row_id=row_id, previous=head.digest, digest=digest))
                head.digest = digest
            AuditSeal.objects.bulk_create(seals)
            AuditPending.objects.filter(pk__in=[pk for pk, _, _ in pending]).delete()
            head.save(update_fields=["seq", "digest"])
            sealed += len(seals)


@dataclass
class Report:
    checked: int = 0
    altered: list[tuple[int, str, int]] = field(default_factory=list)  # (seq, source, row id)
    missing: list[tuple[int, str, int]] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)  # seqs whose `previous` is not the digest before
    unsealed: dict[str, int] = field(default_factory=dict)  # source → rows neither sealed nor queued
    head_mismatch: bool = False

    @property
    def ok(self) -> bool:
        return not (self.altered or self.missing or self.broken or any(self.unsealed.values()) or self.head_mismatch)


def _seals_after(seq: int) -> Iterator[list[AuditSeal]]:
    while True:
        chunk = list(AuditSeal.objects.filter(seq__gt=seq).order_by("seq")[:BATCH])
        if not chunk:
            return
        yield chunk
        seq = chunk[-1].seq


def verify() -> Report:
    """Recompute the chain from the last archive (or the start) and compare."""
    report = Report()
    last = AuditArchive.objects.order_by("-up_to_seq").first()
    previous, seq = (last.digest, last.up_to_seq) if last else ("", 0)
    for chunk in _seals_after(seq):
        rows = _rows((seal.source, seal.row_id) for seal in chunk)
        for seal in chunk:
            report.checked += 1
            if seal.seq != seq + 1 or seal.previous != previous:
                report.broken.append(seal.seq)
            seq = seal.seq
            row = rows[seal.source].get(seal.row_id)
            if row is None:
                report.missing.append((seal.seq, seal.source, seal.row_id))
            elif link(seal.previous, row) != seal.digest:
                report.altered.append((seal.seq, seal.source, seal.row_id))
            previous = seal.digest
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.digest) != (seq, previous) and head.seq != 0:
        report.head_mismatch = True
    for source in SOURCES:
        model = source_model(source)
        sealed = AuditSeal.objects.filter(source=source, row_id=OuterRef("pk"))
        queued = AuditPending.objects.filter(source=source, row_id=OuterRef("pk"))
        report.unsealed[source] = model._default_manager.filter(~Exists(sealed), ~Exists(queued)).count()
    return report


def retention_days() -> int:
    return max(int(getattr(settings, "ELDERCARE_AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS)), MIN_RETENTION_DAYS)


class ArchiveRefused(ValueError):
    pass


def archive(*, before: dt.datetime, directory: Path) -> AuditArchive | None:
    """Move the sealed audit rows written before `before` to a gzip JSON-lines file in `directory`
    and delete them here; None when there is nothing to move. Refused for a date inside the
    retention period. The chain's prefix moves as a whole: archiving stops at the first seal whose
    row is newer than `before`."""
    limit = timezone.now() - dt.timedelta(days=retention_days())
    if before > limit:
        raise ArchiveRefused(f"audit rows are kept {retention_days()} days: archive only before {limit:%Y-%m-%d}")
    seal_pending()
    last = AuditArchive.objects.order_by("-up_to_seq").first()
    start = last.up_to_seq if last else 0
    moved: list[tuple[AuditSeal, dict[str, Any]]] = []
    for chunk in _seals_after(start):
        rows = _rows((seal.source, seal.row_id) for seal in chunk)
        stop = False
        for seal in chunk:
            row = rows[seal.source].get(seal.row_id)
            if row is None or row[SOURCES[seal.source]] >= before:
                stop = True
                break
            moved.append((seal, row))
        if stop:
            break
    if not moved:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    up_to = moved[-1][0].seq
    path = directory / f"audit-{start + 1:012d}-{up_to:012d}.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for seal, row in moved:
            out.write(
                json.dumps(
                    {"seq": seal.seq, "source": seal.source, "row_id": seal.row_id, "previous": seal.previous, "digest": seal.digest, "row": row},
                    default=str,
                    ensure_ascii=False,
                )
                + "\n"
            )
    file_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [ARCHIVING])
        for source, ids in _ids_by_source((seal.source, seal.row_id) for seal, _ in moved).items():
            for i in range(0, len(ids), BATCH):
                # Raw deletes: the models refuse `delete()`, and nothing cascades from an audit row.
                model = source_model(source)
                model._default_manager.filter(pk__in=ids[i : i + BATCH])._raw_delete(connection.alias)
        AuditSeal.objects.filter(seq__lte=up_to)._raw_delete(connection.alias)
        return AuditArchive.objects.create(
            up_to_seq=up_to,
            digest=moved[-1][0].digest,
            before=before,
            rows=len(moved),
            file_name=str(path),
            file_sha256=file_sha256,
        )


def verify_archive_file(path: Path) -> list[str]:
    """Problems found in an archive file: its checksum against the record, and its chain."""
    problems: list[str] = []
    record = AuditArchive.objects.filter(file_name=str(path)).first() or AuditArchive.objects.filter(file_name__endswith=path.name).first()
    if record is None:
        return [f"{path.name}: no archive record names this file"]
    if hashlib.sha256(path.read_bytes()).hexdigest() != record.file_sha256:
        problems.append(f"{path.name}: checksum differs from the one recorded at archiving")
    earlier = AuditArchive.objects.filter(up_to_seq__lt=record.up_to_seq).order_by("-up_to_seq").first()
    previous, seq = (earlier.digest, earlier.up_to_seq) if earlier else ("", 0)
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            if item["seq"] != seq + 1 or item["previous"] != previous:
                problems.append(f"seal {item['seq']}: link broken")
            # The row was written as JSON with str() for dates: hash what was stored, as stored.
            if link(item["previous"], item["row"]) != item["digest"]:
                problems.append(f"seal {item['seq']}: row {item['source']}#{item['row_id']} differs from its seal")
            previous, seq = item["digest"], item["seq"]
    if (seq, previous) != (record.up_to_seq, record.digest):
        problems.append(f"{path.name}: ends at seal {seq}, the record says {record.up_to_seq}")
    return problems
