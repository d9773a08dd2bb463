"""Roles and what each may do. The only table of permissions in the platform."""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eldercare.regions.models import Level


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    CIVIL_CITY = "civil_city", _("市级民政")
    CIVIL_COUNTY = "civil_county", _("区县民政")
    CIVIL_STREET = "civil_street", _("街道（乡镇）民政")
    CENTER_OPERATOR = "center_operator", _("服务中心运营")
    PROVIDER_ADMIN = "provider_admin", _("服务商管理员")
    CAREGIVER = "caregiver", _("护理员")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    CARE_ADVISOR = "care_advisor", _("养老顾问")
    FAMILY_DOCTOR = "family_doctor", _("家庭医生")
    VOLUNTEER = "volunteer", _("志愿者")
    ELDER = "elder", _("老年人")
    FAMILY = "family", _("家属")
    ASSESSOR = "assessor", _("评估员")  # staff of a third-party assessment agency


class Cap(enum.StrEnum):
    VIEW_ELDERS = "view_elders"
    EDIT_ELDERS = "edit_elders"
    VIEW_HEALTH = "view_health"  # disability, dementia and other health facts
    REVEAL_ID = "reveal_id"  # see a full ID number (each view audited)
    EXPORT_ELDERS = "export_elders"
    IMPORT_ELDERS = "import_elders"
    VIEW_REGIONS = "view_regions"
    ASSESS = "assess"  # enter and submit ability assessments (also needs a valid assessor qualification)
    MANAGE_ASSESSMENTS = "manage_assessments"  # schedule, review, make effective, cancel
    MANAGE_ASSESSORS = "manage_assessors"  # record assessor qualifications (民政 certify assessors, MZ/T 039-2013 4.2.1)
    VIEW_ENTITLEMENTS = "view_entitlements"  # allowance accounts, their ledger, eligibility explained
    MANAGE_ENTITLEMENTS = "manage_entitlements"  # run issuance and expiry, adjust accounts, simulate policies
    SPEND_ALLOWANCE = "spend_allowance"  # draw on an allowance by hand (orders draw on it themselves when confirmed)
    MANAGE_CATALOG = "manage_catalog"  # guide prices, providers and their service areas
    MANAGE_CAREGIVERS = "manage_caregivers"  # a provider's own caregivers
    REQUEST_SERVICE = "request_service"  # place an order for an elder
    DISPATCH = "dispatch"  # match, assign and dispatch orders
    SERVE = "serve"  # accept, check in and out of the orders assigned to oneself
    CONFIRM_SERVICE = "confirm_service"  # confirm and rate a delivered service
    VIEW_ORDERS = "view_orders"
    VIEW_ALARMS = "view_alarms"  # the alarm board and devices of the region
    HANDLE_ALARMS = "handle_alarms"  # acknowledge, dispatch, resolve alarms


class ScopeKind(enum.StrEnum):
    ALL = "all"  # the whole platform
    REGION = "region"  # the user's region subtree
    SELF = "self"  # the elder's own record
    FAMILY = "family"  # elders the user is a registered contact of
    NONE = "none"  # nothing in the registry (until orders / time bank link them)


_OFFICER = {
    Cap.VIEW_ELDERS,
    Cap.EDIT_ELDERS,
    Cap.VIEW_HEALTH,
    Cap.REVEAL_ID,
    Cap.EXPORT_ELDERS,
    Cap.IMPORT_ELDERS,
    Cap.VIEW_REGIONS,
    Cap.MANAGE_ASSESSMENTS,
    Cap.ASSESS,
    Cap.VIEW_ENTITLEMENTS,
    Cap.VIEW_ORDERS,
    Cap.VIEW_ALARMS,
}

