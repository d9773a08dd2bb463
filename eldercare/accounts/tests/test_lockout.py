"""Lockout (django-axes): after ELDERCARE_LOGIN_FAILURE_LIMIT wrong passwords for one username from one
address, not even the right password logs in until the cooling-off period ends or an administrator
unlocks the account."""

from django.core.management import call_command
from django.urls import reverse

from eldercare.accounts.models import SecurityEvent, SecurityEventKind, SecurityOutcome
from eldercare.tests.builders import PASSWORD

K, Out = SecurityEventKind, SecurityOutcome


def log_in(client, password, address="10.5.0.1"):
    return client.post(reverse("login"), {"username": "qingbo", "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(client, officer):
    for n in range(30):
        log_in(client, f"Wrong-password-{n}")
    response = log_in(client, PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)
    assert client.get(reverse("console:home")).status_code == 302  # still sent to the login page
    page = response.content.decode()
    assert "账户已暂时锁定" in page and "30 分钟" in page
    [lockout] = SecurityEvent.objects.filter(kind=K.LOCKOUT)
    assert (lockout.outcome, lockout.user, lockout.username, lockout.ip) == (Out.REFUSED, officer, "qingbo", "10.5.0.1")
    assert "锁定 30 分钟" in lockout.detail
    assert SecurityEvent.objects.filter(kind=K.LOGIN, outcome=Out.FAILURE, user=officer).count() == 31  # the right one too
    assert not SecurityEvent.objects.filter(kind=K.LOGIN, outcome=Out.SUCCESS).exists()


def test_the_fifth_failure_locks_and_only_that_username_from_that_address(client, officer, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for n in range(4):
        log_in(client, f"Wrong-password-{n}")
    assert log_in(client, PASSWORD).status_code == 302 and signed_in(client)  # four are forgiven
    client.logout()
    for n in range(5):
        log_in(client, f"Wrong-password-{n}")
    assert log_in(client, PASSWORD).status_code == 429
    # Another computer is not locked out with it.
    assert log_in(client, PASSWORD, address="10.5.0.2").status_code == 302 and signed_in(client)


def test_an_administrator_unlocks(client, officer):
    for n in range(5):
        log_in(client, f"Wrong-password-{n}")
    assert log_in(client, PASSWORD).status_code == 429
    call_command("axes_reset_username", "qingbo")
    assert log_in(client, PASSWORD).status_code == 302 and signed_in(client)


def test_the_lockout_page_is_in_english_when_asked(client, officer):
    for n in range(5):
        log_in(client, f"Wrong-password-{n}")
    client.cookies["django_language"] = "en"
    page = log_in(client, PASSWORD).content.decode()
    assert "Account temporarily locked" in page and "30 minutes" in page
