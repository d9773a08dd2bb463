"""Guide prices: set by the civil-affairs office of a region, looked up for a community and a day."""

from __future__ import annotations

import datetime as dt

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.errors import Conflict, Err
from eldercare.regions.models import Region, covering_codes

from .. import errors
from ..models import GuidePrice, ServiceItem

MAX_PRICE = 1_000_000  # fen (10,000 yuan) per visit or hour: far past any guide price; a day of it still fits an order's amount
ERR_PRICE_RANGE = Err("homecare.price_range", "指导价须在0.01元至10,000元之间 / a guide price is between 0.01 and 10,000 yuan")
ERR_PRICE_EXISTS = Err(
    "homecare.price_exists", "该项目在该区域同日生效的指导价已存在 / a guide price for this item and region from that day exists already"
)


@transaction.atomic
def guide_price_set(
    *, actor: User, item: ServiceItem, region: Region, price: int, valid_from: dt.date, document: str, valid_to: dt.date | None = None
) -> GuidePrice:
    """A new guide price from `valid_from`; the region's open price for the item ends the day before."""
    require(actor, Cap.MANAGE_CATALOG)
    require_region(actor, region.code)
    if not document.strip():
        raise ValidationError({"document": errors.ERR_PRICE_DOCUMENT})
    if not isinstance(price, int) or isinstance(price, bool) or not 0 < price <= MAX_PRICE:
        raise ValidationError({"price": ERR_PRICE_RANGE})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": errors.ERR_WINDOW})
    with set_actor(actor):
        for open_one in GuidePrice.objects.select_for_update().filter(
            item=item, region=region, valid_to__isnull=True, valid_from__lt=valid_from
        ):
            open_one.valid_to = valid_from - dt.timedelta(days=1)
            open_one.save(update_fields=["valid_to"])
        if GuidePrice.objects.filter(item=item, region=region, valid_from=valid_from).exists():
            raise Conflict(ERR_PRICE_EXISTS)
        try:
            with transaction.atomic():
                return GuidePrice.objects.create(
                    item=item, region=region, price=price, valid_from=valid_from, valid_to=valid_to, document=document.strip(), set_by=actor
                )
        except IntegrityError as exc:  # the same price set concurrently: the other request won
            raise Conflict(ERR_PRICE_EXISTS) from exc


def price_for(item: ServiceItem, region_code: str, day: dt.date) -> GuidePrice | None:
    """The guide price in force on `day` for a community: the most specific region that sets one."""
    found = {
        p.region_id: p
        for p in GuidePrice.objects.filter(item=item, region_id__in=covering_codes(region_code), valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )
    }
    return next((found[code] for code in covering_codes(region_code) if code in found), None)
