"""Reads of facilities, scoped to the acting user."""

from __future__ import annotations

from django.db.models import QuerySet

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, scope_for

from .models import Institution


def institutions_in_scope(*, actor: User) -> QuerySet[Institution]:
    require(actor, Cap.EDIT_ELDERS)
    return Institution.objects.filter(scope_for(actor).q(region_field="community_id")).order_by("name")
