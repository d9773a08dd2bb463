"""The assessment API: for the platform's own pages' peers and for third-party assessment agencies.

Agencies authenticate with bearer tokens of Role.ASSESSOR users; they see and work on only the
assessments assigned to them (selectors.assessment_get). Every handler parses, calls one service
or selector and shapes the answer; services raise the bilingual errors (422), scoping answers
403 (capability) or 404 (out of scope).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from eldercare.core.api import Day, RegionFilter, refusals
from eldercare.core.errors import Err
from eldercare.core.pagination import Page, Paging, paged
from eldercare.elders import selectors as elder_selectors

from . import selectors, services
from .choices import CareCategory, DisabilityDegree, Reason
from .choices import Status as AssessmentStatus
from .facts import FACT_TYPES
from .models import Assessment
from .standards import CURRENT, FILES, Standard, get_standard

router = Router(tags=["assessments"])
ERR_USER_UNKNOWN = Err("assessments.user_unknown", "用户{id}不存在 / no user with id {id}")
ERR_STANDARD_UNKNOWN = Err("assessments.standard_unknown", "未知的评估标准“{code}” / unknown assessment standard '{code}'")
STATUS_LABELS = dict(AssessmentStatus.choices)
REASON_LABELS = dict(Reason.choices)
CATEGORY_LABELS = dict(CareCategory.choices)
DEGREE_LABELS = dict(DisabilityDegree.choices)
SLUGS = {path.removesuffix(".yaml"): code for code, path in FILES.items()}  # "gbt_42195_2022" → "GB/T 42195-2022"


# ---------------------------------------------------------------- schemas


class PersonOut(Schema):
    id: int
    name: str


class AssessmentRowOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    residence: str
    residence_name: str
    standard: str
    status: str
    status_label: str
    reason: str
    reason_label: str
    scheduled_for: dt.date
    assessed_on: dt.date | None
    assessor: PersonOut | None
    second_assessor: PersonOut | None
    level: str
    level_name: str
    care_category: str
    disability_degree: str
    effective_from: dt.date | None
    reassess_due: dt.date | None


class AdjustmentOut(Schema):
    code: str
    rule: str
    text: str
    clause: str
    from_level: str
    to_level: str
    effect: str


class IndicatorScoreOut(Schema):
    code: str
    name: str
    score: int | None
    max_score: int | None
    grade: int | None
    grade_name: str


class AssessmentOut(AssessmentRowOut):
    answers: dict[str, int]
    facts: dict[str, Any]
    total: int | None
    indicator_scores: list[IndicatorScoreOut]
    base_level: str
    base_level_name: str
    adjustments: list[AdjustmentOut]
    care_category_label: str
    disability_degree_label: str
    explanation_zh: list[str]
    explanation_en: list[str]
    reviewer: PersonOut | None
    scheduled_by: PersonOut | None
    note: str
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    effective_to: dt.date | None
    actions: list[str]


class ListFiltersIn(Schema):
    status: str | None = None  # a status, or "open" for everything still waiting for someone
    region: RegionFilter | None = None
    elder: int | None = None


class ScheduleIn(Schema):
    elder: int
    scheduled_for: Day
    reason: str
    standard: str = CURRENT
    assessor: int | None = None
    second_assessor: int | None = None
    note: str = ""


# Answers and facts are passed through as sent: the services check every value and answer with a
# bilingual message naming each bad item (a schema would reject them with a generic one).
class AnswersIn(Schema):
    answers: dict[str, Any] = {}
    facts: dict[str, Any] = {}


class SubmitIn(AnswersIn):
    assessed_on: Day | None = None
    second_assessor: int | None = None


class NoteIn(Schema):
    note: str = ""


class ReturnIn(Schema):
    note: str


class EffectiveIn(Schema):
    effective_from: Day


class CancelIn(Schema):
    reason: str


class QualificationIn(Schema):
    user: int
    certificate_number: str = Field(max_length=64)
    valid_from: Day
    valid_to: Day | None = None
    standards: list[str]
    issuer: str = Field("", max_length=100)


class QualificationOut(Schema):
    id: int
    user: PersonOut
    certificate_number: str
    issuer: str
    valid_from: dt.date
    valid_to: dt.date | None
    standards: list[str]


class CurrentLevelOut(Schema):
    elder_id: int
    on: dt.date
    level: str | None
    level_name: str | None
    care_category: str | None
    disability_degree: str | None
    standard: str | None
    effective_from: dt.date | None
    reassess_due: dt.date | None
    assessment_id: int | None


class OverdueOut(Schema):
    assessment_id: int
    elder_id: int
    elder_name: str
    residence: str
    residence_name: str
    level: str
    level_name: str
    reassess_due: dt.date
    days_overdue: int
    reassessment_open: bool


class OptionOut(Schema):
    score: int
    text: str
    skips: list[str]


class StandardItemOut(Schema):
    code: str
    number: str
    name: str
    definition: str | None
    options: list[OptionOut]


class IndicatorOut(Schema):
    code: str
    name: str
    name_en: str
    clause: str
    max_score: int | None
    items: list[StandardItemOut]


class LevelOut(Schema):
    code: str
    rank: int
    name: str
    name_en: str


class BandOut(Schema):
    level: str
    min: int
    max: int
    clause: str


class RuleOut(Schema):
    code: str
    rule: str
    text: str
    clause: str
    level: str | None


class FactOut(Schema):
    name: str
    type: str


class StandardSummaryOut(Schema):
    slug: str
    code: str
    title: str
    title_en: str
    method: str
    current: bool


class StandardOut(StandardSummaryOut):
    total_min: int | None
    total_max: int | None
    assessors_required: int
    indicators: list[IndicatorOut]
    levels: list[LevelOut]
    bands: list[BandOut]
    adjustments: list[RuleOut]
    facts: list[FactOut]


# ---------------------------------------------------------------- shaping


def _person(user) -> dict | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def _level_name(assessment: Assessment, code: str) -> str:
    return get_standard(assessment.standard).level(code).name if code else ""


def _row(a: Assessment) -> dict:
    return {
        "id": a.pk,
        "elder_id": a.elder_id,
        "elder_name": a.elder.name,
        "residence": a.elder.residence_id,
        "residence_name": a.elder.residence.name,
        "standard": a.standard,
        "status": a.status,
        "status_label": str(STATUS_LABELS[a.status]),
        "reason": a.reason,
        "reason_label": str(REASON_LABELS.get(a.reason, a.reason)),
        "scheduled_for": a.scheduled_for,
        "assessed_on": a.assessed_on,
        "assessor": _person(a.assessor),
        "second_assessor": _person(a.second_assessor),
        "level": a.level,
        "level_name": _level_name(a, a.level),
        "care_category": a.care_category,
        "disability_degree": a.disability_degree,
        "effective_from": a.effective_from,
        "reassess_due": a.reassess_due,
    }


def _detail(view: selectors.AssessmentView) -> dict:
    a, standard = view.assessment, view.standard
    names = {ind.code: ind.name for ind in standard.indicators}
    return {
        **_row(a),
        "answers": a.answers,
        "facts": a.facts,
        "total": a.total,
        "indicator_scores": [{"code": code, "name": names.get(code, code), **scores} for code, scores in a.indicator_scores.items()],
        "base_level": a.base_level,
        "base_level_name": view.level_name(a.base_level),
        "adjustments": [{**adj, "from_level": adj["from"], "to_level": adj["to"]} for adj in a.adjustments],
        "care_category_label": str(CATEGORY_LABELS.get(a.care_category, "")),
        "disability_degree_label": str(DEGREE_LABELS.get(a.disability_degree, "")),
        "explanation_zh": list(view.result.explanation_zh) if view.result else [],
        "explanation_en": list(view.result.explanation_en) if view.result else [],
        "reviewer": _person(a.reviewer),
        "scheduled_by": _person(a.scheduled_by),
        "note": a.note,
        "submitted_at": a.submitted_at,
        "reviewed_at": a.reviewed_at,
        "effective_to": a.effective_to,
        "actions": sorted(view.actions),
    }


def _standard_summary(slug: str, standard: Standard) -> dict:
    return {
        "slug": slug,
        "code": standard.code,
        "title": standard.title,
        "title_en": standard.title_en,
        "method": standard.method.value,
        "current": standard.code == CURRENT,
    }


def _standard(slug: str, standard: Standard) -> dict:
    return {
        **_standard_summary(slug, standard),
        "total_min": standard.total_min,
        "total_max": standard.total_max,
        "assessors_required": standard.assessors_required,
        "indicators": [
            {
                "code": ind.code,
                "name": ind.name,
                "name_en": ind.name_en,
                "clause": ind.clause,
                "max_score": ind.max_score,
                "items": [
                    {
                        "code": item.code,
                        "number": item.number,
                        "name": item.name,
                        "definition": item.definition,
                        "options": [{"score": o.score, "text": o.text, "skips": list(o.skips)} for o in item.options],
                    }
                    for item in ind.items
                ],
            }
            for ind in standard.indicators
        ],
        "levels": [{"code": lv.code, "rank": lv.rank, "name": lv.name, "name_en": lv.name_en} for lv in standard.levels],
        "bands": [{"level": b.level, "min": b.min, "max": b.max, "clause": b.clause} for b in standard.bands],
        "adjustments": [
            {"code": adj.code, "rule": adj.rule.value, "text": adj.text, "clause": adj.clause, "level": adj.level}
            for adj in standard.adjustments
        ],
        "facts": [{"name": name, "type": kind} for name, kind in FACT_TYPES.items()],
    }


def _user(pk: int | None, field: str):
    if pk is None:
        return None
    found = get_user_model().objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: ERR_USER_UNKNOWN.format(id=pk)})
    return found


def _view(request, assessment_id: int) -> dict:
    return _detail(selectors.assessment_view(actor=request.auth, pk=assessment_id))


def _get(request, assessment_id: int) -> Assessment:
    return selectors.assessment_get(actor=request.auth, pk=assessment_id)


# ---------------------------------------------------------------- assessments


@router.get(
    "/",
    response={200: Page[AssessmentRowOut], **refusals(403)},
    summary="评估列表 / assessments in scope (agencies: those assigned to them)",
)
def list_assessments(request, filters: Query[ListFiltersIn], paging: Query[Paging]):
    qs = selectors.assessment_list(actor=request.auth, filters=selectors.AssessmentFilters(**filters.dict()))
    return paged(qs, paging, _row)


@router.post("/", response={201: AssessmentOut, **refusals(403, 404)}, summary="安排评估 / schedule an assessment")
def schedule(request, payload: ScheduleIn):
    elder = elder_selectors.elder_get(actor=request.auth, pk=payload.elder)
    assessment = services.assessment_schedule(
        actor=request.auth,
        elder=elder,
        scheduled_for=payload.scheduled_for,
        reason=payload.reason,
        standard=payload.standard,
        assessor=_user(payload.assessor, "assessor"),
        second_assessor=_user(payload.second_assessor, "second_assessor"),
        note=payload.note,
    )
    return Status(201, _view(request, assessment.pk))


@router.get(
    "/overdue",
    response={200: Page[OverdueOut], **refusals(403)},
    summary="逾期复评工作清单 / overdue reassessments in scope, most overdue first",
)
def overdue(request, paging: Query[Paging], region: RegionFilter | None = None, on: Day | None = None):
    on = on or timezone.localdate()
    rows = selectors.overdue_reassessments(actor=request.auth, region=region, on=on)
    return paged(
        rows,
        paging,
        lambda a: {
            "assessment_id": a.pk,
            "elder_id": a.elder_id,
            "elder_name": a.elder.name,
            "residence": a.elder.residence_id,
            "residence_name": a.elder.residence.name,
            "level": a.level,
            "level_name": _level_name(a, a.level),
            "reassess_due": a.reassess_due,
            "days_overdue": (on - a.reassess_due).days,
            "reassessment_open": a.reassessment_open,
        },
    )


@router.get("/standards", response=Page[StandardSummaryOut], summary="评估标准 / the assessment standards")
def standards(request, paging: Query[Paging]):
    return paged(list(SLUGS.items()), paging, lambda pair: _standard_summary(pair[0], get_standard(pair[1])))


@router.get(
    "/standards/{slug}",
    response=StandardOut,
    summary="评估标准定义 / a standard's items, options, levels, bands and level-change rules, to render the form",
)
def standard(request, slug: str):
    code = SLUGS.get(slug)
    if code is None:
        raise ValidationError({"slug": ERR_STANDARD_UNKNOWN.format(code=slug)})
    return _standard(slug, get_standard(code))


@router.post(
    "/qualifications", response={201: QualificationOut, **refusals(403)}, summary="登记评估员资格 / record an assessor qualification"
)
def record_qualification(request, payload: QualificationIn):
    data = payload.dict()
    data["user"] = _user(data["user"], "user")
    q = services.qualification_record(actor=request.auth, **data)
    return Status(
        201,
        {
            "id": q.pk,
            "user": _person(q.user),
            "certificate_number": q.certificate_number,
            "issuer": q.issuer,
            "valid_from": q.valid_from,
            "valid_to": q.valid_to,
            "standards": q.standards,
        },
    )


@router.get(
    "/elders/{elder_id}/history",
    response={200: Page[AssessmentRowOut], **refusals(403, 404)},
    summary="能力等级历史 / an elder's level history",
)
def history(request, elder_id: int, paging: Query[Paging], include_pending: bool = False):
    elder = elder_selectors.elder_get(actor=request.auth, pk=elder_id)
    rows = selectors.level_history(actor=request.auth, elder=elder, include_pending=include_pending)
    return paged(rows.select_related("elder__residence"), paging, _row)


@router.get(
    "/elders/{elder_id}/current",
    response={200: CurrentLevelOut, **refusals(403, 404)},
    summary="当前能力等级 / an elder's level in force on a day",
)
def current(request, elder_id: int, on: Day | None = None):
    on = on or timezone.localdate()
    elder, found = selectors.elder_current_level(actor=request.auth, elder_id=elder_id, on=on)
    fields = ("level", "level_name", "care_category", "disability_degree", "standard", "effective_from", "reassess_due", "assessment_id")
    return {"elder_id": elder.pk, "on": on, **{f: getattr(found, f, None) for f in fields}}


class ObservationIn(Schema):
    item: str  # an item code of the standard in force, e.g. "consciousness" (意识水平)
    score: int
    on: Day | None = None
    note: str = ""


class ObservationOut(Schema):
    outcome: str
    clause: str
    assessment_id: int | None


@router.post(
    "/elders/{elder_id}/observations",
    response={200: ObservationOut, **refusals(403, 404)},
    summary="记录观察（如意识转清醒）/ an observation between assessments; a reassessment is planned where the standard asks",
)
def observe(request, elder_id: int, payload: ObservationIn):
    elder = elder_selectors.elder_get(actor=request.auth, pk=elder_id)
    seen = services.observation_record(
        actor=request.auth, elder=elder, item=payload.item, score=payload.score, on=payload.on or timezone.localdate(), note=payload.note
    )
    return {"outcome": seen.outcome.value, "clause": seen.clause, "assessment_id": seen.assessment.pk if seen.assessment else None}


@router.get(
    "/{assessment_id}",
    response={200: AssessmentOut, **refusals(403, 404)},
    summary="一次评估 / one assessment: answers, result, explanation",
)
def get_assessment(request, assessment_id: int):
    return _view(request, assessment_id)


@router.post(
    "/{assessment_id}/answers",
    response={200: AssessmentOut, **refusals(403, 404)},
    summary="保存答案（可部分）/ save answers (partial; null removes one)",
)
def save_answers(request, assessment_id: int, payload: AnswersIn):
    services.assessment_save_answers(actor=request.auth, assessment=_get(request, assessment_id), **payload.dict())
    return _view(request, assessment_id)


@router.post(
    "/{assessment_id}/submit",
    response={200: AssessmentOut, **refusals(403, 404)},
    summary="提交评估 / submit complete answers; scores the assessment",
)
def submit(request, assessment_id: int, payload: SubmitIn):
    data = payload.dict()
    data["second_assessor"] = _user(data["second_assessor"], "second_assessor")
    services.assessment_submit(actor=request.auth, assessment=_get(request, assessment_id), **data)
    return _view(request, assessment_id)


@router.post("/{assessment_id}/review", response={200: AssessmentOut, **refusals(403, 404)}, summary="审核 / review a submitted assessment")
def review(request, assessment_id: int, payload: NoteIn):
    services.assessment_review(actor=request.auth, assessment=_get(request, assessment_id), note=payload.note)
    return _view(request, assessment_id)


@router.post(
    "/{assessment_id}/return",
    response={200: AssessmentOut, **refusals(403, 404)},
    summary="退回修改 / return a submission to its assessors",
)
def return_for_revision(request, assessment_id: int, payload: ReturnIn):
    services.assessment_return_for_revision(actor=request.auth, assessment=_get(request, assessment_id), note=payload.note)
    return _view(request, assessment_id)


@router.post(
    "/{assessment_id}/make-effective",
    response={200: AssessmentOut, **refusals(403, 404)},
    summary="生效 / make a reviewed assessment effective",
)
def make_effective(request, assessment_id: int, payload: EffectiveIn):
    services.assessment_make_effective(actor=request.auth, assessment=_get(request, assessment_id), effective_from=payload.effective_from)
    return _view(request, assessment_id)


@router.post(
    "/{assessment_id}/cancel", response={200: AssessmentOut, **refusals(403, 404)}, summary="取消 / cancel an assessment not yet effective"
)
def cancel(request, assessment_id: int, payload: CancelIn):
    services.assessment_cancel(actor=request.auth, assessment=_get(request, assessment_id), reason=payload.reason)
    return _view(request, assessment_id)
