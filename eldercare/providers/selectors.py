"""Reads about providers: who runs one, who supervises one, which regions one serves."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_NO_CAPABILITY, has_cap, in_region, is_platform_admin, scope_for
from eldercare.core.errors import Err
from eldercare.regions.models import code_bounds, covering_codes

from .models import Provider, ProviderStatus, ServiceArea

ERR_PROVIDER_NOT_FOUND = Err("providers.not_found", "未找到该服务商 / no such provider")


def manages(actor: User, provider: Provider) -> bool:
    """Whether the actor runs this provider (its admin), or is a system administrator."""
    if is_platform_admin(actor):
        return True
    return has_cap(actor, Cap.MANAGE_CAREGIVERS) and provider.admins.filter(pk=actor.pk).exists()


def supervises(actor: User, provider: Provider) -> bool:
    """Whether the actor keeps the catalogue (providers, their areas, status) of the region the
    provider is registered in: the civil-affairs offices with MANAGE_CATALOG, or a system administrator."""
    return has_cap(actor, Cap.MANAGE_CATALOG) and in_region(actor, provider.region_id)


def providers_visible(actor: User) -> QuerySet[Provider]:
    """The providers the actor may open: those registered in the region of an officer who keeps the
    catalogue, and those a provider's admin runs. 403 for a role that does neither."""
    catalogue, runs = has_cap(actor, Cap.MANAGE_CATALOG), has_cap(actor, Cap.MANAGE_CAREGIVERS)
    if not (catalogue or runs):
        raise PermissionDenied(ERR_NO_CAPABILITY)
    providers = Provider.objects.select_related("region")
    scope = scope_for(actor)
    if is_platform_admin(actor):
        return providers
    q = Q(pk__in=[])
    if catalogue and scope.regional:
        q |= scope.q(region_field="region_id")
    if runs:
        q |= Q(pk__in=Provider.objects.filter(admins=actor).values("pk"))
    return providers.filter(q)


def provider_list(*, actor: User, status: str | None = None, name: str | None = None) -> QuerySet[Provider]:
    providers = providers_visible(actor)
    if status:
        providers = providers.filter(status=status)
    if name:
        providers = providers.filter(Q(name__icontains=name.strip()) | Q(credit_code__iexact=name.strip()))
    return providers.order_by("name", "pk")


def provider_get(*, actor: User, pk: int) -> Provider:
    """One provider the actor may open (404 otherwise, whether or not it exists)."""
    provider = providers_visible(actor).filter(pk=pk).first()
    if provider is None:
        raise Http404(ERR_PROVIDER_NOT_FOUND)
    return provider


def provider_actions(actor: User, provider: Provider) -> frozenset[str]:
    """What to offer the actor on the provider's page (the services check again)."""
    if not supervises(actor, provider):
        return frozenset()
    actions = {"area_add", "area_remove"}
    if provider.status == ProviderStatus.ACTIVE:
        actions.add("suspend")
    elif provider.status == ProviderStatus.SUSPENDED:
        actions.add("reinstate")
    return frozenset(actions)


def may_register_caregivers(actor: User, provider: Provider) -> bool:
    """A provider's own admins register its caregivers; the officers who supervise it may as well
    (registering a provider with its staff in one sitting)."""
    return manages(actor, provider) or supervises(actor, provider)


def status_history(provider: Provider, limit: int = 20) -> list[LogEntry]:
    """The provider's suspensions and reinstatements (newest first), each with its reason, from the
    audit log. The caller has opened the provider through `provider_get`."""
    entries = (
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Provider), object_pk=str(provider.pk))
        .filter(additional_data__has_key="action")
        .select_related("actor")
        .order_by("-timestamp", "-pk")[:limit]
    )
    return list(entries)


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
