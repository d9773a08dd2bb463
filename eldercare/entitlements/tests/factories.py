"""Facts and stays built in memory: the engine needs no database."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from eldercare.elders.models import LivingStatus
from eldercare.entitlements.engine import Grant
from eldercare.entitlements.facts import Facts, StayFact

HANGZHOU_COMMUNITY = "330102001001"  # 上城区 (main urban)
XIAOSHAN_COMMUNITY = "330109001001"  # 萧山区 (not in the seed's list of main urban districts)
NANYANG_COMMUNITY = "411302001001"  # 宛城区
NANYANG_VILLAGE = "411302101201"

_ids = itertools.count(1)


def birth_for(age: int, on: dt.date) -> dt.date:
    """A birth date that makes the elder exactly `age` on `on` (their birthday that day)."""
    return on.replace(year=on.year - age)


def facts(on: dt.date, *, age: int = 70, residence: str = HANGZHOU_COMMUNITY, hukou: str | None = "same", **changes: Any) -> Facts:
    values: dict[str, Any] = {
        "elder_id": next(_ids),
        "on": on,
        "birth_date": birth_for(age, on),
        "hukou": residence if hukou == "same" else hukou,
        "residence": residence,
        "rural": False,
        "living_status": LivingStatus.WITH_FAMILY,
        "groups": frozenset(),
        "degree": "",
        "category": "",
    }
    values.update(changes)
    if "groups" in changes:
        values["groups"] = frozenset(changes["groups"])
    return Facts(**values)


def stay(
    start: dt.date,
    end: dt.date | None,
    *,
    kind: str = "long_term",
    facility_kind: str = "institution",
    ownership: str = "private",
    region: str = HANGZHOU_COMMUNITY,
) -> StayFact:
    return StayFact(next(_ids), kind, start, end, 1, "测试机构", facility_kind, ownership, region)


def granted(given: Grant | None) -> Grant:
    """The grant a test expects: None fails here, not as an AttributeError further on."""
    assert given is not None
    return given
