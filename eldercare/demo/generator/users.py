"""Demo logins, one per role, all with DEMO_PASSWORD, working in 上城区 and its first
street and community; plus the inactive system user that records the consents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.hashers import make_password

from eldercare.accounts.models import User
from eldercare.accounts.roles import REQUIRED_LEVEL, Role
from eldercare.elders.models import Contact, Elder, ElderStatus, LivingStatus, Relation
from eldercare.elders.selectors import years_before
from eldercare.regions.models import Region

from .. import data
from .regions import RegionPlan

DEMO_PASSWORD = "eldercare-demo"
SYSTEM_USERNAME = "system"


class DemoUsers:
    """Staff logins before the elders are written; `elder` and `family` after, on a real record.
    Users already there are left as they are."""

    system_user_id: int  # set by create_staff

    def __init__(self, plan: RegionPlan, password: str):
        self.plan = plan
        self.password = password  # hashed once: hashing is slow on purpose
        _, street_code, street_name = plan.demo_street
        community = plan.demo_community
        self.community_code = community.code
        city, county = data.CITY[0], data.COUNTIES[0].code6 + "000000"
        self.staff = [
            # username, role, region code, display name, superuser
            ("admin", Role.SYSTEM_ADMIN, None, "系统管理员", True),
            ("city_officer", Role.CIVIL_CITY, city, "杭州市民政局 王科长", False),
            ("county_officer", Role.CIVIL_COUNTY, county, "上城区民政局 陈科员", False),
            ("street_officer", Role.CIVIL_STREET, street_code, f"{street_name} 张专员", False),
            ("centre_operator", Role.CENTER_OPERATOR, street_code, f"{street_name}养老服务中心 李主任", False),
            ("community_worker", Role.COMMUNITY_WORKER, community.code, f"{community.name} 周社工", False),
            ("advisor", Role.CARE_ADVISOR, community.code, f"{community.name} 养老顾问 徐颖", False),
            ("doctor", Role.FAMILY_DOCTOR, community.code, f"{community.name} 家庭医生 沈医生", False),
            ("provider_admin", Role.PROVIDER_ADMIN, county, "安康居家养老服务公司 吴经理", False),
            ("caregiver", Role.CAREGIVER, street_code, "护理员 金秀芳", False),
            ("volunteer", Role.VOLUNTEER, community.code, "志愿者 朱晓东", False),
            ("assessor", Role.ASSESSOR, None, "评估机构 评估员 何敏", False),
        ]

    def create_staff(self, log: Callable[[str], None]) -> int:
        """The system user and the staff logins; returns how many were created."""
        existing = set(User.objects.filter(username__in=[SYSTEM_USERNAME, *(s[0] for s in self.staff)]).values_list("username", flat=True))
        new = []
        if SYSTEM_USERNAME not in existing:
            new.append(
                User(
                    username=SYSTEM_USERNAME,
                    password=make_password(None),
                    is_active=False,
                    role=Role.VOLUNTEER,
                    display_name="系统（演示数据）",
                )
            )
        for username, role, region, display, superuser in self.staff:
            self._check_level(role, region)
            if username in existing:
                log(f"用户 {username} 已存在，保持不变 / user {username} exists, left unchanged")
                continue
            new.append(
                User(
                    username=username,
                    password=self.password,
                    role=role,
                    region_id=region,
                    display_name=display,
                    is_superuser=superuser,
                    is_staff=superuser,
                )
            )
        User.objects.bulk_create(new)
        self.system_user_id = User.objects.get(username=SYSTEM_USERNAME).pk
        return len(new)

    def _check_level(self, role: str, region_code: str | None) -> None:
        required = REQUIRED_LEVEL[Role(role)]
        if required is None:
            return
        level = next((r.level for r in self.plan.regions if r.code == region_code), None)
        if level not in required:
            raise AssertionError(f"demo user for {role} at level {level}, needs {required}")

    def link_elder_and_family(self, today: dt.date) -> int:
        """The `elder` login is an 80+ elder living alone in the demo community; `family` is their first child contact.
        Returns how many users were created."""
        community = self.community_code
        active = Elder.objects.filter(residence_id=community, status=ElderStatus.ACTIVE, user__isnull=True)
        elder = (
            active.filter(living_status=LivingStatus.ALONE, birth_date__lte=years_before(today, 80)).order_by("id").first()
            or active.order_by("id").first()
        )
        if elder is None:
            raise AssertionError("the demo community has no elder")
        contact = elder.contacts.filter(relation__in=[Relation.CHILD, Relation.CHILD_IN_LAW]).order_by("priority", "id").first()
        contact = contact or elder.contacts.order_by("priority", "id").first()
        if contact is None:
            raise AssertionError("the demo elder has no contact")
        existing = set(User.objects.filter(username__in=["elder", "family"]).values_list("username", flat=True))
        new = {}
        if "elder" not in existing:
            new["elder"] = User(username="elder", password=self.password, role=Role.ELDER, region_id=community, display_name=elder.name)
        if "family" not in existing:
            new["family"] = User(
                username="family", password=self.password, role=Role.FAMILY, region_id=community, display_name=contact.name.split("（")[0]
            )
        User.objects.bulk_create(list(new.values()))
        if "elder" in new:
            Elder.objects.filter(pk=elder.pk).update(user=new["elder"])
        if "family" in new:
            Contact.objects.filter(pk=contact.pk).update(user=new["family"])
        self.staff += [
            ("elder", Role.ELDER, community, elder.name, False),
            ("family", Role.FAMILY, community, contact.name, False),
        ]
        return len(new)

    def logins(self) -> list[tuple[str, str, str]]:
        """(username, role label, region name) of every demo login."""
        names: dict[str | None, str] = dict(Region.objects.filter(code__in=[s[2] for s in self.staff if s[2]]).values_list("code", "name"))
        return [(username, str(Role(role).label), names.get(region, "—")) for username, role, region, _, _ in self.staff]
