"""Guide prices: set by the civil-affairs office of a region, looked up for a community and a day."""

from __future__ import annotations

import datetime as dt

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.regions.models import Region, covering_codes

from .. import errors
from ..models import GuidePrice, ServiceItem


@transaction.atomic
def guide_price_set(
    *, actor: User, item: ServiceItem, region: Region, price: int, valid_from: dt.date, document: str, valid_to: dt.date | None = None
) -> GuidePrice:
    """A new guide price from `valid_from`; the region's open price for the item ends the day before."""
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, region.code)
    if not document.strip():
        raise ValidationError({"document": errors.ERR_PRICE_DOCUMENT})
    if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
        raise ValidationError({"price": errors.ERR_QUANTITY})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": errors.ERR_WINDOW})
    with set_actor(actor):
        for open_one in GuidePrice.objects.select_for_update().filter(
            item=item, region=region, valid_to__isnull=True, valid_from__lt=valid_from
        ):
            open_one.valid_to = valid_from - dt.timedelta(days=1)
            open_one.save(update_fields=["valid_to"])
        return GuidePrice.objects.create(
            item=item, region=region, price=price, valid_from=valid_from, valid_to=valid_to, document=document.strip(), set_by=actor
        )


def price_for(item: ServiceItem, region_code: str, day: dt.date) -> GuidePrice | None:
    """The guide price in force on `day` for a community: the most specific region that sets one."""
    found = {
        p.region_id: p
        for p in GuidePrice.objects.filter(item=item, region_id__in=covering_codes(region_code), valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )
    }
    return next((found[code] for code in covering_codes(region_code) if code in found), None)
