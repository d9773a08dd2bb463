"""The assessment report (老年人能力评估报告) as a PDF, laid out like the standards' report annexes.

GB/T 42195-2022 附录C: C.1 一级指标得分, C.2 初步等级得分（总分）, C.3 初步等级, C.4 能力等级变更依据,
C.5 最终等级; MZ/T 039-2013 附录C: C.1 一级指标分级, C.2 初步等级, C.3 等级变更条款, C.4 最终等级.
Both then carry the assessors' signatures and the date. Before them come the A.1/A.2 facts of the
record (assessment number, date and reason; the elder's name, sex, age and residence) and after
them what the platform adds: the categories the region's policy derives from the level, the
effective and reassessment dates, and the scorer's explanation.

`report_lines` is the text the PDF shows, section by section, so tests (and a plain-text view)
can read it without extracting text from CID-font PDF streams. The ID number is only ever the
masked one: a printed report travels further than the screen that made it.

reportlab's built-in CID font STSong-Light needs no font files (the reader supplies the glyphs),
so the report renders offline; it has no bold face, so emphasis is size only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require
from eldercare.elders.selectors import elder_get

from . import scoring
from .errors import AssessmentError
from .facts import AssessmentFacts
from .models import SCORED, Assessment, CareCategory, DisabilityDegree
from .standards import Method, Standard, get_standard

FONT = "STSong-Light"
TITLE = "老年人能力评估报告"
NOT_YET = "—"


class ReportError(AssessmentError):
    NO_RESULT = "no_result"

    MESSAGES = {
        NO_RESULT: "评估当前状态为“{status}”，尚无评估结果，不能出具报告 / an assessment that is {status_en} has no result: no report can be made",
    }


@dataclass
class Section:
    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    paragraphs: list[str] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # a table: header cells …
    cells: list[tuple[str, ...]] = field(default_factory=list)  # … and rows

    def lines(self) -> list[str]:
        out = [self.heading]
        out += [f"{label}：{value}" for label, value in self.rows]
        if self.columns:
            out.append(" | ".join(self.columns))
            out += [" | ".join(row) for row in self.cells]
        return out + self.paragraphs


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section]

    def lines(self) -> list[str]:
        return [self.title, self.subtitle] + [line for s in self.sections for line in s.lines()]


def _person(user) -> str:
    return str(user) if user is not None else NOT_YET


def _day(value) -> str:
    return value.strftime("%Y年%m月%d日") if value else NOT_YET


def _residence(elder) -> str:
    """County, street and community, from the region tree (three short look-ups at most)."""
    names: list[str] = []
    region = elder.residence
    while region is not None and len(names) < 3:
        names.append(region.name)
        region = region.parent
    return "".join(reversed(names))


def _check_result(assessment: Assessment) -> None:
    if assessment.status not in SCORED:
        raise ReportError(ReportError.NO_RESULT, status=assessment.get_status_display(), status_en=assessment.status)


def _indicators(standard: Standard, assessment: Assessment) -> Section:
    graded = standard.method == Method.GRADED_COMBINATION
    section = Section("C.1 一级指标分级" if graded else "C.1 一级指标得分")
    section.columns = ("一级指标", "得分", "分级") if graded else ("一级指标", "得分")
    for indicator in standard.indicators:
        stored = assessment.indicator_scores.get(indicator.code, {})
        score = stored.get("score")
        shown = NOT_YET if score is None else (f"{score}/{stored['max_score']}" if stored.get("max_score") else str(score))
        if graded:
            grade = stored.get("grade")
            section.cells.append((indicator.name, shown, f"{grade}（{stored.get('grade_name', '')}）" if grade is not None else NOT_YET))
        else:
            section.cells.append((indicator.name, shown))
    return section


def _adjustments(standard: Standard, assessment: Assessment) -> list[str]:
    if not assessment.adjustments:
        return ["无等级变更情形"]
    out = []
    for a in assessment.adjustments:
        frm, to = standard.level(a["from"]).name, standard.level(a["to"]).name
        change = f"{frm} → {to}" if frm != to else f"等级不变（{to}）"
        out.append(f"（{a['clause']}）{a['text']}。结果：{change}")
    return out


def _explanation(standard: Standard, assessment: Assessment) -> list[str]:
    """The scorer's account, recomputed from the stored answers (it is not stored). Should the
    standard's data have changed since, the stored result stands and the report says so."""
    result = scoring.score(standard, assessment.answers, AssessmentFacts.from_mapping(assessment.facts))
    lines = list(result.explanation_zh)
    if result.final_level.code != assessment.level:
        lines.append("注：按现行标准数据重算的结果与存档结果不同，以存档结果为准。")
    return lines


