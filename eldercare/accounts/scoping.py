"""Who may see what: every selector and service asks here.

A Scope turns into a filter on any model that knows its region code and,
where relevant, its elder; apps pass the field paths, the rules stay here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from eldercare.core.errors import Err
from eldercare.regions.models import subtree_bounds

from .roles import CAPABILITIES, SCOPE_KIND, Cap, Role, ScopeKind

ERR_NO_CAPABILITY = Err("accounts.no_capability", "无此权限 / not permitted for this role")
ERR_OUT_OF_SCOPE = Err("accounts.out_of_scope", "该记录不在您的管辖范围内 / this record is outside your region")
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

    @property
    def everywhere(self) -> bool:
        """The whole platform (system administrators)."""
        return self.kind == ScopeKind.ALL

    @property
    def regional(self) -> bool:
        """Records are reached by region: the whole platform or a region subtree."""
        return self.kind in (ScopeKind.ALL, ScopeKind.REGION)

    @property
    def personal(self) -> bool:
        """Records are reached through a person: the elder themself or a family member."""
        return self.kind in (ScopeKind.SELF, ScopeKind.FAMILY)

    @property
    def family(self) -> bool:
        return self.kind == ScopeKind.FAMILY


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


def in_region(user, code: str) -> bool:
    """Whether the region code (any level) lies within the user's region scope."""
    return scope_for(user).covers_region(code)


def require_region(user, code: str) -> None:
    """Refuse (403) a record or action in a region outside the user's scope."""
    if not scope_for(user).covers_region(code):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)


def require_elder(user, elder) -> None:
    """Refuse (403) an action on an elder whose residence lies outside the user's region scope.

    Reads of an elder go through `elders.selectors.elder_get` (404 out of scope); this guards writes
    that were handed an elder already loaded."""
    require_region(user, elder.residence_id)


def is_platform_admin(user) -> bool:
    """A system administrator (the role, or Django's superuser flag)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.role == Role.SYSTEM_ADMIN
