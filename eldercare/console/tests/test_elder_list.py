"""The elder list: scope, filters, masking, paging, export, pinned query count."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from eldercare.elders.models import DisabilityLevel, ElderStatus, LivingStatus, PriorityGroup
from eldercare.tests.builders import ElderFactory, add_group

pytestmark = pytest.mark.django_db
LIST = reverse("console:elder_list")


def names(response) -> set[str]:
    return {row["name"] for row in response.context["rows"]}


def test_street_officer_sees_own_street_only_and_masked(officer_client, elder, far_elder):
    response = officer_client.get(LIST)
    assert response.status_code == 200
    assert names(response) == {"王秀英"}
    html = response.content.decode()
    assert elder.id_masked in html and elder.id_number not in html
    assert "138****1234" in html and "13800001234" not in html
    assert reverse("console:elder_detail", args=[elder.pk]) in html
    # An officer may register, import and export.
    for name in ("console:elder_create", "console:elder_import", "console:elder_export"):
        assert reverse(name) in html


def test_buttons_follow_capabilities(client, advisor, elder):
    client.force_login(advisor)
    html = client.get(LIST).content.decode()
    assert "王秀英" in html
    for name in ("console:elder_create", "console:elder_import", "console:elder_export"):
        assert reverse(name) not in html
    assert client.get(reverse("console:elder_export")).status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "王"}, {"王秀英"}),
        ({"q": "赵"}, {"赵桂兰"}),
        ({"age_band": "80-89"}, {"王秀英"}),
        ({"age_band": "60-69"}, {"赵桂兰"}),
        ({"age_min": "90"}, {"钱德明"}),
        ({"living_status": LivingStatus.ALONE}, {"赵桂兰"}),
        ({"group": PriorityGroup.DIBAO}, {"王秀英"}),
        ({"region": "330102001002"}, {"赵桂兰", "钱德明"}),
        ({"status": ElderStatus.MOVED_OUT}, {"孙迁出"}),
        ({"status": "all", "q": "孙"}, {"孙迁出"}),
    ],
)
def test_filters(officer_client, tree, elder, query, expected):
    add_group(elder, PriorityGroup.DIBAO)
    ElderFactory(residence=tree.community_b, name="赵桂兰", birth=dt.date(1960, 1, 5), living_status=LivingStatus.ALONE)
    ElderFactory(residence=tree.community_b, name="钱德明", birth=dt.date(1933, 6, 1))
    ElderFactory(residence=tree.community, name="孙迁出", status=ElderStatus.MOVED_OUT)
    response = officer_client.get(LIST, query)
    assert response.status_code == 200
    assert names(response) == expected


def test_search_by_full_id_number_is_posted_never_put_in_a_url(officer_client, elder):
    response = officer_client.post(LIST, {"q": elder.id_number, "status": "active"})
    assert response.status_code == 200  # answered here: no redirect carrying the number
    assert names(response) == {"王秀英"}
    assert not response.has_header("Location")


def test_an_id_number_in_the_query_string_is_refused(officer_client, elder):
    response = officer_client.get(LIST, {"q": elder.id_number})
    assert response.context["rows"] == []
    assert "不能放在网址中" in str(response.context["form"].errors["q"])
    assert officer_client.get(reverse("console:elder_export"), {"q": elder.id_number[:10]}).status_code == 302


def test_a_search_by_name_becomes_a_link(officer_client, elder):
    response = officer_client.post(LIST, {"q": "王", "region": "", "status": "active"})
    assert response.status_code == 302
    assert response["Location"].endswith("?q=%E7%8E%8B&status=active")
    assert names(officer_client.get(response["Location"])) == {"王秀英"}


def test_invalid_filters_show_errors(officer_client, elder):
    response = officer_client.get(LIST, {"age_min": "90", "age_max": "70", "region": "12ab"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    form = response.context["form"]
    assert "region" in form.errors and form.non_field_errors()


def test_paging_keeps_filters(officer_client, settings, tree):
    settings.ELDERCARE_PAGE_SIZE = 3
    for _ in range(7):
        ElderFactory(residence=tree.community, living_status=LivingStatus.ALONE)
    first = officer_client.get(LIST, {"living_status": "alone"})
    assert len(first.context["rows"]) == 3
    assert "living_status=alone&amp;page=2" in first.content.decode()
    last = officer_client.get(LIST, {"living_status": "alone", "page": 3})
    assert len(last.context["rows"]) == 1


def _list_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"region": "330102001000"})
    assert response.status_code == 200
    return len(ctx), len(response.context["rows"])


def test_list_query_count_does_not_grow_with_rows(officer_client, tree):
    for i in range(10):
        elder = ElderFactory.create(residence=tree.community if i % 2 else tree.community_b)
        add_group(elder, PriorityGroup.DISABLED, DisabilityLevel.MILD)
        add_group(elder, PriorityGroup.DIBAO)
    few, shown = _list_queries(officer_client)
    assert shown == 10
    for i in range(30):
        elder = ElderFactory.create(residence=tree.community if i % 2 else tree.community_b)
        add_group(elder, PriorityGroup.TEKUN)
    many, shown = _list_queries(officer_client)
    assert shown == 40
    assert many == few
    assert few <= 8  # session, user, region heading, count, page, groups


def test_list_query_count_pinned(officer_client, tree, django_assert_max_num_queries):
    for _ in range(40):
        ElderFactory(residence=tree.community)
    with django_assert_max_num_queries(8):
        response = officer_client.get(LIST)
    assert response.status_code == 200 and len(response.context["rows"]) == min(40, settings.ELDERCARE_PAGE_SIZE)


def test_export_uses_the_same_filters(officer_client, tree, elder):
    ElderFactory(residence=tree.community_b, name="赵桂兰", living_status=LivingStatus.ALONE)
    response = officer_client.get(reverse("console:elder_export"), {"living_status": "alone"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "赵桂兰"
    assert "*" in rows[1][4]  # masked ID number


def test_unknown_region_code_is_a_form_error(officer_client, elder):
    response = officer_client.get(LIST, {"region": "330199999000"})
    assert response.status_code == 200
    assert "未知的区划代码" in response.context["form"].errors["region"][0]
    assert response.context["page_obj"] is None


def test_export_with_full_ids_is_audited(officer_client, tree, elder):
    from auditlog.models import LogEntry

    response = officer_client.get(reverse("console:elder_export"), {"region": tree.street.code, "full_ids": "1"})
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][4] == elder.id_number
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.additional_data == {"export_full_ids": 1}
