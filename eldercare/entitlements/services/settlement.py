"""Month-end settlement: what the government owes each provider and facility for a month in a region.

Provider lines sum the month's spends net of reversals (the services delivered, at the value
each service was drawn at); facility lines sum the stay subsidies issued to the month's residents.
Preparing is repeatable while the settlement is open; locking recomputes the lines under row
locks on the month's accounts and from then on no entry can touch them (`ledger._locked`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.months import month_last_day
from eldercare.regions.models import Region, covering_codes, subtree_bounds

from .. import errors
from ..models import Account, Entry, EntryKind, Settlement, SettlementLine, SettlementStatus
from ..signals import settlement_locked


def _check(actor: User, region: Region) -> None:
    require(actor, Cap.MANAGE_ENTITLEMENTS)
    require_region(actor, region.code)


def _overlapping_locked(region: Region, month: dt.date) -> Settlement | None:
    """A locked settlement of the month for a region above or below this one: paying twice."""
    lo, hi = subtree_bounds(region.code, region.level)
    above = covering_codes(region.code)
    return (
        Settlement.objects.filter(month=month, status=SettlementStatus.LOCKED)
        .filter(Q(region_id__in=above) | Q(region_id__gte=lo, region_id__lte=hi))
        .exclude(region=region)
        .select_related("region")
        .first()
    )


def _lines(settlement: Settlement) -> list[SettlementLine]:
    lo, hi = subtree_bounds(settlement.region.code, settlement.region.level)
    accounts = {"account__month": settlement.month, "account__region_id__gte": lo, "account__region_id__lte": hi}
    lines = []
    spent = (
        Entry.objects.filter(kind__in=[EntryKind.SPEND, EntryKind.REVERSE], **accounts)
        .order_by()
        .values("provider_id", "account__policy", "account__benefit", "account__unit")
        .annotate(
            quantity=Sum("amount"),
            amount=Sum("value"),
            records=Count("pk", filter=Q(kind=EntryKind.SPEND, reversal__isnull=True)),
            elders=Count("account__elder_id", distinct=True, filter=Q(kind=EntryKind.SPEND, reversal__isnull=True)),
        )
    )
    for row in spent:
        if row["quantity"] or row["amount"]:
            lines.append(
                SettlementLine(
                    settlement=settlement,
                    provider_id=row["provider_id"],
                    policy=row["account__policy"],
                    benefit=row["account__benefit"],
                    unit=row["account__unit"],
                    quantity=-row["quantity"],
                    amount=-row["amount"],
                    records=row["records"],
                    elders=row["elders"],
                )
            )
    stays = (
        Account.objects.filter(month=settlement.month, region_id__gte=lo, region_id__lte=hi, facility__isnull=False)
        .order_by()
        .values("facility_id", "policy", "benefit", "unit")
        .annotate(quantity=Sum("issued"), records=Count("pk"), elders=Count("elder_id", distinct=True))
    )
    for stay in stays:
        if stay["quantity"]:
            lines.append(
                SettlementLine(
                    settlement=settlement,
                    facility_id=stay["facility_id"],
                    policy=stay["policy"],
                    benefit=stay["benefit"],
                    unit=stay["unit"],
                    quantity=stay["quantity"],
                    amount=stay["quantity"],
                    records=stay["records"],
                    elders=stay["elders"],
                )
            )
    return lines


def _write_lines(settlement: Settlement) -> None:
    settlement.lines.all().delete()
    lines = _lines(settlement)
    SettlementLine.objects.bulk_create(lines)
    settlement.total = sum(line.amount for line in lines)


@transaction.atomic
def settlement_prepare(*, actor: User, region: Region, month: dt.date, today: dt.date | None = None) -> Settlement:
    """Compute (or recompute) the month's settlement of `region`'s subtree; it stays open."""
    _check(actor, region)
    today = today or timezone.localdate()
    if month.day != 1 or today <= month_last_day(month):
        raise ValidationError({"month": errors.ERR_MONTH_NOT_ENDED.format(month=f"{month:%Y-%m}")})
    clash = _overlapping_locked(region, month)
    if clash:
        raise ValidationError({"region": errors.ERR_OVERLAPPING_SETTLEMENT.format(region=clash.region, month=f"{month:%Y-%m}")})
    settlement, _ = Settlement.objects.select_for_update().get_or_create(region=region, month=month, defaults={"prepared_by": actor})
    if settlement.status == SettlementStatus.LOCKED:
        raise ValidationError({"settlement": errors.ERR_ALREADY_LOCKED})
    settlement.prepared_by, settlement.prepared_at = actor, timezone.now()
    _write_lines(settlement)
    settlement.save()
    return settlement


@transaction.atomic(durable=True)
def settlement_lock(*, actor: User, settlement: Settlement) -> Settlement:
    """Lock the month: the lines are recomputed with every account of the month in the region
    locked, so a spend in flight either lands before (and is counted) or is refused after."""
    _check(actor, settlement.region)
    settlement = Settlement.objects.select_for_update().select_related("region").get(pk=settlement.pk)
    if settlement.status == SettlementStatus.LOCKED:
        raise ValidationError({"settlement": errors.ERR_ALREADY_LOCKED})
    clash = _overlapping_locked(settlement.region, settlement.month)
    if clash:
        raise ValidationError({"region": errors.ERR_OVERLAPPING_SETTLEMENT.format(region=clash.region, month=f"{settlement.month:%Y-%m}")})
    lo, hi = subtree_bounds(settlement.region.code, settlement.region.level)
    list(Account.objects.select_for_update().filter(month=settlement.month, region_id__gte=lo, region_id__lte=hi).values_list("pk"))
    _write_lines(settlement)
    settlement.status, settlement.locked_by, settlement.locked_at = SettlementStatus.LOCKED, actor, timezone.now()
    settlement.save()
    settlement_locked.send(sender=Settlement, settlement=settlement)
    return settlement
