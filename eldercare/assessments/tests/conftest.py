import datetime as dt

import pytest
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.assessments import services
from eldercare.assessments.models import AssessorQualification, Reason
from eldercare.assessments.standards import get_standard
from eldercare.tests import builders as testing

from .cases import GBT, MZT, gbt_answers

LONG_AGO = dt.date(2020, 1, 1)


@pytest.fixture
def gbt():
    return get_standard(GBT)


@pytest.fixture
def mzt():
    return get_standard(MZT)


@pytest.fixture
def today():
    return timezone.localdate()


def qualify(user, *, valid_from=LONG_AGO, valid_to=None, standards=(GBT, MZT)) -> AssessorQualification:
    return AssessorQualification.objects.create(
        user=user,
        certificate_number=f"PG-{user.username}-{valid_from:%Y%m%d}",
        valid_from=valid_from,
        valid_to=valid_to,
        standards=list(standards),
    )


@pytest.fixture
def team(city, personas, today):
    """The people of one assessment: a street officer plans it, two assessors from a third-party
    agency (no region scope) assess, a qualified community worker reviews; an officer of another
    district must be refused."""
    agency = testing.UserFactory.create(username="agency1", role=Role.PROVIDER_ADMIN)
    agency2 = testing.UserFactory.create(username="agency2", role=Role.PROVIDER_ADMIN)
    reviewer = personas[Role.COMMUNITY_WORKER]
    for person in (agency, agency2, reviewer):
        qualify(person, valid_to=today + dt.timedelta(days=365))
    return {
        "officer": personas[Role.CIVIL_STREET],
        "assessor": agency,
        "second": agency2,
        "reviewer": reviewer,
        "outsider": testing.user("far_street", Role.CIVIL_STREET, city.street_b),
    }


@pytest.fixture
def elder(city):
    return testing.elder(residence=city.community)


def effective(team, elder, *, total=66, assessed_on, effective_from, facts=None, reason=Reason.FIRST, standard=GBT, answers=None):
    """An assessment taken through the whole lifecycle to effective."""
    a = services.assessment_schedule(
        actor=team["officer"],
        elder=elder,
        scheduled_for=assessed_on,
        reason=reason,
        standard=standard,
        assessor=team["assessor"],
        second_assessor=team["second"],
    )
    a = services.assessment_submit(
        actor=team["assessor"], assessment=a, assessed_on=assessed_on, answers=answers or gbt_answers(total), facts=facts
    )
    a = services.assessment_review(actor=team["reviewer"], assessment=a)
    return services.assessment_make_effective(actor=team["officer"], assessment=a, effective_from=effective_from)
