"""The audit log and the ledger are append-only at the database, and a hash chain over the audit
rows shows any change made behind the database's back (by the owner, with the triggers off)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from eldercare.core import appendonly, chain
from eldercare.core.models import AuditArchive, AuditPending, AuditSeal
from eldercare.entitlements.models import Account
from eldercare.tests import builders as testing

POSTGRES = connection.vendor == "postgresql"


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def refused(statement: str, params: list | None = None) -> bool:
    try:
        with transaction.atomic():
            sql(statement, params)
    except (IntegrityError, DatabaseError):
        return True
    return False


def behind_the_back(statement: str, params: list | None = None) -> None:
    """What an owner with SQL can still do: run a statement with the triggers off."""
    if POSTGRES:  # (SET LOCAL would outlive the savepoint, to the test's transaction: set it back)
        sql("SET LOCAL session_replication_role = replica")
        sql(statement, params)
        sql("SET LOCAL session_replication_role = origin")
    else:
        appendonly.uninstall(SimpleNamespace(connection=connection), "auditlog_logentry")
        sql(statement, params)
        appendonly.install(SimpleNamespace(connection=connection), "auditlog_logentry", archivable=True, audited_as="auditlog.logentry")


@pytest.fixture
def audited(city):
    """Three elders registered: three audit rows, sealed."""
    for name in ("甲", "乙", "丙"):
        testing.elder(residence=city.community, name=f"老人{name}")
    assert chain.seal_pending() >= 3
    return list(LogEntry.objects.order_by("pk"))


class TestAppendOnly:
    def test_the_orm_cannot_change_or_delete_an_audit_entry(self, audited):
        entry = audited[0]
        entry.object_repr = "改过"
        with pytest.raises(TypeError), transaction.atomic():
            entry.save()
        with pytest.raises(TypeError), transaction.atomic():
            entry.delete()
        with pytest.raises(TypeError), transaction.atomic():
            LogEntry.objects.filter(pk=entry.pk).delete()
        with pytest.raises(IntegrityError), transaction.atomic():
            LogEntry.objects.filter(pk=entry.pk).update(object_repr="改过")
        assert LogEntry.objects.get(pk=entry.pk).object_repr != "改过"

    @pytest.mark.parametrize("table", ["auditlog_logentry", "core_auditseal"])
    def test_sql_cannot_update(self, audited, table):
        assert refused(f"UPDATE {table} SET row_id = row_id" if table == "core_auditseal" else f"UPDATE {table} SET object_repr = 'x'")
        assert chain.verify().ok

    def test_sql_cannot_update_a_ledger_entry(self, ledger_account):
        assert refused("UPDATE entitlements_entry SET amount = amount + 1")

    @pytest.mark.skipif(not POSTGRES, reason="SQLite leaves DELETE to the models (the test suite empties tables with it)")
    @pytest.mark.parametrize("table", ["auditlog_logentry", "core_auditseal"])
    def test_sql_cannot_delete_on_postgres(self, audited, table):
        assert refused(f"DELETE FROM {table}")
        assert LogEntry.objects.count() == len(audited)

    def test_a_balance_moves_only_with_the_ledger(self, ledger_account):
        account = ledger_account
        with pytest.raises(IntegrityError), transaction.atomic():
            Account.objects.filter(pk=account.pk).update(balance=account.balance + 600)
        assert refused("UPDATE entitlements_account SET balance = balance + 600 WHERE id = %s", [account.pk])
        account.refresh_from_db()
        assert account.balance == account.entries.order_by("-pk").first().balance_after
        Account.objects.filter(pk=account.pk).update(tier="改档")  # other columns are not the ledger's

    @pytest.mark.skipif(not POSTGRES, reason="DELETE is refused by the database on PostgreSQL")
    def test_ledger_entries_cannot_be_deleted_on_postgres(self, ledger_account):
        assert refused("DELETE FROM entitlements_entry")


@pytest.fixture
def ledger_account(city, personas):
    from eldercare.entitlements.models import IssuanceRun
    from eldercare.entitlements.services.issuance import issuance_execute

    testing.elder(residence=city.community, birth=dt.date(1940, 1, 1), hukou_region=city.community)
    month = timezone.localdate().replace(day=1)
    issuance_execute(run_id=IssuanceRun.objects.create(region=city.city, month=month).pk)
    account = Account.objects.first()
    if account is None:
        pytest.skip("the test city's policy opened no account")
    return account


class TestChain:
    def test_sealed_rows_verify(self, audited):
        report = chain.verify()
        assert report.ok, report
        assert report.checked == AuditSeal.objects.count() >= 3
        assert not AuditPending.objects.exists()

    def test_each_seal_links_to_the_one_before(self, audited):
        seals = list(AuditSeal.objects.order_by("seq"))
        assert seals[0].previous == ""
        for before, seal in zip(seals, seals[1:], strict=False):
            assert seal.previous == before.digest and seal.seq == before.seq + 1

    def test_a_changed_row_is_found(self, audited):
        victim = audited[1]
        behind_the_back("UPDATE auditlog_logentry SET object_repr = %s WHERE id = %s", ["无此人", victim.pk])
        report = chain.verify()
        assert not report.ok
        assert [(source, row) for _, source, row in report.altered] == [("auditlog.logentry", victim.pk)]

    def test_a_deleted_row_is_found(self, audited):
        victim = audited[0]
        behind_the_back("DELETE FROM auditlog_logentry WHERE id = %s", [victim.pk])
        report = chain.verify()
        assert [(source, row) for _, source, row in report.missing] == [("auditlog.logentry", victim.pk)]

    def test_a_rewritten_seal_breaks_the_link_after_it(self, audited):
        first = AuditSeal.objects.order_by("seq")[0]
        behind_the_back("UPDATE auditlog_logentry SET object_repr = %s WHERE id = %s", ["伪造", first.row_id])
        # The forger recomputes that seal's digest too; the next seal still names the old one.
        row = LogEntry.objects.filter(pk=first.row_id).values().get()
        if POSTGRES:
            sql("SET LOCAL session_replication_role = replica")
            sql("UPDATE core_auditseal SET digest = %s WHERE seq = %s", [chain.link(first.previous, row), first.seq])
            sql("SET LOCAL session_replication_role = origin")
        else:
            sql("DROP TRIGGER core_auditseal_append_only")
            sql("UPDATE core_auditseal SET digest = %s WHERE seq = %s", [chain.link(first.previous, row), first.seq])
        report = chain.verify()
        assert report.broken == [first.seq + 1]

    def test_a_row_slipped_in_with_the_triggers_off_is_found(self, audited):
        entry = audited[0]
        behind_the_back(
            "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_repr, action, changes_text, timestamp, additional_data)"
            " VALUES (%s, '1', '伪造的记录', 1, '', %s, NULL)",
            [entry.content_type_id, timezone.now()],
        )
        assert chain.verify().unsealed["auditlog.logentry"] == 1

    def test_sealing_twice_adds_nothing(self, audited):
        count = AuditSeal.objects.count()
        assert chain.seal_pending() == 0
        assert AuditSeal.objects.count() == count


class TestArchive:
    def test_refused_inside_the_retention_period(self, audited, tmp_path):
        with pytest.raises(chain.ArchiveRefused):
            chain.archive(before=timezone.now() - dt.timedelta(days=30), directory=tmp_path)
        assert LogEntry.objects.count() == len(audited)

    def test_old_rows_move_to_a_file_and_the_chain_goes_on(self, audited, tmp_path, city):
        old = timezone.now() - dt.timedelta(days=400)
        # Backdate the first two rows as if written 400 days ago (before sealing them: seal anew).
        sql("DELETE FROM core_auditpending")
        for entry in audited[:2]:
            behind_the_back("UPDATE auditlog_logentry SET timestamp = %s WHERE id = %s", [old, entry.pk])
        with transaction.atomic():
            if POSTGRES:
                sql("SET LOCAL session_replication_role = replica")
            else:
                sql("DROP TRIGGER core_auditseal_append_only")
            sql("DELETE FROM core_auditseal")
            sql("UPDATE core_audithead SET seq = 0, digest = ''")
            for entry in audited:
                AuditPending.objects.create(source="auditlog.logentry", row_id=entry.pk)
            if POSTGRES:
                sql("SET LOCAL session_replication_role = origin")
        if not POSTGRES:
            appendonly.install(SimpleNamespace(connection=connection), "core_auditseal", archivable=True)
        chain.seal_pending()
        assert chain.verify().ok

        record = chain.archive(before=timezone.now() - dt.timedelta(days=380), directory=tmp_path)
        assert record is not None and record.rows == 2 and record.up_to_seq == 2
        assert set(LogEntry.objects.values_list("pk", flat=True)) == {e.pk for e in audited[2:]}
        path = tmp_path / record.file_name.rsplit("/", 1)[-1]
        lines = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
        assert [line["row_id"] for line in lines] == [e.pk for e in audited[:2]]
        assert chain.verify_archive_file(path) == []
        testing.elder(residence=city.community, name="老人丁")  # the chain continues after the archive
        chain.seal_pending()
        report = chain.verify()
        assert report.ok, report
        assert AuditArchive.objects.count() == 1
        assert chain.archive(before=timezone.now() - dt.timedelta(days=380), directory=tmp_path) is None

        # A doctored archive file is caught.
        doctored = tmp_path / "doctored.jsonl.gz"
        lines[0]["row"]["object_repr"] = "改过"
        with gzip.open(doctored, "wt", encoding="utf-8") as out:
            out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        path.write_bytes(doctored.read_bytes())
        problems = chain.verify_archive_file(path)
        assert any("checksum" in p for p in problems) and any("differs from its seal" in p for p in problems)
