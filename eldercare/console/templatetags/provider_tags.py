"""Filters of the providers pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def price_yuan(fen: int | None) -> str:
    """A price in fen as yuan with both decimals, as price lists print it (4,250 → 42.50元)."""
    return _("%(amount)s元") % {"amount": f"{Decimal(int(fen or 0)) / 100:,.2f}"}