CAPABILITIES: dict[Role, frozenset[Cap]] = {
    Role.SYSTEM_ADMIN: frozenset(Cap),
    # Allowances are issued and adjusted by the civil-affairs offices that fund them (city, county).
    Role.CIVIL_CITY: frozenset(_OFFICER | {Cap.MANAGE_ASSESSORS, Cap.MANAGE_ENTITLEMENTS, Cap.MANAGE_CATALOG}),
    Role.CIVIL_COUNTY: frozenset(_OFFICER | {Cap.MANAGE_ENTITLEMENTS, Cap.MANAGE_CATALOG}),
    Role.CIVIL_STREET: frozenset(_OFFICER),
    # Community workers order services on elders' behalf and confirm them for elders who cannot.
    Role.COMMUNITY_WORKER: frozenset(_OFFICER | {Cap.REQUEST_SERVICE, Cap.CONFIRM_SERVICE, Cap.HANDLE_ALARMS}),
    # Centre operators plan services for the elders around them: masked identities, no health data
    # (care needs reach them through assessments and orders).
    # They also take phone orders and dispatch them.
    Role.CENTER_OPERATOR: frozenset(
        {
            Cap.VIEW_ELDERS,
            Cap.EXPORT_ELDERS,
            Cap.VIEW_REGIONS,
            Cap.VIEW_ENTITLEMENTS,
            Cap.SPEND_ALLOWANCE,
            Cap.REQUEST_SERVICE,
            Cap.DISPATCH,
            Cap.VIEW_ORDERS,
            Cap.VIEW_ALARMS,
            Cap.HANDLE_ALARMS,  # the centre's call desk answers one-key calls
        }
    ),
    # Advisors (养老顾问) tell elders what they are entitled to.
    Role.CARE_ADVISOR: frozenset({Cap.VIEW_ELDERS, Cap.VIEW_HEALTH, Cap.VIEW_REGIONS, Cap.ASSESS, Cap.VIEW_ENTITLEMENTS}),
    Role.FAMILY_DOCTOR: frozenset({Cap.VIEW_ELDERS, Cap.VIEW_HEALTH, Cap.VIEW_REGIONS, Cap.ASSESS}),
    # Providers, caregivers and volunteers reach elders through orders and visits, not the registry:
    # a provider's orders and caregivers, a caregiver's own tasks.
    Role.PROVIDER_ADMIN: frozenset({Cap.MANAGE_CAREGIVERS, Cap.DISPATCH, Cap.VIEW_ORDERS}),
    Role.CAREGIVER: frozenset({Cap.SERVE, Cap.VIEW_ORDERS}),
    Role.VOLUNTEER: frozenset(),
    Role.ELDER: frozenset(
        {Cap.VIEW_ELDERS, Cap.VIEW_HEALTH, Cap.VIEW_ENTITLEMENTS, Cap.REQUEST_SERVICE, Cap.CONFIRM_SERVICE, Cap.VIEW_ORDERS}
    ),
    Role.FAMILY: frozenset(
        {Cap.VIEW_ELDERS, Cap.VIEW_HEALTH, Cap.VIEW_ENTITLEMENTS, Cap.REQUEST_SERVICE, Cap.CONFIRM_SERVICE, Cap.VIEW_ORDERS}
    ),
    # Agency assessors reach elders only through the assessments assigned to them.
    Role.ASSESSOR: frozenset({Cap.ASSESS}),
}

SCOPE_KIND: dict[Role, ScopeKind] = {
    Role.SYSTEM_ADMIN: ScopeKind.ALL,
    Role.CIVIL_CITY: ScopeKind.REGION,
    Role.CIVIL_COUNTY: ScopeKind.REGION,
    Role.CIVIL_STREET: ScopeKind.REGION,
    Role.COMMUNITY_WORKER: ScopeKind.REGION,
    Role.CENTER_OPERATOR: ScopeKind.REGION,
    Role.CARE_ADVISOR: ScopeKind.REGION,
    Role.FAMILY_DOCTOR: ScopeKind.REGION,
    Role.PROVIDER_ADMIN: ScopeKind.NONE,
    Role.CAREGIVER: ScopeKind.NONE,
    Role.VOLUNTEER: ScopeKind.NONE,
    Role.ELDER: ScopeKind.SELF,
    Role.FAMILY: ScopeKind.FAMILY,
    Role.ASSESSOR: ScopeKind.NONE,
}

# The region level a role's user must be attached to (None: any level or none).
REQUIRED_LEVEL: dict[Role, tuple[int, ...] | None] = {
    Role.SYSTEM_ADMIN: None,
    Role.CIVIL_CITY: (Level.CITY,),
    Role.CIVIL_COUNTY: (Level.COUNTY,),
    Role.CIVIL_STREET: (Level.STREET,),
    Role.COMMUNITY_WORKER: (Level.STREET, Level.COMMUNITY),
    Role.CENTER_OPERATOR: (Level.CITY, Level.COUNTY, Level.STREET, Level.COMMUNITY),
    Role.CARE_ADVISOR: (Level.STREET, Level.COMMUNITY),
    Role.FAMILY_DOCTOR: (Level.STREET, Level.COMMUNITY),
    Role.PROVIDER_ADMIN: None,
    Role.CAREGIVER: None,
    Role.VOLUNTEER: None,
    Role.ELDER: None,
    Role.FAMILY: None,
    Role.ASSESSOR: None,
}


# Which roles must use a second factor and change their passwords on a schedule is deployment
# policy (settings.ELDERCARE_OTP_REQUIRED_ROLES, ELDERCARE_PASSWORD_EXPIRY_ROLES): role names, checked at start.


def policy_role(user) -> Role:
    """The role the security policies apply to: a superuser counts as a system administrator."""
    return Role.SYSTEM_ADMIN if user.is_superuser else Role(user.role)


def otp_required(user) -> bool:
    return policy_role(user) in settings.ELDERCARE_OTP_REQUIRED_ROLES


def password_expires(user) -> bool:
    return policy_role(user) in settings.ELDERCARE_PASSWORD_EXPIRY_ROLES
