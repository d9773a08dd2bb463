"""Template helpers of the assessment pages: level names as the standard words them, and the
assessments section of the elder's record page."""

from django import template
from django.utils import timezone

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap
from eldercare.assessments import selectors

register = template.Library()


@register.filter
def level_name(view: selectors.AssessmentView, code: str) -> str:
    """{{ view|level_name:a.level }}: 能力轻度受损（轻度失能） rather than the short label."""
    return view.level_name(code) if code else "—"


@register.inclusion_tag("console/assessment_elder_section.html", takes_context=True)
def elder_assessments(context, elder):
    """The elder's level in force, the open assessment and the history, for readers of health data."""
    user = context["request"].user
    if not has_cap(user, Cap.VIEW_HEALTH):
        return {"show": False}
    today = timezone.localdate()
    rows = list(selectors.elder_assessments(actor=user, elder=elder))
    return {
        "show": True,
        "user": user,
        "elder": elder,
        "current": selectors.current_level(elder, today),
        "rows": rows,
        "has_open": any(a.status in selectors.OPEN for a in rows),
        "can_schedule": has_cap(user, Cap.MANAGE_ASSESSMENTS),
        "today": today,
    }
