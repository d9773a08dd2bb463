"""Shared test builders: a small consistent region tree, users per role, elders
with valid ID numbers. Used by every app's tests through eldercare/conftest.py."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password

from eldercare.accounts.models import User
from eldercare.accounts.roles import Role
from eldercare.elders import idnumber, services
from eldercare.elders.models import Elder, ElderGroup
from eldercare.regions.models import Level, Region

PASSWORD = "test-pass-123"
_password_hash: list[str] = []
_sequence = itertools.count(1)


def region(code: str, name: str, level: Level, parent: Region | None = None, **flags) -> Region:
    return Region.objects.create(code=code, name=name, level=level, parent=parent, **flags)


def build_city() -> SimpleNamespace:
    """杭州市 with two districts; 上城区 has two streets of two communities each."""
    t = SimpleNamespace()
    t.city = region("330100000000", "杭州市", Level.CITY)
    t.county = region("330102000000", "上城区", Level.COUNTY, t.city, is_main_urban=True)
    t.street = region("330102001000", "清波街道", Level.STREET, t.county)
    t.community = region("330102001001", "清波社区", Level.COMMUNITY, t.street)
    t.community_b = region("330102001002", "柳翠井社区", Level.COMMUNITY, t.street)
    t.street2 = region("330102002000", "湖滨街道", Level.STREET, t.county)
    t.community2 = region("330102002001", "东坡路社区", Level.COMMUNITY, t.street2)
    t.county_b = region("330105000000", "拱墅区", Level.COUNTY, t.city, is_main_urban=True)
    t.street_b = region("330105001000", "米市巷街道", Level.STREET, t.county_b)
    t.community_far = region("330105001001", "米市巷社区", Level.COMMUNITY, t.street_b)
    return t


def user(username: str, role: Role, region: Region | None = None, **extra) -> User:
    if not _password_hash:
        _password_hash.append(make_password(PASSWORD))
    return User.objects.create(username=username, role=role, region=region, password=_password_hash[0], **extra)


def elder_data(*, residence: Region, birth: dt.date = dt.date(1940, 5, 17), male: bool = True, name: str = "测试老人", **fields) -> dict:
    """Keyword arguments for services.elder_create with a fresh valid ID number."""
    seq = next(_sequence) % 500 * 2 + (1 if male else 0)
    return {"id_number": idnumber.build(residence.code[:6], birth, seq), "name": name, "residence": residence, **fields}


def elder(*, residence: Region, groups: tuple[tuple[str, str], ...] = (), **kw) -> Elder:
    """An elder saved directly (fixtures, no actor); groups as (group, level) pairs from 2020-01-01."""
    saved = services.build_elder(**elder_data(residence=residence, **kw))
    saved.save()
    for group, level in groups:
        ElderGroup.objects.create(elder=saved, group=group, level=level, valid_from=dt.date(2020, 1, 1))
    return saved
