"""The password policy: length, character classes, no reuse of the last N, expiry for officers."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from eldercare.accounts.models import PasswordHistory, User
from eldercare.accounts.passwords import CharacterClassesValidator, PasswordHistoryValidator, character_classes
from eldercare.accounts.roles import Role
from eldercare.tests import builders as testing
from eldercare.tests.builders import PASSWORD


def refusal_codes(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as refused:
        return {e.code for e in refused.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Ab1-short", {"password_too_short"}),  # 9 characters, all four classes
        ("eldercarewelcome", {"password_too_simple"}),  # long, lower case only
        ("eldercare-demo", {"password_too_simple"}),  # two classes: lower case and a symbol
        ("ELDERCARE2026PASS", {"password_too_simple"}),
        ("20261129202611", {"password_too_simple", "password_entirely_numeric"}),
        ("Password1234", {"password_too_common"}),
        ("Qingbo-Street-7", set()),
        ("elder-care-2026", set()),  # lower, digit, symbol
        ("清波街道Officer88", set()),  # a Chinese character counts as a symbol
    ],
)
def test_the_validators_in_settings(db, password, codes):
    assert refusal_codes(password) == codes


def test_the_rules_read_their_settings():
    assert character_classes("aA1!") == 4 and character_classes("aaaa") == 1
    with pytest.raises(ValidationError):
        CharacterClassesValidator(min_classes=4).validate("elder-care-2026")
    CharacterClassesValidator(min_classes=2).validate("eldercare-demo")
    assert "3" in CharacterClassesValidator(min_classes=3).get_help_text()


def test_none_of_the_last_five_passwords_comes_back(db):
    user = User.objects.create_user("reuse", password="First-Password-0")
    for n in range(1, 5):
        user.set_password(f"Next-Password-{n}")
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5
    for n in range(1, 5):
        assert refusal_codes(f"Next-Password-{n}", user) == {"password_reused"}
    assert refusal_codes("First-Password-0", user) == {"password_reused"}
    user.set_password("Next-Password-5")
    user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5  # the oldest is dropped
    assert refusal_codes("First-Password-0", user) == set()
    assert refusal_codes("Brand-New-Password-6", user) == set()


def test_a_password_set_before_the_history_was_kept_counts_too(db):
    user = testing.user("legacy", Role.VOLUNTEER)
    PasswordHistory.objects.filter(user=user).delete()  # as for accounts made before the history was kept
    assert refusal_codes(PASSWORD, user) == {"password_reused"}
    PasswordHistoryValidator(history=0).validate(PASSWORD, user)


def test_a_rehash_on_login_is_not_a_password_change(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]
    user = testing.user("old-hash", Role.VOLUNTEER)  # hashed with MD5 by the builder
    changed = user.password_changed_at
    kept = PasswordHistory.objects.filter(user=user).count()
    assert user.check_password(PASSWORD)  # upgrades the hash
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_") and user.password_changed_at == changed
    assert PasswordHistory.objects.filter(user=user).count() == kept


def test_an_officer_with_an_old_password_must_change_it_first(client, tree, settings):
    assert settings.ELDERCARE_PASSWORD_MAX_AGE_DAYS == 90
    officer = testing.user("qingbo", Role.CIVIL_STREET, tree.street)
    User.objects.filter(pk=officer.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    client.post(reverse("login"), {"username": "qingbo", "password": PASSWORD})

    response = client.get(reverse("console:elder_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("password_change"))
    assert client.get("/api/accounts/me").json()["code"] == "accounts.password_expired"
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and page.context["expired"]

    weak = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "qingbo2026", "new_password2": "qingbo2026"})
    assert weak.status_code == 200 and weak.context["form"].errors["new_password2"]
    same = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD})
    assert "password_reused" in {e.code for e in same.context["form"].errors.as_data()["new_password2"]}
    new = "Qingbo-Street-2027"
    done = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert client.get(reverse("console:elder_list")).status_code == 200  # still signed in, and not sent back


def test_other_roles_keep_their_passwords(client, tree):
    carer = testing.user("carer", Role.CAREGIVER)
    User.objects.filter(pk=carer.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=400))
    client.post(reverse("login"), {"username": "carer", "password": PASSWORD})
    assert client.get(reverse("console:home")).status_code == 200
