"""Large registry exports run in the background with progress and a download link for the user who
asked; a queued job no worker takes shows as stuck (exports and allowance runs)."""

import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from eldercare.accounts.roles import Role
from eldercare.console.views import jobs
from eldercare.elders import excel, exports
from eldercare.elders.models import ElderExport, ExportStatus, LivingStatus
from eldercare.entitlements.models import IssuanceRun, RunStatus
from eldercare.tests.builders import ElderFactory, user

EXPORT = reverse("console:elder_export")
EXPORTS = reverse("console:exports")
STUCK = "排队超过5分钟，后台任务未运行？"


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.ELDERCARE_EXPORT_DIR = tmp_path / "exports"
    settings.ELDERCARE_EXPORT_IMMEDIATE_ROWS = 2  # three elders make a "large" export here
    return tmp_path / "exports"


@pytest.fixture
def three(tree, elder):
    """王秀英 plus two more in 清波 (one whose name is a formula), and one elsewhere (not in scope)."""
    ElderFactory(residence=tree.community_b, name='=HYPERLINK("http://x","点击")', living_status=LivingStatus.ALONE)
    ElderFactory(residence=tree.community, name="赵桂兰")
    ElderFactory(residence=tree.community2, name="李建国")
    return elder


def start(client, django_capture_on_commit_callbacks, **params):
    """Confirm a large export (POST) and let the task run (the tests' task backend is immediate)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EXPORT, params)
    assert response.status_code == 302 and response["Location"] == EXPORTS
    return ElderExport.objects.latest("id")


def sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))


def test_a_small_export_is_still_answered_at_once(officer_client, tree, elder, settings):
    settings.ELDERCARE_EXPORT_IMMEDIATE_ROWS = 5000
    response = officer_client.get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sheet_rows(response.content)[1][0] == "王秀英"
    assert not ElderExport.objects.exists()


def test_a_large_export_asks_to_start_in_the_background(officer_client, three):
    response = officer_client.get(EXPORT, {"status": "active"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "共 3 条记录，将在后台生成" in page
    assert 'name="status" value="active"' in page  # the filter goes with the POST
    assert not ElderExport.objects.exists()  # a GET starts nothing


def test_the_background_export_writes_the_file_with_progress(
    officer_client, street_officer, three, export_dir, django_capture_on_commit_callbacks
):
    export = start(officer_client, django_capture_on_commit_callbacks)
    assert export.requested_by == street_officer and export.region == street_officer.region
    assert export.status == ExportStatus.DONE
    assert (export.rows_done, export.rows_total) == (3, 3)
    assert (export_dir / export.file_name).is_file()
    page = officer_client.get(EXPORTS).content.decode()
    assert reverse("console:export_download", args=[export.pk]) in page and 'value="100"' in page
    response = officer_client.get(reverse("console:export_download", args=[export.pk]))
    assert response.status_code == 200
    rows = sheet_rows(b"".join(response.streaming_content))
    names = sorted(row[0] for row in rows[1:])
    # Formula-safe (issue 13) and scoped: 李建国 lives in another street.
    assert names == ['\'=HYPERLINK("http://x","点击")', "王秀英", "赵桂兰"]
    assert all("*" in row[4] for row in rows[1:])  # masked ID numbers


def test_the_export_keeps_the_list_filter(officer_client, three, django_capture_on_commit_callbacks, settings):
    settings.ELDERCARE_EXPORT_IMMEDIATE_ROWS = 0
    export = start(officer_client, django_capture_on_commit_callbacks, living_status="alone")
    assert export.query == "living_status=alone"
    assert export.rows_total == 1


def test_progress_is_reported_chunk_by_chunk(street_officer, tree, monkeypatch):
    for i in range(5):
        ElderFactory(residence=tree.community, name=f"老人{i}")
    monkeypatch.setattr(excel, "EXPORT_CHUNK", 2)
    seen: list[int] = []
    from eldercare.elders.selectors import elder_list

    count = excel.export_elders_xlsx(
        actor=street_officer, queryset=elder_list(actor=street_officer), out=io.BytesIO(), progress=seen.append
    )
    assert count == 5 and seen == [2, 4, 5]


def test_full_id_exports_are_still_audited(officer_client, tree, three, django_capture_on_commit_callbacks):
    export = start(officer_client, django_capture_on_commit_callbacks, region=tree.street.code, full_ids="1")
    assert export.full_ids and export.status == ExportStatus.DONE
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.additional_data == {"export_full_ids": 3}
    rows = sheet_rows(b"".join(officer_client.get(reverse("console:export_download", args=[export.pk])).streaming_content))
    assert three.id_number in [row[4] for row in rows]


def test_a_role_that_may_not_export_cannot_start_one(client, advisor, three):
    client.force_login(advisor)
    assert client.get(EXPORT).status_code == 403
    assert client.post(EXPORT).status_code == 403
    assert client.get(EXPORTS).status_code == 403
    assert not ElderExport.objects.exists()


def test_only_the_requester_in_scope_downloads(client, officer_client, street_officer, tree, three, django_capture_on_commit_callbacks):
    export = start(officer_client, django_capture_on_commit_callbacks)
    url = reverse("console:export_download", args=[export.pk])
    # Another officer of the same street, with the same rights: not theirs.
    colleague = user("colleague", Role.CIVIL_STREET, tree.street)
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    assert url not in client.get(EXPORTS).content.decode()
    # The requester moved to another street: the file is no longer theirs to take.
    street_officer.region = tree.street2
    street_officer.save()
    assert officer_client.get(url).status_code == 404


def test_an_identical_export_in_progress_is_not_queued_twice(officer_client, street_officer, three):
    officer_client.post(EXPORT)  # not committed in this test: stays queued
    officer_client.post(EXPORT)
    assert ElderExport.objects.filter(requested_by=street_officer).count() == 1


def test_exports_expire_after_a_week(officer_client, three, export_dir, django_capture_on_commit_callbacks):
    export = start(officer_client, django_capture_on_commit_callbacks)
    path = export_dir / export.file_name
    ElderExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - dt.timedelta(days=exports.KEEP_DAYS + 1))
    page = officer_client.get(EXPORTS).content.decode()  # opening the page sweeps
    assert not path.exists()
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and export.file_name == ""
    assert "已删除" in page
    assert officer_client.get(reverse("console:export_download", args=[export.pk])).status_code == 404


def test_a_running_export_shows_its_progress_and_polls(officer_client, street_officer):
    ElderExport.objects.create(requested_by=street_officer, status=ExportStatus.RUNNING, rows_total=200_000, rows_done=50_000)
    page = officer_client.get(EXPORTS).content.decode()
    assert 'data-active="1"' in page and "jobs.js" in page
    assert 'value="25"' in page and "50000 / 200000" in page.replace(",", "")
    data = officer_client.get(reverse("console:export_status")).json()
    assert data["active"] is True
    assert data["items"][0] | {"id": 0} == {
        "id": 0,
        "status": "running",
        "label": "生成中",
        "rows_done": 50_000,
        "rows_total": 200_000,
        "percent": 25,
        "active": True,
        "stuck": False,
    }


def test_a_queued_export_no_worker_takes_shows_as_stuck(officer_client, street_officer):
    fresh = ElderExport.objects.create(requested_by=street_officer)
    page = officer_client.get(EXPORTS).content.decode()
    assert 'id="export-stuck" class="alert alert-warning" hidden' in page
    ElderExport.objects.filter(pk=fresh.pk).update(requested_at=timezone.now() - dt.timedelta(minutes=jobs.STUCK_MINUTES + 1))
    page = officer_client.get(EXPORTS).content.decode()
    assert 'id="export-stuck" class="alert alert-warning" role="status"' in page and STUCK in page
    assert "manage.py worker" in page
    assert officer_client.get(reverse("console:export_status")).json()["items"][0]["stuck"] is True


def test_a_queued_allowance_run_no_worker_takes_shows_as_stuck(client, tree):
    officer = user("county", Role.CIVIL_COUNTY, tree.county)
    client.force_login(officer)
    month = timezone.localdate().replace(day=1)
    run = IssuanceRun.objects.create(region=tree.street, month=month, requested_by=officer)
    assert STUCK not in client.get(reverse("console:entitlements")).content.decode()
    IssuanceRun.objects.filter(pk=run.pk).update(requested_at=timezone.now() - dt.timedelta(minutes=jobs.STUCK_MINUTES + 2))
    page = client.get(reverse("console:entitlements")).content.decode()
    assert page.count(STUCK) == 2  # the note above the runs and the run's own row
    assert "manage.py worker" in page
    # A run that started is not stuck, however old.
    IssuanceRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    assert STUCK not in client.get(reverse("console:entitlements")).content.decode()


def test_is_stuck_only_for_queued_jobs():
    now = timezone.now()
    old = now - dt.timedelta(minutes=jobs.STUCK_MINUTES, seconds=1)
    assert jobs.is_stuck("queued", old, now=now)
    assert not jobs.is_stuck("queued", now - dt.timedelta(minutes=1), now=now)
    assert not jobs.is_stuck("running", old, now=now)
