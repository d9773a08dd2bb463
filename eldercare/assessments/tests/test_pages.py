"""The assessment pages of the console: who may open what, the tablet form carries the whole
standard, a submitted form's level is the one the result page shows, the decisions per capability,
the printable report and the PDF, and a work list whose query count does not grow."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from eldercare.accounts.roles import Role
from eldercare.accounts.tests.test_authorization import VISIBLE
from eldercare.assessments import services
from eldercare.assessments.models import Assessment, Reason, Status
from eldercare.assessments.standards import get_standard
from eldercare.tests import builders as testing
from eldercare.tests.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

from .cases import GBT, gbt_answers
from .conftest import qualify
from .test_api import ASSESSORS_IN_SCOPE, MANAGERS, NO_READ
from .test_api import agency as agency  # noqa: F401 (fixtures shared with the API tests)
from .test_api import as_role as as_role  # noqa: F401
from .test_api import everyone_qualified as everyone_qualified  # noqa: F401
from .test_api import planned as planned  # noqa: F401

R = Role
ALL_ROLES = list(Role)


def url(name, *args):
    return reverse(f"console:{name}", args=args)


def form_data(answers=None, *, action="save", **facts) -> dict:
    data = {"action": action, "care_risk_events": facts.pop("care_risk_events", 0)}
    data.update({code: str(score) for code, score in (answers or {}).items()})
    data.update({name: "on" for name, value in facts.items() if value})
    return data


def make_submitted(planned, personas, total=66, **facts):
    a = planned["own"]
    return services.assessment_submit(actor=personas[R.ASSESSOR], assessment=a, answers=gbt_answers(total), facts=facts or None)


# ---------------------------------------------------------------- role × page


@pytest.mark.parametrize("role", ALL_ROLES)
def test_work_list_and_detail(as_role, planned, role):
    c = as_role(role)
    listing = c.get(url("assessment_list"))
    assert listing.status_code == (403 if role in NO_READ else 200)
    for key, a in planned.items():
        if role in NO_READ:
            expected = 403
        elif role == R.ASSESSOR:
            expected = 200 if key == "own" else 404
        else:
            expected = 200 if key in VISIBLE[role] else 404
        assert c.get(url("assessment_detail", a.pk)).status_code == expected, key
        if listing.status_code == 200:
            assert (a.elder.name in listing.content.decode()) == (expected == 200), key


@pytest.mark.parametrize("role", ALL_ROLES)
def test_answer_form(as_role, planned, role):
    response = as_role(role).get(url("assessment_answer", planned["own"].pk))
    if role == R.ASSESSOR or role in ASSESSORS_IN_SCOPE:
        expected = 200
    else:
        expected = 403  # health-data readers who may not assess, and those who read nothing
    assert response.status_code == expected


@pytest.mark.parametrize("role", ALL_ROLES)
def test_schedule_form(as_role, world, role):
    elder = world["own"]
    response = as_role(role).get(url("assessment_schedule", elder.pk))
    assert response.status_code == (200 if role in MANAGERS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_decisions_change_nothing_for_those_who_may_not(as_role, planned, personas, everyone_qualified, today, role):
    a = make_submitted(planned, personas)
    c = as_role(role)
    review = c.post(url("assessment_review", a.pk), {"review-note": "齐全"})
    if role in MANAGERS:
        assert review.status_code == 302
        assert Assessment.objects.get(pk=a.pk).status == Status.REVIEWED
        effective = c.post(url("assessment_make_effective", a.pk), {"effective-effective_from": today.isoformat()})
        assert effective.status_code == 302
        assert Assessment.objects.get(pk=a.pk).status == Status.EFFECTIVE
    else:
        assert review.status_code in (403, 404)
        assert c.post(url("assessment_cancel", a.pk), {"cancel-reason": "x"}).status_code in (403, 404)
        assert Assessment.objects.get(pk=a.pk).status == Status.SUBMITTED


# ---------------------------------------------------------------- the tablet form


def test_the_form_shows_every_item_of_the_standard_with_its_exact_wording(client, planned, personas):
    client.force_login(personas[R.ASSESSOR])
    html = client.get(url("assessment_answer", planned["own"].pk)).content.decode()
    standard = get_standard(GBT)
    assert len(standard.items) == 26
    for indicator in standard.indicators:
        assert f'id="ind-{indicator.code}"' in html
        for item in indicator.items:
            assert f"{item.number} {item.name}" in html, item.code
            for option in item.options:
                assert f'name="{item.code}" value="{option.score}"' in html, (item.code, option.score)
                assert escape(option.text) in html, (item.code, option.text)
    for fact in ("coma", "dementia", "mental_disorder", "care_risk_events"):
        assert f'name="{fact}"' in html
    assert 'value="save"' in html and 'value="submit"' in html


def test_a_draft_is_saved_and_shown_again(client, planned, personas):
    a = planned["own"]
    client.force_login(personas[R.ASSESSOR])
    response = client.post(url("assessment_answer", a.pk), form_data({"eating": 3, "stairs": 1}, dementia=True))
    assert response.status_code == 302 and response["Location"] == url("assessment_answer", a.pk)
    a.refresh_from_db()
    assert (a.status, a.answers, a.facts["dementia"]) == (Status.IN_PROGRESS, {"eating": 3, "stairs": 1}, True)
    html = client.get(url("assessment_answer", a.pk)).content.decode()
    assert re.search(r'<input type="radio" name="eating" value="3"[^>]* checked', html)
    assert not re.search(r'<input type="radio" name="eating" value="4"[^>]* checked', html)
    assert re.search(r'<input type="checkbox" name="dementia"[^>]* checked', html)


def test_submitting_computes_the_level_shown_on_the_result_page(client, planned, personas):
    """Case 66 with two risk events: preliminary 轻度, raised one level to 中度 by C.4."""
    a = planned["own"]
    client.force_login(personas[R.ASSESSOR])
    response = client.post(url("assessment_answer", a.pk), form_data(gbt_answers(66), action="submit", care_risk_events=2))
    assert response.status_code == 302 and response["Location"] == url("assessment_detail", a.pk)
    a.refresh_from_db()
    assert (a.status, a.total, a.base_level, a.level) == (Status.SUBMITTED, 66, "mild", "moderate")
    page = client.get(url("assessment_detail", a.pk))
    html = page.content.decode()
    assert "能力中度受损（中度失能）" in html and "能力轻度受损（轻度失能）" in html
    assert "66" in html and "附录C C.4" in html and "近30天内发生过2次及以上照护风险事件" in html
    for line in page.context["view"].result.explanation_zh:
        assert line in html
    assert "失能" in html  # the care category of the default policy


def test_submitting_an_incomplete_form_marks_the_items_and_saves_nothing(client, planned, personas):
    a = planned["own"]
    client.force_login(personas[R.ASSESSOR])
    answers = gbt_answers(66)
    del answers["memory"], answers["vision"]
    response = client.post(url("assessment_answer", a.pk), form_data(answers, action="submit"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["memory"] and form.errors["vision"]
    assert "尚未作答" in response.content.decode()
    a.refresh_from_db()
    assert (a.status, a.answers) == (Status.SCHEDULED, {})
    assert 'value="4"' in response.content.decode()  # what was entered is shown again


def test_a_submitted_assessment_is_not_open_for_answers(client, planned, personas):
    a = make_submitted(planned, personas)
    client.force_login(personas[R.ASSESSOR])
    response = client.get(url("assessment_answer", a.pk))
    assert response.status_code == 302 and response["Location"] == url("assessment_detail", a.pk)


# ---------------------------------------------------------------- decisions and reports


def test_decision_forms_follow_capabilities(client, planned, personas, everyone_qualified):
    a = make_submitted(planned, personas)
    client.force_login(personas[R.COMMUNITY_WORKER])
    html = client.get(url("assessment_detail", a.pk)).content.decode()
    assert url("assessment_review", a.pk) in html and url("assessment_return", a.pk) in html and url("assessment_cancel", a.pk) in html
    client.force_login(personas[R.CARE_ADVISOR])
    html = client.get(url("assessment_detail", a.pk)).content.decode()
    assert url("assessment_review", a.pk) not in html and url("assessment_cancel", a.pk) not in html
    client.force_login(personas[R.ASSESSOR])  # the assessor may not review their own work
    assert url("assessment_review", a.pk) not in client.get(url("assessment_detail", a.pk)).content.decode()


def test_return_and_cancel_through_the_page(client, planned, personas, everyone_qualified):
    a = make_submitted(planned, personas)
    client.force_login(personas[R.CIVIL_STREET])
    response = client.post(url("assessment_return", a.pk), {"return-note": ""})
    assert response.status_code == 200 and response.context["return_form"].errors  # a reason is required
    assert client.post(url("assessment_return", a.pk), {"return-note": "B.3 需复核"}).status_code == 302
    a.refresh_from_db()
    assert (a.status, a.total) == (Status.IN_PROGRESS, None)
    assert client.post(url("assessment_cancel", a.pk), {"cancel-reason": "老人住院"}).status_code == 302
    assert Assessment.objects.get(pk=a.pk).status == Status.CANCELLED


def test_make_effective_errors_are_shown(client, planned, personas, everyone_qualified, today):
    a = make_submitted(planned, personas)
    services.assessment_review(actor=personas[R.COMMUNITY_WORKER], assessment=a)
    client.force_login(personas[R.CIVIL_STREET])
    earlier = (today - dt.timedelta(days=5)).isoformat()
    response = client.post(url("assessment_make_effective", a.pk), {"effective-effective_from": earlier})
    assert response.status_code == 200 and "早于评估日期" in response.content.decode()
    assert Assessment.objects.get(pk=a.pk).status == Status.REVIEWED


def test_schedule_through_the_page(client, city, personas, agency, today):
    first, second = agency
    planned_for = today + dt.timedelta(days=30)
    elder = testing.elder(residence=city.community, name="孙美华")
    client.force_login(personas[R.CIVIL_STREET])
    form = client.get(url("assessment_schedule", elder.pk)).context["form"]
    assert {str(first.pk), str(second.pk)} <= {value for value, _ in form.fields["assessor"].choices}
    data = {
        "scheduled_for": planned_for.isoformat(),
        "reason": Reason.FIRST,
        "standard": GBT,
        "assessor": first.pk,
        "second_assessor": first.pk,
    }
    response = client.post(url("assessment_schedule", elder.pk), data)
    assert response.status_code == 200 and "不能是同一人" in response.content.decode()
    assert not Assessment.objects.filter(elder=elder).exists()
    data["second_assessor"] = second.pk
    response = client.post(url("assessment_schedule", elder.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    a = Assessment.objects.get(elder=elder)
    assert response["Location"] == url("assessment_detail", a.pk)
    assert (a.assessor, a.second_assessor, a.scheduled_for) == (first, second, planned_for)


def test_printable_report(client, planned, personas):
    a = planned["own"]
    client.force_login(personas[R.CIVIL_STREET])
    assert client.get(url("assessment_report", a.pk))["Location"] == url("assessment_detail", a.pk)  # nothing to report yet
    make_submitted(planned, personas, total=29, coma=True)
    html = client.get(url("assessment_report", a.pk)).content.decode()
    assert "老年人能力评估报告" in html and "C.5 老年人能力最终等级" in html
    assert "能力完全丧失（完全失能）" in html and "处于昏迷状态者" in html
    assert a.elder.id_number not in html and a.elder.id_masked in html
    assert url("assessment_report_pdf", a.pk) in html


def test_report_css_prints(client):
    from django.contrib.staticfiles import finders

    path = finders.find("console/console.css")
    assert path is not None
    css = open(path, encoding="utf-8").read()
    assert "@page { size: A4" in css and ".report-tools, .section-tabs, .action-bar { display: none; }" in css


def test_pdf_report(client, planned, personas):
    a = make_submitted(planned, personas)
    client.force_login(personas[R.CIVIL_STREET])
    response = client.get(url("assessment_report_pdf", a.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    client.force_login(personas[R.CENTER_OPERATOR])
    assert client.get(url("assessment_report_pdf", a.pk)).status_code == 403


# ---------------------------------------------------------------- work list and record page


def test_work_list_filters_and_overdue(client, world, planned, personas, agency, city):
    first, second = agency
    client.force_login(personas[R.SYSTEM_ADMIN])
    html = client.get(url("assessment_list") + f"?region={city.street.code}").content.decode()
    assert world["own"].name in html and world["other_county"].name not in html
    assert client.get(url("assessment_list") + "?status=effective").context["page_obj"].paginator.count == 0
    bad = client.get(url("assessment_list") + "?region=999999999999")
    assert bad.status_code == 200 and bad.context["form"].errors

    # An old effective assessment, long past its reassessment date.
    old = testing.elder(residence=city.community, name="周玉珍")
    qualify(personas[R.COMMUNITY_WORKER])
    a = services.assessment_schedule(
        actor=personas[R.SYSTEM_ADMIN],
        elder=old,
        scheduled_for=dt.date(2022, 3, 1),
        reason=Reason.FIRST,
        assessor=first,
        second_assessor=second,
    )
    services.assessment_submit(actor=first, assessment=a, answers=gbt_answers(46), assessed_on=dt.date(2022, 3, 1))
    services.assessment_review(actor=personas[R.COMMUNITY_WORKER], assessment=a)
    services.assessment_make_effective(actor=personas[R.SYSTEM_ADMIN], assessment=a, effective_from=dt.date(2022, 3, 2))
    response = client.get(url("assessment_list"))
    assert [row.elder.name for row in response.context["overdue"]] == ["周玉珍"]
    assert url("assessment_schedule", old.pk) in response.content.decode()


def test_work_list_query_count_is_constant(client, world, planned, personas, city, agency, today):
    client.force_login(personas[R.CIVIL_CITY])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("assessment_list")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(6):
        elder = testing.elder(residence=city.community_b, name=f"加{i}")
        services.assessment_schedule(
            actor=personas[R.SYSTEM_ADMIN],
            elder=elder,
            scheduled_for=today,
            reason=Reason.FIRST,
            assessor=agency[0],
            second_assessor=agency[1],
        )
    assert count() == before


@pytest.mark.parametrize("role", ALL_ROLES)
def test_elder_record_shows_the_assessments_to_health_readers(as_role, planned, world, role):
    response = as_role(role).get(url("elder_detail", world["own"].pk))
    if response.status_code != 200:
        return
    html = response.content.decode()
    reads_health = role not in NO_READ
    assert ('id="assessments"' in html) == reads_health
    assert (url("assessment_detail", planned["own"].pk) in html) == reads_health


# ---------------------------------------------------------------- in a browser, on a tablet


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agency_assessor_fills_the_form_on_a_tablet(live_server, settings):
    """An agency's assessor opens the work list on a 1024×768 tablet, saves a draft, submits, and
    reads the result and the printable report. Screenshots: var/screenshots/assessment-*.png."""

    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from django.utils import translation
    from playwright.sync_api import expect, sync_playwright

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    translation.activate("zh-hans")
    t = testing.build_city()
    officer = testing.UserFactory.create(username="qingbo", display_name="陈清波", role=Role.CIVIL_STREET, region=t.street)
    first = testing.UserFactory.create(username="pinggu", display_name="李评估", role=Role.ASSESSOR)
    second = testing.UserFactory.create(username="pinggu2", display_name="赵评估", role=Role.ASSESSOR)
    for person in (first, second):
        qualify(person)
    elder = testing.ElderFactory.create(residence=t.community, name="王秀英", birth=dt.date(1942, 3, 7), seq=2)
    a = services.assessment_schedule(
        actor=officer, elder=elder, scheduled_for=dt.date.today(), reason=Reason.FIRST, assessor=first, second_assessor=second
    )
    answers = gbt_answers(66)
    codes = list(answers)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str, *, full_page: bool = True) -> None:
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        page.screenshot(path=SHOTS / name, full_page=full_page)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768}, locale="zh-CN", has_touch=True)
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("用户名").fill("pinggu")
            page.get_by_label("密码").fill(testing.PASSWORD)
            page.get_by_role("button", name="登录").click()

            page.get_by_role("navigation", name="主菜单").get_by_role("link", name="能力评估").click()
            expect(page.locator(".assessment-table tbody tr")).to_have_count(1)
            shot(page, "assessment-01-worklist.png")

            page.locator(".assessment-table").get_by_role("link", name="王秀英").click()
            page.get_by_role("link", name="开始评估").click()
            expect(page.locator("fieldset.item")).to_have_count(26)
            shot(page, "assessment-02-form.png", full_page=False)

            for code in codes[:13]:
                page.locator(f'label.option:has(input[name="{code}"][value="{answers[code]}"])').click()
            expect(page.locator('[data-count-for="self_care"]')).to_have_text("8/8")
            page.get_by_role("button", name="保存草稿").click()
            expect(page.locator(".alert-success")).to_contain_text("草稿已保存")
            expect(page.locator(f'input[name="{codes[0]}"][value="{answers[codes[0]]}"]')).to_be_checked()
            page.locator("#ind-mental_status").scroll_into_view_if_needed()
            shot(page, "assessment-03-draft-saved.png", full_page=False)

            for code in codes[13:]:
                page.locator(f'label.option:has(input[name="{code}"][value="{answers[code]}"])').click()
            page.get_by_label("近30天内照护风险事件次数").fill("2")
            page.locator("#facts").scroll_into_view_if_needed()
            shot(page, "assessment-04-facts.png", full_page=False)
            page.get_by_role("button", name="提交评估").click()

            expect(page.locator(".level-final")).to_contain_text("能力中度受损（中度失能）")
            expect(page.locator(".adjustments")).to_contain_text("附录C C.4")
            shot(page, "assessment-05-result.png")

            page.get_by_role("link", name="打印报告").click()
            expect(page.get_by_role("heading", name="老年人能力评估报告")).to_be_visible()
            shot(page, "assessment-06-report.png")
            page.emulate_media(media="print")
            shot(page, "assessment-07-report-print.png")
        finally:
            browser.close()
    a.refresh_from_db()
    assert (a.status, a.level) == (Status.SUBMITTED, "moderate")
