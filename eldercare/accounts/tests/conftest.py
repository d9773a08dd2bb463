import pytest

from eldercare.accounts.roles import Role
from eldercare.tests.builders import UserFactory, build_city


@pytest.fixture
def tree(db):
    return build_city()


@pytest.fixture
def officer(tree):
    """陈清波, civil-affairs officer of 清波街道, password builders.PASSWORD."""
    return UserFactory(username="qingbo", display_name="陈清波", role=Role.CIVIL_STREET, region=tree.street)


@pytest.fixture
def caregiver(db):
    return UserFactory(username="carer", display_name="吴护理", role=Role.CAREGIVER)


@pytest.fixture
def otp_enforced(settings):
    """Production's default: officers and administrators need a second factor (the test env turns it off)."""
    settings.ELDERCARE_OTP_REQUIRED_ROLES = ["system_admin", "civil_city", "civil_county", "civil_street"]
    return settings
