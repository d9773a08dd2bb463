"""Reads the console pages need beyond the registry's own selectors.

Each takes the acting user and builds on the scoped querysets and checks of
`eldercare.elders.selectors`, `eldercare.regions.selectors` and
`eldercare.accounts.scoping`, so scope is decided below this module, never here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, require, scope_for
from eldercare.elders import selectors as elder_selectors
from eldercare.elders.models import Consent, Elder, ElderGroup, LivingStatus, PriorityGroup
from eldercare.facilities.models import Institution
from eldercare.regions.models import PREFIX_LENGTH, Level, Region, subtree_bounds

COMMUNITY_SELECT_LIMIT = 500
AUDIT_LIMIT = 100


def dashboard_counts(*, actor) -> dict[str, int | None]:
    """Active elders in the actor's scope: all, 80 and over, living alone, and
    (only for roles that may see health data) disabled."""

    def count(**filters) -> int:
        return elder_selectors.elder_list(actor=actor, filters=elder_selectors.ElderFilters(**filters)).count()

    return {
        "total": count(),
        "age_80_plus": count(age_min=80),
        "alone": count(living_status=LivingStatus.ALONE),
        "disabled": count(groups=[PriorityGroup.DISABLED]) if has_cap(actor, Cap.VIEW_HEALTH) else None,
    }


def elder_counts_by_region(*, actor, regions: Sequence[Region]) -> dict[str, int]:
    """Active elders in scope under each region, keyed by region code.

    One grouped query per region level (the children of one region share a
    level, so a page costs one query however many children it shows): the
    residence code is cut to the level's prefix and counted per prefix.
    """
    counts = {region.code: 0 for region in regions}
    if not regions or not has_cap(actor, Cap.VIEW_ELDERS):
        return counts
    by_level: dict[int, list[Region]] = defaultdict(list)
    for region in regions:
        by_level[region.level].append(region)
    for level, same_level in by_level.items():
        length = PREFIX_LENGTH[Level(level)]
        code_of = {region.prefix: region.code for region in same_level}
        bounds = [subtree_bounds(region.code, region.level) for region in same_level]
        rows = (
            elder_selectors.elder_list(actor=actor)
            .filter(residence_id__gte=min(lo for lo, _ in bounds), residence_id__lte=max(hi for _, hi in bounds))
            .order_by()
            .annotate(prefix=Substr("residence_id", 1, length))
            .values("prefix")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            if row["prefix"] in code_of:
                counts[code_of[row["prefix"]]] = row["n"]
    return counts


def region_breadcrumb(*, actor, region: Region) -> list[Region]:
    """The ancestors of a region the actor may open, from the top down."""
    require(actor, Cap.VIEW_REGIONS)
    scope = scope_for(actor)
    return [ancestor for ancestor in region.ancestors() if scope.covers_region(ancestor.code)]


def communities_in_scope(*, actor, limit: int | None = None) -> list[Region] | None:
    """Communities an editor may register elders in, or None when there are more
    than `limit` (the form then asks for a code instead of offering a list)."""
    require(actor, Cap.EDIT_ELDERS)
    limit = limit or COMMUNITY_SELECT_LIMIT
    rows = list(
        Region.objects.filter(scope_for(actor).q(region_field="code"), level=Level.COMMUNITY)
        .select_related("parent")
        .order_by("code")[: limit + 1]
    )
    return None if len(rows) > limit else rows


def institutions_in_scope(*, actor) -> QuerySet[Institution]:
    require(actor, Cap.EDIT_ELDERS)
    return Institution.objects.filter(scope_for(actor).q(region_field="community_id")).order_by("name")


def elder_for_page(*, actor, pk: int, on: dt.date | None = None) -> Elder:
    """One elder in scope (404 otherwise) with its active priority groups attached
    as `active_groups`, as `presenters.elder_row` expects."""
    elder = elder_selectors.elder_get(actor=actor, pk=pk)
    on = on or timezone.localdate()
    elder.active_groups = list(ElderGroup.objects.active_on(on).filter(elder=elder).order_by("group"))
    return elder


def elder_consents(*, actor, elder: Elder) -> list[Consent]:
    """Consents of an elder the actor has already been allowed to open, newest first per kind."""
    require(actor, Cap.VIEW_ELDERS)
    return list(elder.consents.select_related("recorded_by").order_by("kind", "-recorded_at", "-pk"))


def elder_audit_page(*, actor, elder: Elder, limit: int = AUDIT_LIMIT) -> list | None:
    """The newest audit entries of the record, or None for roles that may not read the trail."""
    if not has_cap(actor, Cap.EDIT_ELDERS):
        return None
    # The content type is read per entry when showing changes: fetch it with the entries.
    return list(elder_selectors.elder_audit(actor=actor, elder=elder).select_related("content_type")[:limit])
