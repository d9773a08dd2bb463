"""Bulk import through the page: the per-row report, all or nothing."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from eldercare.elders import excel, idnumber
from eldercare.elders.models import Elder

pytestmark = pytest.mark.django_db
URL = reverse("console:elder_import")


def workbook(rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(excel.TEMPLATE_HEADERS[:3] + ["居住状况"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("elders.xlsx", out.getvalue())


def test_page_and_template(officer_client):
    page = officer_client.get(URL)
    assert page.status_code == 200
    assert reverse("console:elder_import_template") in page.content.decode()
    template = officer_client.get(reverse("console:elder_import_template"))
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).worksheets[0].cell(1, 1).value == "姓名"


def test_bad_rows_are_reported_and_nothing_imported(officer_client, tree):
    good = idnumber.build("330102", dt.date(1950, 1, 2), 11)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    upload = workbook(
        [
            ["张三", good, tree.community.code, "独居"],
            ["李四", bad, tree.community.code, "独居"],
            ["王五", idnumber.build("330102", dt.date(1951, 1, 2), 13), tree.community2.code, "火星"],
        ]
    )
    response = officer_client.post(URL, {"file": upload})
    assert response.status_code == 200
    report = response.context["report"]
    assert not report.ok
    assert [(issue.row, issue.column) for issue in report.errors] == [(3, "身份证号码"), (4, "居住社区代码")]
    html = response.content.decode()
    assert "校验码错误" in html and "Nothing was imported" not in html  # Chinese by default
    assert "data:application/vnd.openxmlformats" in html  # the report as a workbook
    assert Elder.objects.count() == 0


def test_not_a_workbook(officer_client):
    response = officer_client.post(URL, {"file": SimpleUploadedFile("elders.xlsx", b"not a zip file")})
    assert response.context["report"].errors[0].message == excel.ERR_NOT_XLSX
    response = officer_client.post(URL, {"file": SimpleUploadedFile("elders.csv", b"a,b")})
    assert "file" in response.context["form"].errors


def test_good_file_is_imported_with_legacy_conversion(officer_client, tree):
    legacy = idnumber.build("330102", dt.date(1950, 1, 2), 11)
    legacy15 = legacy[:6] + legacy[8:17]
    upload = workbook(
        [
            ["张三", legacy15, tree.community.code, "独居"],
            ["李四", idnumber.build("330102", dt.date(1952, 5, 5), 12), tree.community_b.code, ""],
        ]
    )
    response = officer_client.post(URL, {"file": upload, "convert_legacy": "on"})
    report = response.context["report"]
    assert report.ok and report.created == 2
    assert len(report.warnings) == 1
    assert Elder.objects.count() == 2


def test_advisor_may_not_import(client, advisor):
    client.force_login(advisor)
    assert client.get(URL).status_code == 403
