"""Every write to the registry. Each takes the acting user, checks scope and
capability, validates, writes in one transaction and leaves an audit entry."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_region
from eldercare.core.crypto import keyed_hash
from eldercare.regions.models import Level, Region

from . import errors, idnumber
from .models import ASSESSED_GROUPS, Consent, Contact, DisabilityLevel, Elder, ElderGroup, LivingStatus, PriorityGroup, age_on

ELDER_MIN_AGE = 60  # 《老年人权益保障法》第二条: 老年人是指六十周岁以上的公民
CLEAN_EXCLUDE = ["id_hash", "id_masked", "phone_masked", "user", "household", "hukou_region", "residence"]
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")

# Fields a registry editor may change after creation (the ID number is fixed: a
# wrong one means a wrong person, so the record is closed and a new one made).
EDITABLE_FIELDS = frozenset(
    {"name", "hukou_region", "residence", "household", "phone", "address", "latitude", "longitude", "living_status", "notes"}
)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def _check_phone(phone: str, field: str = "phone") -> str:
    phone = idnumber.normalise(phone).replace("-", "") if phone else ""
    if phone and not PHONE_RE.match(phone):
        raise ValidationError({field: errors.ERR_PHONE})
    return phone


def _clean(elder: Elder) -> None:
    """Field validation without the per-row queries of full_clean's FK, unique and
    constraint checks: the FKs are objects already in hand, uniqueness is the
    id_hash check, and the database enforces the constraints (the coordinate
    ranges are checked here too, for a clear message)."""
    for field, bound in (("latitude", 90), ("longitude", 180)):
        value = getattr(elder, field)
        if value is not None and not -bound <= float(value) <= bound:
            raise ValidationError({field: errors.ERR_COORDINATE.format(bound=bound)})
    elder.full_clean(exclude=CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)


def _check_in_scope(actor: User, region_code: str) -> None:
    require_region(actor, region_code)


def _check_residence(region: Region) -> None:
    if region.level != Level.COMMUNITY:
        raise ValidationError({"residence": errors.ERR_NOT_COMMUNITY})


def parse_id_for(raw: str, *, birth_date: dt.date | None = None, sex: str | None = None, today: dt.date | None = None) -> idnumber.IdNumber:
    """Validate an ID number and cross-check any birth date and sex given with it."""
    today = today or timezone.localdate()
    try:
        parsed = idnumber.parse(raw, today=today)
    except idnumber.InvalidIdNumber as exc:
        raise ValidationError({"id_number": exc.error}) from exc
    if birth_date and birth_date != parsed.birth_date:
        raise ValidationError({"birth_date": errors.ERR_BIRTH_MISMATCH.format(derived=parsed.birth_date.isoformat())})
    if sex and sex != parsed.sex:
        derived = "男" if parsed.sex == idnumber.Sex.MALE else "女"
        raise ValidationError({"sex": errors.ERR_SEX_MISMATCH.format(derived=derived)})
    if age_on(parsed.birth_date, today) < ELDER_MIN_AGE:
        raise ValidationError({"id_number": errors.ERR_NOT_ELDER_AGE})
    return parsed


def build_elder(
    *,
    id_number: str,
    name: str,
    residence: Region,
    birth_date: dt.date | None = None,
    sex: str | None = None,
    phone: str = "",
    living_status: str = LivingStatus.WITH_FAMILY,
    **fields: Any,
) -> Elder:
    """Validate and build an unsaved Elder (shared by single create and bulk import)."""
    parsed = parse_id_for(id_number, birth_date=birth_date, sex=sex)
    _check_residence(residence)
    phone = _check_phone(phone)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "姓名不能为空 / the name is required"})
    elder = Elder(
        name=name,
        id_number=parsed.number,
        id_hash=keyed_hash(parsed.number),
        id_masked=parsed.masked,
        birth_date=parsed.birth_date,
        sex=parsed.sex,
        residence=residence,
        phone=phone,
        phone_masked=mask_phone(phone) if phone else "",
        living_status=living_status,
        **fields,
    )
    _clean(elder)
    return elder


@transaction.atomic
def elder_create(*, actor: User, id_number: str, name: str, residence: Region, **fields: Any) -> Elder:
    require(actor, Cap.EDIT_ELDERS)
    _check_in_scope(actor, residence.code)
    elder = build_elder(id_number=id_number, name=name, residence=residence, **fields)
    if Elder.objects.filter(id_hash=elder.id_hash).exists():
        raise ValidationError({"id_number": errors.ERR_DUPLICATE_ID}, code="duplicate")
    with set_actor(actor):
        try:
            with transaction.atomic():
                elder.save()
        except IntegrityError as exc:  # a concurrent registration of the same person won the race
            raise ValidationError({"id_number": errors.ERR_DUPLICATE_ID}, code="duplicate") from exc
    return elder


@transaction.atomic
def elder_update(*, actor: User, elder: Elder, **changes: Any) -> Elder:
    require(actor, Cap.EDIT_ELDERS)
    _check_in_scope(actor, elder.residence_id)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(errors.ERR_UNKNOWN_FIELD.format(fields=", ".join(sorted(unknown))))
    if "residence" in changes:
        _check_residence(changes["residence"])
        _check_in_scope(actor, changes["residence"].code)
    if "phone" in changes:
        changes["phone"] = _check_phone(changes["phone"])
        elder.phone_masked = mask_phone(changes["phone"]) if changes["phone"] else ""
    for field, value in changes.items():
        setattr(elder, field, value)
    _clean(elder)
    with set_actor(actor):
        elder.save()
    return elder


@transaction.atomic
def elder_set_status(*, actor: User, elder: Elder, status: str, on: dt.date) -> Elder:
    """Dynamic population change: moved out or deceased (the record is kept)."""
    require(actor, Cap.EDIT_ELDERS)
    _check_in_scope(actor, elder.residence_id)
    elder.status = status
    elder.status_date = on
    _clean(elder)
    with set_actor(actor):
        elder.save()
    return elder


def validate_group(*, group: str, level: str, valid_from: dt.date, valid_to: dt.date | None) -> None:
    if group not in PriorityGroup.values:
        raise ValidationError({"group": f"未知的重点人群 {group} / unknown priority group"})
    if group in ASSESSED_GROUPS:
        raise ValidationError({"group": errors.ERR_FROM_ASSESSMENT})
    if level:
        raise ValidationError({"level": errors.ERR_LEVEL_ONLY_DISABILITY})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": errors.ERR_DATES_ORDER})


@transaction.atomic
def elder_group_add(
    *, actor: User, elder: Elder, group: str, valid_from: dt.date, level: str = "", valid_to: dt.date | None = None, source: str = ""
) -> ElderGroup:
    """Record a priority-group membership; an open membership of the same group ends the day before."""
    require(actor, Cap.EDIT_ELDERS)
    _check_in_scope(actor, elder.residence_id)
    validate_group(group=group, level=level, valid_from=valid_from, valid_to=valid_to)
    with set_actor(actor):
        for open_one in ElderGroup.objects.select_for_update().filter(
            elder=elder, group=group, valid_to__isnull=True, valid_from__lt=valid_from
        ):
            open_one.valid_to = valid_from - dt.timedelta(days=1)
            open_one.save(update_fields=["valid_to"])
        return ElderGroup.objects.create(elder=elder, group=group, level=level, valid_from=valid_from, valid_to=valid_to, source=source)


def elder_disability_set(*, elder: Elder, degree: str, valid_from: dt.date, source: str) -> ElderGroup | None:
    """Project an effective assessment onto the registry's 失能 membership.

    Called only by `assessments.services.assessment_make_effective`, inside its transaction and
    after its capability and scope checks. From `valid_from` on, the elder's disability is
    `degree` (mild / moderate / severe) or none: an open membership ends the day before, one
    that would start later is dropped (the newer assessment supersedes it).
    """
    if degree and degree not in DisabilityLevel.values:
        raise ValidationError({"level": errors.ERR_DISABILITY_LEVEL})
    current = ElderGroup.objects.select_for_update().filter(elder=elder, group=PriorityGroup.DISABLED)
    for later in current.filter(valid_from__gte=valid_from):
        later.delete()
    for open_one in current.filter(valid_from__lt=valid_from).exclude(valid_to__lt=valid_from):
        open_one.valid_to = valid_from - dt.timedelta(days=1)
        open_one.save(update_fields=["valid_to"])
    if not degree:
        return None
    return ElderGroup.objects.create(elder=elder, group=PriorityGroup.DISABLED, level=degree, valid_from=valid_from, source=source)


@transaction.atomic
def elder_group_end(*, actor: User, membership: ElderGroup, valid_to: dt.date) -> ElderGroup:
    require(actor, Cap.EDIT_ELDERS)
    _check_in_scope(actor, membership.elder.residence_id)
    validate_group(group=membership.group, level=membership.level, valid_from=membership.valid_from, valid_to=valid_to)
    with set_actor(actor):
        membership.valid_to = valid_to
        membership.save(update_fields=["valid_to"])
    return membership


@transaction.atomic
def contact_add(
    *,
    actor: User,
    elder: Elder,
    name: str,
    relation: str,
    phone: str,
    is_guardian: bool = False,
    is_emergency: bool = True,
    priority: int = 1,
    user: User | None = None,
) -> Contact:
    require(actor, Cap.EDIT_ELDERS)
    _check_in_scope(actor, elder.residence_id)
    phone = _check_phone(phone)
    if not phone:
        raise ValidationError({"phone": errors.ERR_PHONE})
    contact = Contact(
        elder=elder,
        name=name.strip(),
        relation=relation,
        phone=phone,
        phone_masked=mask_phone(phone),
        is_guardian=is_guardian,
        is_emergency=is_emergency,
        priority=priority,
        user=user,
    )
    contact.full_clean(exclude=["phone_masked"])
    with set_actor(actor):
        contact.save()
    return contact


@transaction.atomic
def consent_record(*, actor: User, elder: Elder, kind: str, granted: bool, signed_by: str, note: str = "") -> Consent:
    require(actor, Cap.EDIT_ELDERS)
    _check_in_scope(actor, elder.residence_id)
    consent = Consent(elder=elder, kind=kind, granted=granted, signed_by=signed_by.strip(), recorded_by=actor, note=note)
    consent.full_clean()
    with set_actor(actor):
        consent.save()
    return consent


def elder_reveal_id(*, actor: User, elder: Elder) -> str:
    """The full ID number, for roles that need it; every reveal is audited."""
    require(actor, Cap.REVEAL_ID)
    _check_in_scope(actor, elder.residence_id)
    with set_actor(actor):
        accessed.send(sender=Elder, instance=elder)
    return elder.id_number


def phone_reveal(*, actor: User, record: Elder | Contact, alarm_id: int | None = None) -> str:
    """The full phone number of an elder or of one of their contacts, for the staff who answer alarms
    (the call desk must reach them in one click); every reveal is audited like an ID number's, as an
    access entry naming the phone (and the alarm it was for)."""
    require(actor, Cap.HANDLE_ALARMS)
    elder = record if isinstance(record, Elder) else record.elder
    _check_in_scope(actor, elder.residence_id)
    reason: dict[str, Any] = {"revealed": "phone"}
    if alarm_id is not None:
        reason["alarm"] = alarm_id
    with set_actor(actor):
        LogEntry.objects.log_create(record, force_log=True, action=LogEntry.Action.ACCESS, changes={}, additional_data=reason)
    return record.phone
