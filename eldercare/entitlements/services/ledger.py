"""Moving value in allowance accounts: spend, reverse, adjust, expire.

Every function locks the account row (`select_for_update`), checks, then writes the entry and the
new balance in the same transaction. Two caregivers drawing the last hour at once queue on the
lock: the first spends it, the second finds the balance at zero and is refused. An idempotency
key seen before returns the entry it wrote (a retried request), or is refused if the request
differs.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.months import month_last_day
from eldercare.providers.models import Provider
from eldercare.regions.models import covering_codes

from .. import errors
from ..models import Account, Entry, EntryKind, Settlement, SettlementStatus, Unit


def format_units(amount: int, unit: str) -> str:
    if unit == Unit.MINUTES:
        hours, minutes = divmod(amount, 60)
        return f"{hours}小时{minutes:02d}分" if minutes else f"{hours}小时"
    return f"{amount / 100:.2f}元"


def _locked(account: Account, actor: User) -> Account:
    """The account, row-locked; refused when out of the actor's scope or when its month is settled."""
    require_region(actor, account.region_id)
    return _lock(account)


def _lock(account: Account) -> Account:
    """The account, row-locked; refused when its month is settled (checked after the lock, so a
    settlement locking at the same moment is seen)."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    settled = locked_settlement(account.region_id, account.month)
    if settled is not None:
        raise ValidationError({"account": errors.ERR_SETTLED.format(region=settled.region, month=f"{settled.month:%Y-%m}")})
    return account


def locked_settlement(region_code: str, month: dt.date) -> Settlement | None:
    """The locked settlement of `month` covering `region_code` (of the region or any above it)."""
    covering = covering_codes(region_code)
    return Settlement.objects.select_related("region").filter(month=month, status=SettlementStatus.LOCKED, region_id__in=covering).first()


def _replay(key: str, account: Account, kind: str, amount: int, **request: object) -> Entry | None:
    """The entry an earlier identical request wrote, or None. The key must match the whole request:
    the account, the kind and amount, and every other field the entry records (`request`: provider,
    value, reference, the spend reversed, the reason); anything else is refused as a reused key."""
    earlier = Entry.objects.filter(key=key).first()
    if earlier is None:
        return None
    recorded = {field: getattr(earlier, field) for field in request}
    if (earlier.account_id, earlier.kind, earlier.amount) != (account.pk, kind, amount) or recorded != request:
        raise ValidationError({"key": errors.ERR_KEY_REUSED})
    return earlier


def _post(
    account: Account,
    *,
    kind: str,
    amount: int,
    key: str,
    actor: User | None,
    reference: str = "",
    note: str = "",
    reverses: Entry | None = None,
    provider: Provider | None = None,
    value: int | None = None,
) -> Entry:
    """Write the entry, then the balance it leaves (the database refuses a balance that is not
    its account's latest `balance_after`: see `core.appendonly.install_balance_guard`)."""
    account.balance += amount
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                account=account,
                kind=kind,
                amount=amount,
                balance_after=account.balance,
                key=key,
                actor=actor,
                reference=reference,
                note=note,
                reverses=reverses,
                provider=provider,
                value=value,
            )
    except IntegrityError as exc:
        # The same key on another account, written between our look-up and now.
        raise ValidationError({"key": errors.ERR_KEY_REUSED}) from exc
    fields = ["balance"]
    if kind == EntryKind.ADJUST:
        account.issued += amount
        fields.append("issued")
    account.save(update_fields=fields)
    return entry


def _positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError({"amount": errors.ERR_AMOUNT})


def valid_until(account: Account) -> dt.date:
    return account.expires_on or month_last_day(account.month)


@transaction.atomic(durable=True)
def allowance_spend(
    *, actor: User, account: Account, amount: int, key: str, on: dt.date, provider: Provider, value: int | None = None, reference: str = ""
) -> Entry:
    """Draw `amount` (minutes or fen) for a service `provider` delivered on `on`. `value` is what
    the service is worth to the provider in fen (the hours' price); a yuan benefit is worth itself."""
    require(actor, Cap.SPEND_ALLOWANCE)
    require_region(actor, account.region_id)
    return draw(account=account, amount=amount, key=key, on=on, provider=provider, value=value, reference=reference, actor=actor)


