"""The security audit: logins, failures, logouts, password changes, token use and refusals each leave
one SecurityEvent saying who, when, from where and how it ended; and none can be changed."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from eldercare.accounts.models import ApiToken, SecurityEvent, SecurityEventKind, SecurityOutcome
from eldercare.accounts.roles import Role
from eldercare.tests import builders as testing
from eldercare.tests.builders import PASSWORD

K, Out = SecurityEventKind, SecurityOutcome
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) eldercare-test " + "x" * 300  # longer than the column


def events(**filters):
    return list(SecurityEvent.objects.filter(**filters).order_by("id"))


def test_a_login_a_failed_one_and_a_logout_are_recorded_with_the_address(client, officer):
    client.post(reverse("login"), {"username": "qingbo", "password": "wrong-Password-1"}, REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT=BROWSER)
    client.post(reverse("login"), {"username": "nobody", "password": "wrong-Password-2"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "qingbo", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT=BROWSER)
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.4")

    failed, unknown, login, logout = events(kind__in=[K.LOGIN, K.LOGOUT])
    assert (failed.kind, failed.outcome, failed.user, failed.username) == (K.LOGIN, Out.FAILURE, officer, "qingbo")
    assert (unknown.kind, unknown.outcome, unknown.user, unknown.username) == (K.LOGIN, Out.FAILURE, None, "nobody")
    assert (login.kind, login.outcome, login.user) == (K.LOGIN, Out.SUCCESS, officer)
    assert (logout.kind, logout.outcome, logout.user) == (K.LOGOUT, Out.SUCCESS, officer)
    assert [e.ip for e in (failed, unknown, login, logout)] == ["10.1.2.3", "10.1.2.3", "10.1.2.3", "10.1.2.4"]
    assert failed.user_agent == BROWSER[:200] and failed.path == reverse("login") and failed.method == "POST"
    assert login.at >= failed.at
    # Never the password, tried or right.
    for event in SecurityEvent.objects.all():
        assert not any(secret in str(value) for value in vars(event).values() for secret in ("wrong-Password", PASSWORD))


def test_behind_the_proxy_the_address_is_the_one_the_proxy_added(client, officer, settings):
    settings.ELDERCARE_BEHIND_PROXY = True
    client.post(reverse("login"), {"username": "qingbo", "password": "x"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.9.8.7")
    assert events(kind=K.LOGIN)[0].ip == "10.9.8.7"  # 6.6.6.6 is whatever the client claimed


def test_a_password_change_is_recorded(client, officer):
    client.force_login(officer)
    new = "Qingbo-new-Pass-2027"
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}, REMOTE_ADDR="10.1.2.5"
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    made, change = events(kind=K.PASSWORD_CHANGE)  # the account came with its first password
    assert (made.user, made.ip) == (officer, None)
    assert (change.outcome, change.user, change.ip, change.detail) == (Out.SUCCESS, officer, "10.1.2.5", "")


def test_a_password_set_by_an_administrator_says_who_set_it(client, officer, tree):
    admin = testing.user("root", Role.SYSTEM_ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    new = "Reset-by-Admin-2027"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[officer.pk]),
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = events(kind=K.PASSWORD_CHANGE)[-1]
    assert (change.user, change.detail, change.ip) == (officer, "由 root 设置 / set by root", "127.0.0.1")


def test_a_token_is_recorded_on_its_first_use_of_the_day_and_from_each_new_address(client, officer):
    _, key = ApiToken.issue(user=officer, name="街道大屏")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    for _ in range(3):
        assert client.get("/api/accounts/me", REMOTE_ADDR="10.2.0.1", **bearer).status_code == 200
    assert client.get("/api/accounts/me", REMOTE_ADDR="10.2.0.2", **bearer).status_code == 200

    uses = events(kind=K.TOKEN)
    assert [(e.outcome, e.user, e.ip) for e in uses] == [(Out.SUCCESS, officer, "10.2.0.1"), (Out.SUCCESS, officer, "10.2.0.2")]
    assert "街道大屏" in uses[0].detail and key not in uses[0].detail
    token = ApiToken.objects.get()
    assert token.last_used_ip == "10.2.0.2" and token.last_used_at is not None


def test_a_bearer_key_that_opens_nothing_is_recorded_without_the_key(client, officer):
    key = "not-a-token-at-all-0123456789"
    assert client.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    [refused] = events(kind=K.TOKEN)
    assert (refused.outcome, refused.user, refused.ip) == (Out.FAILURE, None, "127.0.0.1")
    assert key not in str(vars(refused))


def test_each_refused_api_read_of_an_elder_is_recorded(client, tree, caregiver):
    """A caregiver reaches no elder through the registry: 47 tries, 47 records."""
    elder = testing.elder(residence=tree.community2)
    client.force_login(caregiver)
    for _ in range(47):
        response = client.get(f"/api/elders/{elder.pk}", REMOTE_ADDR="10.3.0.1")
        assert response.status_code == 403 and response.json()["code"] == "accounts.no_capability"
    denials = events(kind=K.DENIED)
    assert len(denials) == 47
    assert {(d.outcome, d.user, d.ip, d.method, d.path, d.code) for d in denials} == {
        (Out.REFUSED, caregiver, "10.3.0.1", "GET", f"/api/elders/{elder.pk}", "accounts.no_capability")
    }
    assert "无此权限" in denials[0].detail


def test_reads_of_another_regions_elder_are_recorded_though_answered_404(client, tree, officer):
    """An officer asking 47 times for an elder of another street: 404 each time (the record's
    existence is not revealed), 47 records of the refusal; a number that is nobody is not one."""
    elder = testing.elder(residence=tree.community2)  # 湖滨街道: not the officer's 清波街道
    client.force_login(officer)
    for _ in range(47):
        assert client.get(f"/api/elders/{elder.pk}", REMOTE_ADDR="10.3.0.2").status_code == 404
    assert client.get("/api/elders/999999").status_code == 404
    denials = events(kind=K.DENIED)
    assert len(denials) == 47
    assert {(d.user, d.ip, d.code, d.detail) for d in denials} == {(officer, "10.3.0.2", "elders.out_of_scope", f"elder {elder.pk}")}


def test_a_console_refusal_is_recorded_once(client, tree, caregiver):
    client.force_login(caregiver)
    url = reverse("console:regions", args=[tree.county_b.code])
    response = client.get(url)
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    [denied] = events(kind=K.DENIED)
    assert (denied.user, denied.path, denied.ip, denied.outcome) == (caregiver, url, "127.0.0.1", Out.REFUSED)


def test_security_events_cannot_be_changed_or_deleted(officer):
    event = SecurityEvent.objects.create(kind=K.LOGIN, outcome=Out.SUCCESS, user=officer, username="qingbo")
    event.username = "someone-else"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        SecurityEvent.objects.filter(pk=event.pk).update(username="someone-else")
    with pytest.raises(TypeError):
        SecurityEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError), transaction.atomic():  # bulk_update's own block leaves no savepoint
        SecurityEvent.objects.bulk_update([event], ["username"])
    assert SecurityEvent.objects.get(pk=event.pk).username == "qingbo"


def test_an_outcome_that_does_not_fit_the_event_is_refused_by_the_database(officer):
    with pytest.raises(IntegrityError):
        SecurityEvent.objects.create(kind=K.DENIED, outcome=Out.SUCCESS, user=officer)


def test_administrators_read_the_events_and_cannot_change_them(client, officer):
    client.post(reverse("login"), {"username": "qingbo", "password": "wrong-Password-1"})
    admin = testing.user("root", Role.SYSTEM_ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:accounts_securityevent_changelist") + "?q=qingbo")
    assert listing.status_code == 200 and "qingbo" in listing.content.decode()
    event = SecurityEvent.objects.filter(kind=K.LOGIN, outcome=Out.FAILURE).get()
    assert client.get(reverse("admin:accounts_securityevent_add")).status_code == 403
    assert client.post(reverse("admin:accounts_securityevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
