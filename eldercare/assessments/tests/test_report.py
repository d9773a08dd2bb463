import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from eldercare.accounts.roles import Role
from eldercare.assessments import services
from eldercare.assessments.models import Reason
from eldercare.assessments.report import ReportError, render_pdf, report_lines

from .cases import MZT, gbt_answers, mzt_answers
from .conftest import effective

# Set to a path to keep the rendered sample (e.g. var/screenshots/assessment-report.pdf).
SAMPLE = os.environ.get("ELDERCARE_REPORT_SAMPLE")


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


@pytest.fixture
def raised(team, elder, today):
    """Total 66 (mild), raised one level for diagnosed dementia: moderate."""
    start = today - dt.timedelta(days=30)
    return effective(team, elder, total=66, assessed_on=start, effective_from=start, facts={"dementia": True})


def test_the_report_carries_the_result_and_only_the_masked_id(raised, team):
    elder = raised.elder
    lines = report_lines(raised)
    text = "\n".join(lines)
    assert lines[0] == "老年人能力评估报告"
    assert f"姓名：{elder.name}" in lines
    assert f"身份证号码：{elder.id_masked}" in lines
    assert elder.id_number not in text and elder.id_number[6:14] not in text  # not even the birth-date digits
    assert "总分：66分（满分90分）" in lines
    assert "初步等级：能力轻度受损（轻度失能）" in lines
    assert "最终等级：能力中度受损（中度失能）" in lines
    assert any(
        line.startswith("（附录C C.4）确诊为痴呆") and line.endswith("能力轻度受损（轻度失能） → 能力中度受损（中度失能）")
        for line in lines
    )
    assert "照护类别：失能" in lines and "失能程度：中度" in lines
    assert f"评估员：{team['assessor']}" in lines and f"第二评估员：{team['second']}" in lines
    assert f"审核人：{team['reviewer']}" in lines
    assert f"生效日期：{raised.effective_from:%Y年%m月%d日}" in lines
    assert "最终等级：能力中度受损（中度失能）" in text.split("四、评估说明")[1]  # the explanation
    for indicator in ("自理能力 | 23/32", "基础运动能力 | 10/15", "精神状态 | 22/28", "感知觉与社会参与 | 11/15"):
        assert indicator in lines


def test_the_pdf(raised, team, tmp_path):
    pdf = render_pdf(raised, actor=team["officer"])
    assert pdf.startswith(b"%PDF")
    assert pages(pdf) == 2
    assert render_pdf(raised, actor=team["officer"]) == pdf  # invariant: same report, same bytes
    if SAMPLE:
        Path(SAMPLE).parent.mkdir(parents=True, exist_ok=True)
        Path(SAMPLE).write_bytes(pdf)


def test_who_may_print_it(raised, team, personas):
    for role in (Role.CIVIL_STREET, Role.COMMUNITY_WORKER, Role.CARE_ADVISOR, Role.CIVIL_CITY):
        assert render_pdf(raised, actor=personas[role]).startswith(b"%PDF"), role
    with pytest.raises(Http404):  # another district: the record's existence is not revealed
        render_pdf(raised, actor=team["outsider"])
    with pytest.raises(PermissionDenied):  # centre operators see no health data
        render_pdf(raised, actor=personas[Role.CENTER_OPERATOR])


def test_no_report_without_a_result(team, elder, today):
    scheduled = services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=today,
        reason=Reason.FIRST,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )
    with pytest.raises(ReportError) as caught:
        render_pdf(scheduled, actor=team["officer"])
    assert caught.value.code == ReportError.NO_RESULT
    assert "尚无评估结果" in caught.value.message and "no result" in caught.value.message
    with pytest.raises(ReportError):
        report_lines(scheduled)


def test_a_submitted_assessment_has_a_report_not_yet_effective(team, elder, today):
    a = services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=today,
        reason=Reason.PERIODIC,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )
    a = services.assessment_submit(actor=team["assessor"], assessment=a, answers=gbt_answers(90), facts={"coma": True})
    lines = report_lines(a)
    assert "生效日期：尚未生效" in lines and "审核人：—" in lines
    assert "总分：90分（满分90分）" in lines and "最终等级：能力完全丧失（完全失能）" in lines
    assert render_pdf(a, actor=team["officer"]).startswith(b"%PDF")


def test_mzt_report_shows_grades(team, elder, today):
    a = services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=today,
        reason=Reason.FIRST,
        standard=MZT,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )
    a = services.assessment_submit(actor=team["assessor"], assessment=a, answers=mzt_answers(1, 0, 0, 0))
    lines = report_lines(a)
    assert "C.1 一级指标分级" in lines and "C.3 等级变更条款" in lines
    assert any(line.startswith("日常生活活动 | 65/100 | 1（") for line in lines)
    assert not any(line.startswith("总分：") for line in lines)
    assert pages(render_pdf(a, actor=team["officer"])) >= 1
