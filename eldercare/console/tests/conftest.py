import datetime as dt

import pytest

from eldercare.accounts.roles import Role
from eldercare.tests.builders import ElderFactory, UserFactory, build_city


@pytest.fixture
def tree(db):
    return build_city()


@pytest.fixture
def street_officer(tree):
    return UserFactory(username="qingbo", display_name="陈清波", role=Role.CIVIL_STREET, region=tree.street)


@pytest.fixture
def other_officer(tree):
    return UserFactory(username="hubin", display_name="林湖滨", role=Role.CIVIL_STREET, region=tree.street2)


@pytest.fixture
def advisor(tree):
    """A care advisor: sees elders of the community, may not edit, export or reveal."""
    return UserFactory(username="advisor", display_name="周顾问", role=Role.CARE_ADVISOR, region=tree.community)


@pytest.fixture
def caregiver(db):
    return UserFactory(username="carer", display_name="吴护理", role=Role.CAREGIVER)


@pytest.fixture
def elder(tree):
    """王秀英, born 1942, in 清波社区 (清波街道), with a phone number."""
    return ElderFactory(
        residence=tree.community, name="王秀英", birth=dt.date(1942, 3, 7), seq=2, phone="13800001234", address="清波街11号"
    )


@pytest.fixture
def far_elder(tree):
    """李建国 in 东坡路社区 (湖滨街道): outside the 清波 street officer's region."""
    return ElderFactory(residence=tree.community2, name="李建国", birth=dt.date(1950, 8, 1), seq=1)


@pytest.fixture
def officer_client(client, street_officer):
    client.force_login(street_officer)
    return client
