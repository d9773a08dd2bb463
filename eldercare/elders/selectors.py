"""Every read of the registry that users see; each takes the acting user so
scoping cannot be forgotten."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.encoding import smart_str

from eldercare.accounts import security
from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap, require, scope_for
from eldercare.core.crypto import keyed_hash
from eldercare.regions.models import PREFIX_LENGTH, Level, Region, subtree_bounds

from . import errors, idnumber
from .models import HEALTH_GROUPS, Consent, Contact, DisabilityLevel, Elder, ElderGroup, ElderStatus, LivingStatus, PriorityGroup

HEALTH_HIDDEN = "（健康信息已隐藏）"


def scoped_elders(actor: User) -> QuerySet[Elder]:
    require(actor, Cap.VIEW_ELDERS)
    scope = scope_for(actor)
    qs = Elder.objects.filter(scope.q(region_field="residence_id", self_field="user_id", family_field="contacts__user_id"))
    # A family member may be a contact of an elder twice over (e.g. guardian and emergency contact).
    return qs.distinct() if scope.family else qs


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class ElderFilters:
    region: str | None = None  # a region code; its whole subtree
    age_min: int | None = None
    age_max: int | None = None
    groups: list[str] = field(default_factory=list)  # any of these priority groups, active on `on`
    living_status: str | None = None
    status: str | None = ElderStatus.ACTIVE
    q: str | None = None  # name prefix or a full ID number
    on: dt.date | None = None


def elder_list(*, actor: User, filters: ElderFilters | None = None) -> QuerySet[Elder]:
    filters = filters or ElderFilters()
    on = filters.on or timezone.localdate()
    qs = scoped_elders(actor)
    if filters.region:
        region = Region.objects.filter(code=filters.region).first()
        if region is None:
            raise ValidationError({"region": errors.ERR_REGION_UNKNOWN.format(code=filters.region)})
        lo, hi = subtree_bounds(region.code, region.level)
        qs = qs.filter(residence_id__gte=lo, residence_id__lte=hi)
    if filters.age_min is not None:
        qs = qs.filter(birth_date__lte=years_before(on, filters.age_min))
    if filters.age_max is not None:
        qs = qs.filter(birth_date__gt=years_before(on, filters.age_max + 1))
    if filters.groups:
        unknown = set(filters.groups) - set(PriorityGroup.values)
        if unknown:
            raise ValidationError({"groups": f"未知的重点人群 {', '.join(sorted(unknown))} / unknown priority group"})
        if HEALTH_GROUPS & set(filters.groups) and not has_cap(actor, Cap.VIEW_HEALTH):
            raise PermissionDenied("无权按健康信息筛选 / not permitted to filter by health data")
        qs = qs.filter(Exists(ElderGroup.objects.active_on(on).filter(elder=OuterRef("pk"), group__in=filters.groups)))
    if filters.living_status:
        qs = qs.filter(living_status=filters.living_status)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        text = filters.q.strip()
        normalised = idnumber.normalise(text)
        if len(normalised) == 18 and normalised[:17].isdigit():
            qs = qs.filter(id_hash=keyed_hash(normalised))
        else:
            qs = qs.filter(name__startswith=text)
    # Lists show masked forms only: skip decrypting the full ID number and phone of every row.
    return qs.select_related("residence").defer("id_number", "phone").order_by("residence_id", "id")


def with_groups(qs: QuerySet[Elder], on: dt.date | None = None) -> QuerySet[Elder]:
    on = on or timezone.localdate()
    active = Prefetch("groups", queryset=ElderGroup.objects.active_on(on).order_by("group"), to_attr="active_groups")
    return qs.prefetch_related(active)  # type: ignore[no-redef]  # plugin takes the annotation-only Elder.active_groups for a clash


def elder_get(*, actor: User, pk: int) -> Elder:
    """One elder, or 404 when it does not exist or lies outside the actor's scope
    (a refusal must not reveal that the record exists)."""
    try:
        return (
            scoped_elders(actor)
            .select_related("residence", "hukou_region", "household", "user")
            .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("priority", "id")))
            .get(pk=pk)
        )
    except Elder.DoesNotExist:
        if Elder.objects.filter(pk=pk).exists():  # there, but not theirs: a refusal, audited (the answer stays 404)
            security.record(
                security.Kind.DENIED,
                security.Outcome.REFUSED,
                request=security.current_request.get(),
                user=actor,
                code="elders.out_of_scope",
                detail=f"elder {pk}",
            )
        raise Http404(errors.ERR_NOT_FOUND) from None


def group_label(group: str, level: str = "") -> str:
    label = str(PriorityGroup(group).label)
    return f"{label}（{DisabilityLevel(level).label}）" if level else label


def visible_groups(actor: User, memberships: Iterable[ElderGroup | tuple[str, str]]) -> list[str]:
    """Labels of group memberships (ElderGroup rows or (group, level) pairs) the actor may see;
    health data collapses into one hidden marker without VIEW_HEALTH."""
    health = has_cap(actor, Cap.VIEW_HEALTH)
    labels: list[str] = []
    for membership in memberships:
        group, level = (membership.group, membership.level) if isinstance(membership, ElderGroup) else membership
        label = group_label(group, level) if health or group not in HEALTH_GROUPS else HEALTH_HIDDEN
        if label not in labels:
            labels.append(label)
    return labels


def phone_for(actor: User, elder_or_contact: Elder | Contact) -> str:
    return (
        elder_or_contact.phone
        if has_cap(actor, Cap.EDIT_ELDERS) or scope_for(actor).kind in ("self", "family")
        else elder_or_contact.phone_masked
    )


def elder_audit(*, actor: User, elder: Elder) -> QuerySet[LogEntry]:
    """Audit entries of an elder and of the records hanging off it, newest first.
    Registry editors only: the trail names who looked at what."""
    require(actor, Cap.EDIT_ELDERS)
    q = Q(content_type=ContentType.objects.get_for_model(Elder), object_id=elder.pk)
    for model, related in ((ElderGroup, elder.groups), (Contact, elder.contacts), (Consent, elder.consents)):
        q |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=list(related.values_list("pk", flat=True)))
    return LogEntry.objects.filter(q).select_related("actor").order_by("-timestamp", "-pk")  # type: ignore[no-any-return]  # auditlog is untyped


def elder_counts(*, actor: User) -> dict[str, int | None]:
    """Active elders in the actor's scope: all, 80 and over, living alone, and
    (only for roles that may see health data) disabled."""

    def count(**filters: Any) -> int:
        return elder_list(actor=actor, filters=ElderFilters(**filters)).count()

    return {
        "total": count(),
        "age_80_plus": count(age_min=80),
        "alone": count(living_status=LivingStatus.ALONE),
        "disabled": count(groups=[PriorityGroup.DISABLED]) if has_cap(actor, Cap.VIEW_HEALTH) else None,
    }


def elder_counts_by_region(*, actor: User, regions: Sequence[Region]) -> dict[str, int]:
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
            elder_list(actor=actor)
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


def elder_get_with_groups(*, actor: User, pk: int, on: dt.date | None = None) -> Elder:
    """One elder in scope (404 otherwise) with its active priority groups attached
    as `active_groups`, as `presenters.elder_row` expects."""
    elder = elder_get(actor=actor, pk=pk)
    on = on or timezone.localdate()
    elder.active_groups = list(ElderGroup.objects.active_on(on).filter(elder=elder).order_by("group"))
    return elder


def elder_consents(*, actor: User, elder: Elder) -> list[Consent]:
    """Consents of an elder the actor has already been allowed to open, newest first per kind."""
    require(actor, Cap.VIEW_ELDERS)
    return list(elder.consents.select_related("recorded_by").order_by("kind", "-recorded_at", "-pk"))


def elder_audit_page(*, actor: User, elder: Elder, limit: int = 100) -> list[LogEntry] | None:
    """The newest audit entries of the record, or None for roles that may not read the trail."""
    if not has_cap(actor, Cap.EDIT_ELDERS):
        return None
    # The content type is read per entry when showing changes: fetch it with the entries.
    entries = list(elder_audit(actor=actor, elder=elder).select_related("content_type")[:limit])
    _name_related_values(entries)
    return entries


def _name_related_values(entries: list[LogEntry]) -> None:
    """django-auditlog names a changed foreign key's old and new value by reading each one
    (`changes_display_dict`): two queries per entry that moved an elder between communities. Read
    them all at once, one query per related model, and let the entries answer from that."""
    wanted: dict[type[Model], set[object]] = defaultdict(set)
    for entry in entries:
        if entry.action != LogEntry.Action.UPDATE:  # the page shows the changes of updates only
            continue
        model = entry.content_type.model_class() if entry.content_type_id else None
        if model is None:
            continue
        for changed, values in (entry.changes_dict or {}).items():
            relation = _relation(model, changed)
            if relation is not None:
                wanted[relation.related_model].update(_pk(relation, v) for v in values if v not in (None, "None"))
    found = {related: related._default_manager.in_bulk([pk for pk in pks if pk is not None]) for related, pks in wanted.items()}

    def name(relation: Any, value: Any) -> str:  # a ForeignKey or OneToOneField, as auditlog passes it
        if value in (None, "None"):
            return "None"
        obj = found.get(relation.related_model, {}).get(_pk(relation, value))
        return smart_str(obj) if obj is not None else f"Deleted '{relation.related_model.__name__}' ({value})"

    for entry in entries:
        # An instance attribute answers before the class's method: the same signature, from memory.
        setattr(entry, "_get_changes_display_for_fk_field", name)  # noqa: B010


def _relation(model: type[Model], name: str) -> Any:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.is_relation and (field.many_to_one or field.one_to_one) and field.related_model is not None else None


def _pk(field: Any, value: Any) -> Any:
    try:
        return field.related_model._meta.pk.to_python(value)
    except ValidationError:
        return None
