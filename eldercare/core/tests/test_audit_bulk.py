"""Audit entries for a bulk write cost a fixed number of queries, however many rows (the import of
20,000 elders once paid a query per row for the reverse one-to-one the diff reads)."""

from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eldercare.core.audit import log_bulk_create
from eldercare.elders.models import Elder
from eldercare.tests.builders import ElderFactory, build_city


def _queries(elders: list[Elder]) -> int:
    fresh = list(Elder.objects.filter(pk__in=[e.pk for e in elders]))  # no relation cached, as an import has them
    with CaptureQueriesContext(connection) as ctx:
        assert log_bulk_create(actor=None, instances=fresh) == len(fresh)
    return len(ctx.captured_queries)


def test_entries_for_many_rows_cost_what_entries_for_few_cost(db):
    t = build_city()
    few: list[Elder] = [ElderFactory.create(residence=t.community) for _ in range(2)]
    many: list[Elder] = [ElderFactory.create(residence=t.community_b) for _ in range(25)]
    assert _queries(many) == _queries(few)
    entry = LogEntry.objects.filter(object_pk=str(many[-1].pk), action=LogEntry.Action.CREATE).latest("pk")
    assert entry.object_repr == str(many[-1]) and "name" in entry.changes_dict
