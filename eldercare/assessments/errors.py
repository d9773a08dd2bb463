"""Named errors of ability assessment; messages in Chinese first, then English.

Errors users can cause (answers, assessors, transitions) are ValidationErrors, so pages and the
API answer 422 with the message. Errors in the data files (a standard or a policy YAML) are
`eldercare.core.datafiles.DataFileError`s naming the file and the path of the bad entry, found
when the file is loaded (and by the tests), never by a user.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class AssessmentError(ValidationError):
    """An error with a `code`, its parameters (`details`) and a bilingual message."""

    MESSAGES: dict[str, str] = {}

    def __init__(self, code: str, **details):
        self.details = details
        super().__init__(self.MESSAGES[code].format(**details), code=code)

    def __str__(self) -> str:
        return str(self.message)  # always the formatted str (the stubs allow a lazy one)


class ScoringError(AssessmentError):
    MISSING_ANSWERS = "missing_answers"
    UNKNOWN_ITEMS = "unknown_items"
    INVALID_SCORE = "invalid_score"
    INVALID_FACTS = "invalid_facts"

    MESSAGES = {
        MISSING_ANSWERS: "以下项目尚未作答：{items} / these items are not answered: {items}",
        UNKNOWN_ITEMS: "《{standard}》中没有以下项目：{items} / {standard} has no such items: {items}",
        INVALID_SCORE: "以下项目的得分不是该项目的选项分值：{problems} / these scores are not option scores of their items: {problems}",
        INVALID_FACTS: "评估相关情况填写有误：{problem} / the recorded facts are not valid: {problem}",
    }


class TransitionError(AssessmentError):
    ILLEGAL = "illegal_transition"
    ALREADY_SUBMITTED = "already_submitted"

    MESSAGES = {
        ILLEGAL: "评估当前状态为“{status}”，不能{action} / an assessment that is {status_en} cannot be {action_en}",
        ALREADY_SUBMITTED: "该评估已于{submitted_at}提交，不能重复提交 / this assessment was already submitted at {submitted_at}",
    }


class AssessorError(AssessmentError):
    NOT_QUALIFIED = "not_qualified"
    COUNT = "assessor_count"
    SAME_PERSON = "same_assessor"
    NOT_ASSIGNED = "not_assigned"
    REVIEWER_IS_ASSESSOR = "reviewer_is_assessor"

    MESSAGES = {
        NOT_QUALIFIED: "{user}在{day}没有有效的《{standard}》评估员资格 / {user} holds no assessor qualification for {standard} valid on {day}",
        COUNT: "《{standard}》要求{count}名评估员同时评估（{clause}） / {standard} needs {count} assessors ({clause})",
        SAME_PERSON: "两名评估员不能是同一人 / the two assessors must be different people",
        NOT_ASSIGNED: "只有本次评估的评估员可以提交 / only the assessors of this assessment may submit it",
        REVIEWER_IS_ASSESSOR: "评估员不能审核自己的评估 / an assessor cannot review their own assessment",
    }


class EffectiveDateError(AssessmentError):
    BEFORE_ASSESSMENT = "before_assessment"
    NOT_AFTER_CURRENT = "not_after_current"
    FUTURE_ASSESSMENT = "future_assessment"

    MESSAGES = {
        BEFORE_ASSESSMENT: "生效日期{effective_from}早于评估日期{assessed_on} / the effective date {effective_from} is before the assessment date {assessed_on}",
        NOT_AFTER_CURRENT: "生效日期须晚于该老人已生效评估的生效日期{current} / the effective date must be after that of the elder's effective assessment ({current})",
        FUTURE_ASSESSMENT: "评估日期{assessed_on}晚于今天 / the assessment date {assessed_on} is in the future",
    }


class RecordError(AssessmentError):
    UNKNOWN_STANDARD = "unknown_standard"
    ELDER_NOT_ACTIVE = "elder_not_active"
    DATES_ORDER = "dates_order"
    NO_STANDARDS = "no_standards"
    UNKNOWN_REASON = "unknown_reason"
    OPEN_EXISTS = "open_exists"
    UNKNOWN_ITEM = "unknown_item"
    NOT_AN_OPTION = "not_an_option"
    NO_ASSESSMENT = "no_assessment"

    MESSAGES = {
        UNKNOWN_STANDARD: "未知的评估标准“{standard}” / unknown assessment standard '{standard}'",
        ELDER_NOT_ACTIVE: "该老人档案状态为“{status}”，不能安排评估 / the elder's record is {status}: no assessment can be scheduled",
        DATES_ORDER: "有效期止不能早于有效期起 / the end date is before the start date",
        NO_STANDARDS: "资格须至少涵盖一项评估标准 / a qualification must cover at least one standard",
        UNKNOWN_REASON: "未知的评估原因“{reason}” / unknown assessment reason '{reason}'",
        OPEN_EXISTS: "该老人已有未完成的评估，请先完成或取消 / the elder already has an open assessment: finish or cancel it first",
        UNKNOWN_ITEM: "《{standard}》中没有项目“{item}” / {standard} has no item '{item}'",
        NOT_AN_OPTION: "“{item}”没有{score}分的选项 / {item} has no option scored {score}",
        NO_ASSESSMENT: "该老人没有生效的能力评估 / the elder has no assessment in force",
    }
