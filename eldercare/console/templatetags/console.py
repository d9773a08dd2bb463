"""Template helpers of the console: capability checks for showing links and buttons."""

from django import template

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, scope_for

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """{% if user|can:"edit_elders" %}: only decides what to show; every service checks again."""
    return has_cap(user, Cap(capability))


@register.filter
def personal(user) -> bool:
    """{% if user|personal %}: an elder or a family member, who sees their own (their elders') records only."""
    return user.is_authenticated and scope_for(user).personal


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
