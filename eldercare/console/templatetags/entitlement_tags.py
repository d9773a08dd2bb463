"""Template helpers of the entitlement pages: amounts in their unit, and the allowances section of
the elder's record page."""

from django import template
from django.utils import timezone, translation

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap
from eldercare.entitlements import selectors
from eldercare.entitlements.models import Unit
from eldercare.entitlements.policy import Unit as PolicyUnit
from eldercare.entitlements.policy import format_amount

register = template.Library()


@register.filter
def units(amount, unit) -> str:
    """{{ account.balance|units:account.unit }}: 3 小时, 600元."""
    if amount is None:
        return "—"
    return format_amount(int(amount), PolicyUnit.HOUR if unit in (Unit.MINUTES, PolicyUnit.HOUR) else PolicyUnit.YUAN)


@register.filter
def in_language(text: str) -> str:
    """The part of a "中文 / English" text in the page's language."""
    if not isinstance(text, str) or " / " not in text:
        return text
    zh, _, en = text.partition(" / ")
    return zh if (translation.get_language() or "zh-hans").startswith("zh") else en


@register.filter
def yuan(fen) -> str:
    return format_amount(int(fen or 0), PolicyUnit.YUAN)


@register.inclusion_tag("console/entitlement_elder_section.html", takes_context=True)
def elder_allowances(context, elder):
    user = context["request"].user
    if not has_cap(user, Cap.VIEW_ENTITLEMENTS):
        return {"show": False}
    month = timezone.localdate().replace(day=1)
    _, accounts = selectors.elder_accounts(actor=user, elder_id=elder.pk, month=month)
    return {"show": True, "elder": elder, "month": month, "accounts": list(accounts)}
