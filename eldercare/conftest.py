import pytest
from django.utils import translation

from eldercare.accounts.roles import Role
from eldercare.elders.models import Contact, DisabilityLevel, PriorityGroup, Relation
from eldercare.tests import builders as testing
from eldercare.tests.browser import browser_settings  # noqa: F401  (a fixture for every browser test)


@pytest.fixture
def city(db):
    return testing.build_city()


@pytest.fixture
def personas(city):
    """One user per role; regional roles sit in 清波街道 or its 清波社区."""
    p = {
        Role.SYSTEM_ADMIN: testing.user("admin", Role.SYSTEM_ADMIN),
        Role.CIVIL_CITY: testing.user("city", Role.CIVIL_CITY, city.city),
        Role.CIVIL_COUNTY: testing.user("county", Role.CIVIL_COUNTY, city.county),
        Role.CIVIL_STREET: testing.user("street", Role.CIVIL_STREET, city.street),
        Role.CENTER_OPERATOR: testing.user("centre", Role.CENTER_OPERATOR, city.street),
        Role.PROVIDER_ADMIN: testing.user("provider", Role.PROVIDER_ADMIN),
        Role.CAREGIVER: testing.user("caregiver", Role.CAREGIVER),
        Role.COMMUNITY_WORKER: testing.user("worker", Role.COMMUNITY_WORKER, city.community),
        Role.CARE_ADVISOR: testing.user("advisor", Role.CARE_ADVISOR, city.community),
        Role.FAMILY_DOCTOR: testing.user("doctor", Role.FAMILY_DOCTOR, city.community),
        Role.VOLUNTEER: testing.user("volunteer", Role.VOLUNTEER),
        Role.ELDER: testing.user("elder", Role.ELDER),
        Role.FAMILY: testing.user("family", Role.FAMILY),
        Role.ASSESSOR: testing.user("assessor", Role.ASSESSOR),
    }
    return p


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 is meant to be slow; thirteen personas per test would take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reset_language():
    """A page requested in English must not leave English active for later tests."""
    yield
    translation.deactivate()


@pytest.fixture
def world(city, personas):
    """Four elders: one in 清波社区 (the elder persona's own record, the family persona a contact
    of it), one elsewhere in 清波街道, one elsewhere in 上城区, one in 拱墅区."""
    elders = {
        "own": testing.elder(
            residence=city.community, name="王秀英", groups=((PriorityGroup.DISABLED, DisabilityLevel.MODERATE), (PriorityGroup.DIBAO, ""))
        ),
        "same_street": testing.elder(residence=city.community_b, name="李建国"),
        "same_county": testing.elder(residence=city.community2, name="赵桂兰"),
        "other_county": testing.elder(residence=city.community_far, name="钱德明"),
    }
    own = elders["own"]
    own.user = personas[Role.ELDER]
    own.save()
    Contact.objects.create(
        elder=own, name="王小明", relation=Relation.CHILD, phone="13800001111", phone_masked="138****1111", user=personas[Role.FAMILY]
    )
    return elders
