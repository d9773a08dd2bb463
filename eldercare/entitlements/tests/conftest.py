import datetime as dt

import pytest
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.assessments.models import Assessment, Status
from eldercare.assessments.policies import categories_for
from eldercare.elders.models import Elder
from eldercare.facilities.models import Institution
from eldercare.tests import builders as testing

MONTH = dt.date(2026, 11, 1)


def assessed(elder, level: str, *, effective_from: dt.date = dt.date(2025, 1, 1), by=None) -> Assessment:
    """An assessment in force from `effective_from` with `level` (intact, mild, moderate, severe…)."""
    categories = categories_for(level, elder.residence_id)
    by = by or testing.user(f"assessor-{elder.pk}-{level}", Role.ASSESSOR)
    now = timezone.now()
    return Assessment.objects.create(
        elder=elder,
        status=Status.EFFECTIVE,
        reason="first",
        scheduled_for=effective_from,
        assessed_on=effective_from,
        assessor=by,
        reviewer=by,
        scheduled_by=by,
        submitted_at=now,
        reviewed_at=now,
        level=level,
        base_level=level,
        care_category=categories.care_category,
        disability_degree=categories.disability_degree,
        effective_from=effective_from,
        reassess_due=effective_from.replace(year=effective_from.year + 1),
    )


def born(age: int, on: dt.date = MONTH) -> dt.date:
    return on.replace(year=on.year - age, day=1) - dt.timedelta(days=40)


@pytest.fixture
def hz(city, personas):
    """Elders of 上城区 with city hukou: one of 85, one of 92, one of 70 (nothing), one of 70 in a
    低保 household with moderate disability, one of 75 severely disabled in a private institution."""
    people: dict[str, Elder | Institution] = {
        "e85": testing.elder(residence=city.community, birth=born(85), hukou_region=city.community),
        "e92": testing.elder(residence=city.community_b, birth=born(92), hukou_region=city.community_b),
        "e70": testing.elder(residence=city.community2, birth=born(70), hukou_region=city.community2),
        "poor": testing.elder(residence=city.community, birth=born(70), hukou_region=city.community, groups=(("dibao", ""),)),
        "resident": testing.elder(residence=city.community, birth=born(75), hukou_region=city.community),
    }
    assessed(people["poor"], "moderate")
    assessed(people["resident"], "severe")
    home = Institution.objects.create(name="清波颐养院", kind="institution", ownership="private", community=city.community, beds=100)
    people["institution"] = home
    return people


def provider_code(first17: str) -> str:
    from eldercare.providers.creditcode import check_character

    return first17 + check_character(first17)


@pytest.fixture
def provider(city):
    from eldercare.providers.models import Provider

    return Provider.objects.create(name="清波居家养老服务有限公司", credit_code=provider_code("91330102MA27UW301"), region=city.county)