def build_report(assessment: Assessment) -> Report:
    _check_result(assessment)
    standard = get_standard(assessment.standard)
    elder = assessment.elder
    graded = standard.method == Method.GRADED_COMBINATION
    base, final = standard.level(assessment.base_level), standard.level(assessment.level)
    assert assessment.assessed_on is not None  # scored, so dated (the assessment_scored_has_result constraint)

    info = Section("一、基本信息")
    info.rows = [
        ("评估编号", f"PG{assessment.pk:08d}"),
        ("姓名", elder.name),
        ("身份证号码", elder.id_masked),
        ("性别", elder.get_sex_display()),
        ("年龄", f"{elder.age_on(assessment.assessed_on)}岁"),
        ("居住社区", _residence(elder)),
        ("评估基准日期", _day(assessment.assessed_on)),
        ("评估原因", assessment.get_reason_display()),
        ("评估标准", f"{standard.code}《{standard.title}》"),
    ]

    sections = [info, _indicators(standard, assessment)]
    if graded:
        sections.append(Section("C.2 老年人能力初步等级", rows=[("初步等级", base.name)]))
        sections.append(Section("C.3 等级变更条款", paragraphs=_adjustments(standard, assessment)))
        sections.append(Section("C.4 老年人能力最终等级", rows=[("最终等级", final.name)]))
    else:
        sections.append(Section("C.2 初步等级得分", rows=[("总分", f"{assessment.total}分（满分{standard.total_max}分）")]))
        sections.append(Section("C.3 老年人能力初步等级", rows=[("初步等级", base.name)]))
        sections.append(Section("C.4 能力等级变更依据", paragraphs=_adjustments(standard, assessment)))
        sections.append(Section("C.5 老年人能力最终等级", rows=[("最终等级", final.name)]))

    sections.append(
        Section(
            "二、照护类别与有效期",
            rows=[
                ("照护类别", str(CareCategory(assessment.care_category).label) if assessment.care_category else NOT_YET),
                ("失能程度", str(DisabilityDegree(assessment.disability_degree).label) if assessment.disability_degree else NOT_YET),
                ("评估状态", assessment.get_status_display()),
                ("生效日期", _day(assessment.effective_from) if assessment.effective_from else "尚未生效"),
                ("复评到期日", _day(assessment.reassess_due)),
            ],
            paragraphs=["照护类别与失能程度由本地区政策根据最终等级确定。"],
        )
    )
    sections.append(
        Section(
            "三、评估人员",
            rows=[
                ("评估员", _person(assessment.assessor)),
                ("第二评估员", _person(assessment.second_assessor)),
                ("审核人", _person(assessment.reviewer)),
                ("评估日期", _day(assessment.assessed_on)),
            ],
        )
    )
    sections.append(Section("四、评估说明", paragraphs=_explanation(standard, assessment)))
    return Report(TITLE, f"依据 {standard.code}《{standard.title}》", sections)


def report_lines(assessment: Assessment) -> list[str]:
    """The report's text, line by line, as the PDF lays it out."""
    return build_report(assessment).lines()


# --- the PDF


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


