"""Reads of facilities, scoped to the acting user."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, scope_for
from eldercare.elders.models import Elder
from eldercare.elders.selectors import scoped_elders

from .models import Institution, Stay, StayKind


def institutions_in_scope(*, actor: User) -> QuerySet[Institution]:
    require(actor, Cap.EDIT_ELDERS)
    return Institution.objects.filter(scope_for(actor).q(region_field="community_id")).order_by("name")


def elder_stays(*, actor: User, elder: Elder) -> QuerySet[Stay]:
    """An elder's stays, latest first, for whoever may see the elder's record (the elder and their
    family too: an elder's own record says where they live)."""
    require(actor, Cap.VIEW_ELDERS)
    return (
        Stay.objects.filter(elder=elder, elder__in=scoped_elders(actor).values("pk")).select_related("facility").order_by("-start", "-pk")
    )


def current_institution(*, actor: User, elder: Elder, on: dt.date | None = None) -> Institution | None:
    """The institution the elder lives in on a day (today): the facility of their long-term stay then."""
    on = on or timezone.localdate()
    stay = (
        elder_stays(actor=actor, elder=elder).filter(Q(end__isnull=True) | Q(end__gte=on), kind=StayKind.LONG_TERM, start__lte=on).first()
    )
    return stay.facility if stay is not None else None
