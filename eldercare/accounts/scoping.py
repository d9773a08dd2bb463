"""Who may see what: every selector and service asks here.

A Scope turns into a filter on any model that knows its region code and,
where relevant, its elder; apps pass the field paths, the rules stay here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from eldercare.regions.models import subtree_bounds

from .roles import CAPABILITIES, SCOPE_KIND, Cap, Role, ScopeKind

ERR_NO_CAPABILITY = "无此权限 / not permitted for this role"
ERR_OUT_OF_SCOPE = "该记录不在您的管辖范围内 / this record is outside your region"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    user_id: int | None = None
    lo: str = ""
    hi: str = ""

    def q(self, *, region_field: str, self_field: str | None = None, family_field: str | None = None) -> Q:
        """A filter for the rows this scope may see.

        region_field names the 12-digit region code (e.g. "residence_id"),
        self_field the user linked to the elder, family_field a contact's user.
        """
        if self.kind == ScopeKind.ALL:
            return Q()
        if self.kind == ScopeKind.REGION:
            return Q(**{f"{region_field}__gte": self.lo, f"{region_field}__lte": self.hi})
        if self.kind == ScopeKind.SELF and self_field:
            return Q(**{self_field: self.user_id})
        if self.kind == ScopeKind.FAMILY and family_field:
            return Q(**{family_field: self.user_id})
        return Q(pk__in=[])

    def covers_region(self, code: str) -> bool:
        if self.kind == ScopeKind.ALL:
            return True
        if self.kind == ScopeKind.REGION:
            return self.lo <= code <= self.hi
        return False


def scope_for(user) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(ScopeKind.NONE)
    if user.is_superuser:
        return Scope(ScopeKind.ALL, user.pk)
    role = Role(user.role)
    kind = SCOPE_KIND[role]
    if kind == ScopeKind.REGION:
        if user.region_id is None:
            return Scope(ScopeKind.NONE, user.pk)
        lo, hi = subtree_bounds(user.region.code, user.region.level)
        return Scope(kind, user.pk, lo, hi)
    return Scope(kind, user.pk)


def has_cap(user, cap: Cap) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return cap in CAPABILITIES[Role(user.role)]


def require(user, cap: Cap) -> None:
    if not has_cap(user, cap):
        raise PermissionDenied(ERR_NO_CAPABILITY)