class _NumberedCanvas(pdf_canvas.Canvas):
    """Holds the pages back until the end so each footer can say how many there are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 9)
            self.setFillColor(colors.grey)
            self.drawCentredString(A4[0] / 2, 12 * mm, f"第 {self._pageNumber} 页，共 {total} 页")
            super().showPage()
        super().save()


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", base, fontSize=20, leading=26, alignment=TA_CENTER, spaceAfter=2 * mm),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=10, alignment=TA_CENTER, textColor=colors.HexColor("#555555")),
        "heading": ParagraphStyle("heading", base, fontSize=12.5, leading=18, spaceBefore=4 * mm, spaceAfter=1.5 * mm),
        "body": base,
        "cell": ParagraphStyle("cell", base, fontSize=10, leading=14),
        "emph": ParagraphStyle("emph", base, fontSize=12, leading=16),
    }


EMPHASIS = {"初步等级", "最终等级"}  # the results a reader looks for first
GRID = colors.HexColor("#9aa5b1")
SHADE = colors.HexColor("#eef2f6")


def _table(data, widths, *, header: bool) -> Table:
    table = Table(data, colWidths=widths)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE) if header else ("BACKGROUND", (0, 0), (0, -1), SHADE))
    table.setStyle(TableStyle(style))
    return table


def _flowables(report: Report, width: float) -> list:
    st = _styles()

    def p(text: str, style: str = "cell") -> Paragraph:
        return Paragraph(escape(text), st[style])

    story: list = [p(report.title, "title"), p(report.subtitle, "subtitle"), Spacer(1, 2 * mm)]
    for section in report.sections:
        block: list = [p(section.heading, "heading")]
        if section.rows:
            # Two label/value pairs per row where there are many (the basic-information grid).
            pairs = section.rows
            if len(pairs) > 4:
                label_w, value_w = 26 * mm, width / 2 - 26 * mm
                data = []
                for i in range(0, len(pairs), 2):
                    row = [p(pairs[i][0]), p(pairs[i][1])]
                    row += [p(pairs[i + 1][0]), p(pairs[i + 1][1])] if i + 1 < len(pairs) else ["", ""]
                    data.append(row)
                table = _table(data, [label_w, value_w, label_w, value_w], header=False)
                extra: list[tuple[object, ...]] = [("BACKGROUND", (2, 0), (2, -1), SHADE)]
                if len(pairs) % 2:  # an odd pair out spans the row
                    extra += [("SPAN", (1, -1), (3, -1)), ("BACKGROUND", (2, -1), (2, -1), colors.white)]
                table.setStyle(TableStyle(extra))
                block.append(table)
            else:
                cells = [[p(k), p(v, "emph" if k in EMPHASIS else "cell")] for k, v in pairs]
                block.append(_table(cells, [40 * mm, width - 40 * mm], header=False))
        if section.columns:
            n = len(section.columns)
            first = width - (n - 1) * 38 * mm
            block.append(
                _table(
                    [[p(c) for c in section.columns]] + [[p(c) for c in row] for row in section.cells],
                    [first] + [38 * mm] * (n - 1),
                    header=True,
                )
            )
        for text in section.paragraphs:
            block.append(Spacer(1, 1 * mm))
            block.append(p(text, "body"))
        story.append(KeepTogether(block))
    story.append(Spacer(1, 10 * mm))
    signatures = [[p("评估员签名：______________"), p("评估员签名：______________"), p("审核人签名：______________")]]
    story.append(Table(signatures, colWidths=[width / 3] * 3))
    story.append(Spacer(1, 4 * mm))
    story.append(Table([["", p("日期：______年____月____日")]], colWidths=[width * 2 / 3, width / 3]))
    return story


def render_pdf(assessment: Assessment, *, actor) -> bytes:
    """The report as PDF bytes. The actor needs health-data access (403) and the elder in scope
    (404, as for every single record); an assessment without a result raises ReportError."""
    require(actor, Cap.VIEW_HEALTH)
    elder = elder_get(actor=actor, pk=assessment.elder_id)
    assessment.elder = elder
    report = build_report(assessment)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=20 * mm,
        title=f"{TITLE} {elder.name}",
        author="eldercare",
        # A fixed document id and dates: the same report gives the same bytes.
        invariant=True,
    )
    doc.build(_flowables(report, doc.width), canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
