"""An elder's preferred caregiver (指定护理员): matching prefers them when they can come.

Set by whoever may order services for the elder (the elder, their family, a community worker or a
centre operator of their region). The caregiver must be on duty and work for a provider taking
orders whose service areas cover the elder's community: nobody can be asked for who could never come.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require
from eldercare.elders.models import Elder
from eldercare.providers.models import ProviderStatus, ServiceArea
from eldercare.providers.selectors import serves
from eldercare.regions.models import covering_codes

from .. import errors
from ..models import Caregiver, Preference
from .orders import _elder_for


def caregivers_serving(region_code: str) -> QuerySet[Caregiver]:
    """Caregivers on duty whose provider takes orders and serves the community: those who may be preferred."""
    providers = ServiceArea.objects.filter(region_id__in=covering_codes(region_code)).values("provider_id")
    return (
        Caregiver.objects.filter(active=True, provider__status=ProviderStatus.ACTIVE, provider_id__in=providers)
        .select_related("provider")
        .order_by("provider__name", "name", "pk")
    )


def preference_problems(caregiver: Caregiver, elder: Elder) -> list[str]:
    """Why `caregiver` cannot be the elder's preferred caregiver (empty: they can)."""
    problems: list[str] = []
    provider = caregiver.provider
    if not caregiver.active:
        problems.append(errors.ERR_CAREGIVER_INACTIVE)
    if provider.status != ProviderStatus.ACTIVE:
        problems.append(errors.ERR_PROVIDER_INACTIVE.format(provider=provider))
    if not serves(provider, elder.residence_id):
        problems.append(errors.ERR_OUTSIDE_AREA.format(provider=provider))
    return problems


@transaction.atomic
def preference_set(*, actor: User, elder: Elder, caregiver: Caregiver) -> Preference:
    """Make `caregiver` the elder's preferred caregiver (replacing any other)."""
    require(actor, Cap.REQUEST_SERVICE)
    _elder_for(actor, elder)
    caregiver = Caregiver.objects.select_related("provider").get(pk=caregiver.pk)
    problems = preference_problems(caregiver, elder)
    if problems:
        raise ValidationError({"caregiver": problems})
    preference, _created = Preference.objects.update_or_create(elder=elder, defaults={"caregiver": caregiver, "set_at": timezone.now()})
    return preference


@transaction.atomic
def preference_clear(*, actor: User, elder: Elder) -> bool:
    """The elder has no preferred caregiver any more; False when they had none."""
    require(actor, Cap.REQUEST_SERVICE)
    _elder_for(actor, elder)
    deleted, _rows = Preference.objects.filter(elder=elder).delete()
    return deleted > 0


def preference_of(elder: Elder) -> Preference | None:
    """The elder's preferred caregiver, for a page already allowed to show the elder."""
    return Preference.objects.select_related("caregiver", "caregiver__provider").filter(elder=elder).first()
