"""Shared test builders: a small consistent region tree, factories for users and
elders with valid ID numbers. Used by every app's tests (see eldercare/conftest.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import factory
from factory.django import DjangoModelFactory

from eldercare.accounts.models import User
from eldercare.accounts.roles import Role
from eldercare.elders import idnumber, services
from eldercare.elders.models import Elder, ElderGroup
from eldercare.regions.models import Level, Region

PASSWORD = "test-pass-123"
_sequence = itertools.count(1)


class RegionFactory(DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"区划{n}")


def build_city() -> SimpleNamespace:
    """杭州市 with two districts; 上城区 has two streets (清波街道 with two communities,
    湖滨街道 with one), 拱墅区 one street with one community."""
    t = SimpleNamespace()
    t.city = RegionFactory(code="330100000000", name="杭州市", level=Level.CITY)
    t.county = RegionFactory(code="330102000000", name="上城区", level=Level.COUNTY, parent=t.city, is_main_urban=True)
    t.street = RegionFactory(code="330102001000", name="清波街道", level=Level.STREET, parent=t.county)
    t.community = RegionFactory(code="330102001001", name="清波社区", level=Level.COMMUNITY, parent=t.street)
    t.community_b = RegionFactory(code="330102001002", name="柳翠井社区", level=Level.COMMUNITY, parent=t.street)
    t.street2 = RegionFactory(code="330102002000", name="湖滨街道", level=Level.STREET, parent=t.county)
    t.community2 = RegionFactory(code="330102002001", name="东坡路社区", level=Level.COMMUNITY, parent=t.street2)
    t.county_b = RegionFactory(code="330105000000", name="拱墅区", level=Level.COUNTY, parent=t.city, is_main_urban=True)
    t.street_b = RegionFactory(code="330105001000", name="米市巷街道", level=Level.STREET, parent=t.county_b)
    t.community_far = RegionFactory(code="330105001001", name="米市巷社区", level=Level.COMMUNITY, parent=t.street_b)
    return t


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"工作人员{n}")
    role = Role.CIVIL_STREET
    region = None
    password = factory.django.Password(PASSWORD)


class ElderFactory(DjangoModelFactory[Elder]):
    """An elder in `residence` (required), registered through the same builder the
    services use. The ID number comes from the residence's county, a birth date and
    a sequence, so it always validates."""

    class Meta:
        model = Elder

    class Params:
        seq = factory.Sequence(lambda n: n % 998 + 1)
        birth = factory.Sequence(lambda n: dt.date(1930 + n % 30, n % 12 + 1, n % 28 + 1))

    name = factory.Sequence(lambda n: f"测试老人{n}")
    residence = None
    id_number = factory.LazyAttribute(lambda o: idnumber.build(o.residence.code[:6], o.birth, o.seq))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        elder = services.build_elder(**kwargs)
        elder.save()
        return elder


def add_group(elder: Elder, group: str, level: str = "", valid_from: dt.date = dt.date(2020, 1, 1)) -> ElderGroup:
    return ElderGroup.objects.create(elder=elder, group=group, level=level, valid_from=valid_from)


def user(username: str, role: Role, region: Region | None = None, **extra) -> User:
    return UserFactory.create(username=username, role=role, region=region, **extra)


def elder_data(*, residence: Region, birth: dt.date = dt.date(1940, 5, 17), male: bool = True, name: str = "测试老人", **fields) -> dict:
    """Keyword arguments for services.elder_create with a fresh valid ID number."""
    seq = next(_sequence) % 500 * 2 + (1 if male else 0)
    return {"id_number": idnumber.build(residence.code[:6], birth, seq), "name": name, "residence": residence, **fields}


def elder(*, residence: Region, groups: tuple[tuple[str, str], ...] = (), **kw) -> Elder:
    """An elder saved directly (fixtures, no actor); groups as (group, level) pairs from 2020-01-01."""
    saved = services.build_elder(**elder_data(residence=residence, **kw))
    saved.save()
    for group, level in groups:
        add_group(saved, group, level)
    return saved


def error_codes(exc: BaseException) -> set[str]:
    """The stable codes a refusal carries (core.errors.Err, or a ValidationError's own code): what
    tests assert, rather than the wording."""
    from django.core.exceptions import ValidationError

    from eldercare.core.errors import code_of

    if isinstance(exc, ValidationError):
        found = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
        return {code_of(e.message, e.code or "") for errors in found for e in errors}
    return {code_of(exc.args[0], "")} if exc.args else set()
