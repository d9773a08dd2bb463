"""Two-step verification (TOTP, django-otp) for the roles in ELDERCARE_OTP_REQUIRED_ROLES: without a
device, set one up; with one, enter its code; before that no console page and no session API call."""

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from eldercare.accounts.models import ApiToken, SecurityEvent, SecurityEventKind, SecurityOutcome
from eldercare.accounts.roles import Role
from eldercare.tests.builders import PASSWORD, UserFactory

K, Out = SecurityEventKind, SecurityOutcome
HOME = "/"


def code_for(device: TOTPDevice) -> str:
    """The code the phone shows now (django-otp's own TOTP)."""
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"


def log_in(client, username="qingbo"):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def test_an_officer_without_a_device_is_sent_to_set_one_up(client, officer, otp_enforced):
    log_in(client)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == f"{reverse('otp_setup')}?next=/"
    assert client.get("/api/accounts/me").json()["code"] == "accounts.otp_required"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "otpauth://totp/eldercare%3Aqingbo?secret=" in html and "data:image/svg+xml" in html
    assert 'href="/regions/"' not in html  # no menu before the second step
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert client.get(reverse("otp_setup")).context["uri"] == device.config_url  # a reload shows the same key

    refused = client.post(reverse("otp_setup"), {"token": wrong_code(device), "next": HOME})
    assert refused.status_code == 200 and refused.context["form"].errors
    device.refresh_from_db()
    device.throttle_reset()  # the wrong code made the next try wait a second
    confirmed = client.post(reverse("otp_setup"), {"token": code_for(device), "next": HOME})
    assert confirmed.status_code == 302 and confirmed["Location"] == HOME
    assert client.get(HOME).status_code == 200
    assert TOTPDevice.objects.get(user=officer).confirmed
    kinds = list(SecurityEvent.objects.filter(kind__in=[K.LOGIN, K.OTP, K.OTP_SETUP]).order_by("id").values_list("kind", "outcome"))
    assert kinds == [(K.LOGIN, Out.SUCCESS), (K.OTP, Out.FAILURE), (K.OTP_SETUP, Out.SUCCESS)]


def test_an_officer_with_a_device_enters_its_code_before_the_console_opens(client, officer, otp_enforced):
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    log_in(client)
    elders = reverse("console:elder_list")
    response = client.get(elders)
    assert response.status_code == 302 and response["Location"] == f"{reverse('otp_verify')}?next={elders}"
    assert client.get(reverse("console:regions")).status_code == 302
    assert client.get("/api/accounts/me").status_code == 403
    assert client.get(reverse("otp_setup")).status_code == 302  # has a device: nothing to set up

    assert client.post(reverse("otp_verify"), {"token": wrong_code(device), "next": elders}).status_code == 400
    assert client.get(elders).status_code == 302
    device.refresh_from_db()
    device.throttle_reset()  # the wrong code made the next try wait a second
    verified = client.post(reverse("otp_verify"), {"token": code_for(device), "next": elders})
    assert verified.status_code == 302 and verified["Location"] == elders
    assert client.get(elders).status_code == 200
    assert client.get("/api/accounts/me").status_code == 200
    otp = list(SecurityEvent.objects.filter(kind=K.OTP).order_by("id").values_list("outcome", "user"))
    assert otp == [(Out.FAILURE, officer.pk), (Out.SUCCESS, officer.pk)]


def test_a_code_is_not_accepted_twice(client, officer, otp_enforced):
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    code = code_for(device)
    log_in(client)
    assert client.post(reverse("otp_verify"), {"token": code}).status_code == 302
    client.logout()
    log_in(client)
    assert client.post(reverse("otp_verify"), {"token": code}).status_code == 400


def test_an_offsite_next_is_not_followed(client, officer, otp_enforced):
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    log_in(client)
    response = client.post(reverse("otp_verify"), {"token": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("console:home")


@pytest.mark.parametrize(
    ("role", "asked"), [(Role.CIVIL_CITY, True), (Role.SYSTEM_ADMIN, True), (Role.CAREGIVER, False), (Role.CENTER_OPERATOR, False)]
)
def test_only_the_listed_roles_are_asked(client, tree, otp_enforced, role, asked):
    region = tree.city if role == Role.CIVIL_CITY else tree.street if role == Role.CENTER_OPERATOR else None
    UserFactory(username="someone", role=role, region=region)
    log_in(client, "someone")
    assert (client.get(HOME).status_code == 302) == asked


def test_a_superuser_counts_as_an_administrator(client, tree, otp_enforced):
    UserFactory(username="root", role=Role.VOLUNTEER, is_superuser=True, is_staff=True)
    log_in(client, "root")
    assert client.get(HOME)["Location"].startswith(reverse("otp_setup"))
    assert client.get("/admin/")["Location"].startswith(reverse("otp_setup"))


def test_the_api_with_a_token_is_not_asked(client, officer, otp_enforced):
    _, key = ApiToken.issue(user=officer, name="script")
    assert client.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_without_enforcement_the_password_alone_logs_in(client, officer, settings):
    settings.ELDERCARE_OTP_REQUIRED_ROLES = []
    log_in(client)
    assert client.get(HOME).status_code == 200