def draw(
    *,
    account: Account,
    amount: int,
    key: str,
    on: dt.date,
    provider: Provider,
    value: int | None,
    reference: str,
    actor: User | None = None,
) -> Entry:
    """The spend itself, inside the caller's transaction, for callers that have already decided the
    actor may draw on this account (`allowance_spend`, an order's confirmation)."""
    _positive(amount)
    if account.unit == Unit.FEN:
        value = amount if value is None else value
    if value is None or isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError({"value": errors.ERR_VALUE})
    account = _lock(account)
    earlier = _replay(key, account, EntryKind.SPEND, -amount, provider_id=provider.pk, value=-value, reference=reference)
    if earlier:
        return earlier
    if not (account.month <= on <= (account.expires_on or on)):
        raise ValidationError({"on": errors.ERR_NOT_VALID_ON.format(day=on, start=account.month, end=account.expires_on or "—")})
    if account.balance < amount:
        raise ValidationError(
            {
                "amount": errors.ERR_INSUFFICIENT.format(
                    balance=format_units(account.balance, account.unit), amount=format_units(amount, account.unit)
                )
            }
        )
    return _post(account, kind=EntryKind.SPEND, amount=-amount, key=key, actor=actor, reference=reference, provider=provider, value=-value)


@transaction.atomic(durable=True)
def allowance_reverse(*, actor: User, spend: Entry, key: str, reason: str) -> Entry:
    """Give back a spend (a cancelled or disputed service); a spend is reversed at most once."""
    require(actor, Cap.SPEND_ALLOWANCE)
    if not reason.strip():
        raise ValidationError({"reason": errors.ERR_REASON})
    account = _locked(spend.account, actor)
    earlier = _replay(key, account, EntryKind.REVERSE, -spend.amount, reverses_id=spend.pk, note=reason)
    if earlier:
        return earlier
    if spend.kind != EntryKind.SPEND:
        raise ValidationError({"entry": errors.ERR_NOT_A_SPEND})
    if Entry.objects.filter(reverses=spend).exists():
        raise ValidationError({"entry": errors.ERR_ALREADY_REVERSED})
    assert spend.value is not None  # a spend always carries its value (the entry_spend_has_provider constraint)
    return _post(
        account,
        kind=EntryKind.REVERSE,
        amount=-spend.amount,
        key=key,
        actor=actor,
        reference=spend.reference,
        note=reason,
        reverses=spend,
        provider=spend.provider,
        value=-spend.value,
    )


@transaction.atomic(durable=True)
def allowance_adjust(*, actor: User, account: Account, amount: int, key: str, reason: str) -> Entry:
    """Correct what was issued (an appeal upheld, a late assessment): up or down, never below zero."""
    require(actor, Cap.MANAGE_ENTITLEMENTS)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise ValidationError({"amount": errors.ERR_AMOUNT})
    if not reason.strip():
        raise ValidationError({"reason": errors.ERR_REASON})
    account = _locked(account, actor)
    earlier = _replay(key, account, EntryKind.ADJUST, amount, note=reason)
    if earlier:
        return earlier
    if account.balance + amount < 0:
        raise ValidationError({"amount": errors.ERR_ADJUST_BELOW_ZERO.format(balance=format_units(account.balance, account.unit))})
    return _post(account, kind=EntryKind.ADJUST, amount=amount, key=key, actor=actor, note=reason)


EXPIRE_BATCH = 5_000


def accounts_expire(*, today: dt.date | None = None) -> int:
    """Post an expiry entry on every account past its validity that still holds something; a
    system job. Batches claim their accounts with SKIP LOCKED, so several workers can share the
    sweep, and a spend in flight finishes first. Returns the number of accounts expired."""
    today = today or timezone.localdate()
    expired = 0
    while True:
        with transaction.atomic():
            claimed = list(
                Account.objects.select_for_update(skip_locked=True)
                .filter(expires_on__lt=today, balance__gt=0)
                .order_by("pk")
                .values_list("pk", "balance")[:EXPIRE_BATCH]
            )
            if not claimed:
                return expired
            # The key names the balance it expires: a reversal later (money back on an expired
            # account) is expired again by the next sweep under a new key.
            last = dict(
                Entry.objects.filter(account_id__in=[pk for pk, _ in claimed])
                .order_by()
                .values("account_id")
                .annotate(last=Max("pk"))
                .values_list("account_id", "last")
            )
            Entry.objects.bulk_create(
                Entry(
                    account_id=pk,
                    kind=EntryKind.EXPIRE,
                    amount=-balance,
                    balance_after=0,
                    key=f"expire:{pk}:{last.get(pk, 0)}",
                    note="到期未使用 / unused at expiry",
                )
                for pk, balance in claimed
            )
            Account.objects.filter(pk__in=[pk for pk, _ in claimed]).update(balance=0)
            expired += len(claimed)
