"""Reads about providers: who runs one, which regions one serves."""

from __future__ import annotations

from django.db.models import Q

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, is_platform_admin
from eldercare.regions.models import code_bounds, covering_codes

from .models import Provider, ServiceArea


def manages(actor: User, provider: Provider) -> bool:
    """Whether the actor runs this provider (its admin), or is a system administrator."""
    if is_platform_admin(actor):
        return True
    return has_cap(actor, Cap.MANAGE_CAREGIVERS) and provider.admins.filter(pk=actor.pk).exists()


def serves(provider: Provider, region_code: str) -> bool:
    """Whether one of the provider's service areas covers the community (whatever its status)."""
    return ServiceArea.objects.filter(provider=provider, region_id__in=covering_codes(region_code)).exists()


def areas_run_by(actor: User) -> Q:
    """A filter on `region_id` for the service areas of the providers the actor runs."""
    q = Q(pk__in=[])
    for code in ServiceArea.objects.filter(provider__admins=actor).values_list("region_id", flat=True):
        lo, hi = code_bounds(code)
        q |= Q(region_id__gte=lo, region_id__lte=hi)
    return q
