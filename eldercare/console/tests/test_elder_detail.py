"""One record: scope, reveal, the small forms, the audit trail."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eldercare.elders.models import Consent, Contact, ElderGroup, ElderStatus, PriorityGroup
from eldercare.tests.builders import add_group

pytestmark = pytest.mark.django_db


def detail_url(elder, name="console:elder_detail"):
    return reverse(name, args=[elder.pk])


def test_officer_sees_the_record(officer_client, elder):
    add_group(elder, PriorityGroup.DIBAO)
    Contact.objects.create(elder=elder, name="王小明", relation="child", phone="13900002222", phone_masked="139****2222")
    response = officer_client.get(detail_url(elder))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王秀英" in html and elder.id_masked in html and elder.id_number not in html
    assert "低保" in html and "王小明" in html
    assert "清波街11号" in html
    assert detail_url(elder, "console:elder_reveal_id") in html
    assert response.context["audit"] is not None  # editors see the trail


def test_other_street_gets_404(client, other_officer, elder):
    client.force_login(other_officer)
    response = client.get(detail_url(elder))
    assert response.status_code == 404
    assert "王秀英" not in response.content.decode()
    assert client.post(detail_url(elder, "console:elder_reveal_id")).status_code == 404


def test_reveal_shows_the_number_once_and_is_audited(officer_client, elder):
    response = officer_client.post(detail_url(elder, "console:elder_reveal_id"))
    assert response.status_code == 200
    assert elder.id_number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert LogEntry.objects.filter(object_pk=str(elder.pk), action=LogEntry.Action.ACCESS).count() == 1
    assert elder.id_number not in officer_client.get(detail_url(elder)).content.decode()


def test_advisor_sees_no_reveal_button_nor_trail_and_may_not_reveal(client, advisor, elder):
    client.force_login(advisor)
    response = client.get(detail_url(elder))
    assert response.status_code == 200
    assert detail_url(elder, "console:elder_reveal_id") not in response.content.decode()
    assert response.context["audit"] is None
    assert "group_form" not in response.context
    assert client.post(detail_url(elder, "console:elder_reveal_id")).status_code == 403
    assert client.post(detail_url(elder, "console:elder_contact_add"), {}).status_code == 403


def test_add_group(officer_client, elder):
    response = officer_client.post(
        detail_url(elder, "console:elder_group_add"),
        {"grp-group": "tekun", "grp-valid_from": "2025-01-01", "grp-source": "民政证-1"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#groups")
    assert ElderGroup.objects.get(elder=elder).group == "tekun"
    assert "特困" in officer_client.get(detail_url(elder)).content.decode()


def test_disability_is_not_offered_for_entry_by_hand(officer_client, elder):
    page = officer_client.get(detail_url(elder))
    assert "disabled" not in dict(page.context["group_form"].fields["group"].choices)
    response = officer_client.post(detail_url(elder, "console:elder_group_add"), {"grp-group": "disabled", "grp-valid_from": "2025-01-01"})
    assert response.status_code == 200 and "group" in response.context["group_form"].errors
    assert not ElderGroup.objects.exists()


def test_add_group_error_from_service_is_shown_on_the_field(officer_client, elder):
    response = officer_client.post(
        detail_url(elder, "console:elder_group_add"), {"grp-group": "dibao", "grp-valid_from": "2025-01-01", "grp-valid_to": "2024-12-31"}
    )
    assert response.status_code == 200
    assert response.context["group_form"].errors["valid_to"] == ["失效日期不能早于生效日期 / the end date is before the start date"]
    assert response.context["open_form"] == "group_form"
    assert not ElderGroup.objects.exists()


def test_add_contact(officer_client, elder):
    data = {
        "contact-name": "王小红",
        "contact-relation": "child",
        "contact-phone": "139 0000 1111",
        "contact-priority": "1",
        "contact-is_emergency": "on",
    }
    response = officer_client.post(detail_url(elder, "console:elder_contact_add"), data)
    assert response.status_code == 302
    contact = Contact.objects.get(elder=elder)
    assert contact.phone == "13900001111" and contact.is_emergency and not contact.is_guardian


def test_add_contact_bad_phone(officer_client, elder):
    data = {"contact-name": "王小红", "contact-relation": "child", "contact-phone": "12345", "contact-priority": "1"}
    response = officer_client.post(detail_url(elder, "console:elder_contact_add"), data)
    assert response.status_code == 200
    assert "电话号码格式不正确" in response.content.decode()
    assert not Contact.objects.exists()


def test_record_consent(officer_client, elder):
    data = {"consent-kind": "data_processing", "consent-granted": "yes", "consent-signed_by": "王秀英"}
    response = officer_client.post(detail_url(elder, "console:elder_consent_add"), data)
    assert response.status_code == 302
    consent = Consent.objects.get(elder=elder)
    assert consent.granted is True
    html = officer_client.get(detail_url(elder)).content.decode()
    assert "个人信息采集与使用" in html


def test_change_status(officer_client, elder):
    response = officer_client.post(detail_url(elder, "console:elder_status"), {"status-status": "deceased", "status-on": "2026-01-02"})
    assert response.status_code == 302
    elder.refresh_from_db()
    assert elder.status == ElderStatus.DECEASED and elder.status_date == dt.date(2026, 1, 2)


def test_audit_trail_lists_changes(officer_client, elder, street_officer):
    officer_client.post(detail_url(elder, "console:elder_status"), {"status-status": "moved_out", "status-on": "2026-01-02"})
    response = officer_client.get(detail_url(elder))
    entries = response.context["audit"]
    assert entries and entries[0].actor == street_officer
    assert "档案状态" in response.content.decode()


def test_get_on_a_post_only_url_goes_back_to_the_record(officer_client, elder):
    response = officer_client.get(detail_url(elder, "console:elder_reveal_id"))
    assert response.status_code == 302 and response["Location"] == detail_url(elder)


def test_detail_query_count_does_not_grow_with_the_trail(officer_client, elder, tree):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert officer_client.get(detail_url(elder)).status_code == 200
        return len(ctx)

    officer_client.post(detail_url(elder, "console:elder_status"), {"status-status": "moved_out", "status-on": "2026-01-02"})
    few = queries()
    for day in range(3, 9):
        officer_client.post(detail_url(elder, "console:elder_status"), {"status-status": "active", "status-on": f"2026-01-0{day}"})
    assert queries() == few
