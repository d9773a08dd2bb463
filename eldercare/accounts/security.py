"""The security audit (等保 level 3, PIPL): every authentication event and every refusal becomes one
`SecurityEvent`, written here and nowhere else.

Django's auth signals bring logins, logouts and failed logins, axes' signal the lockouts; the user
model reports password changes, the API's token auth its tokens, the console's 403 view and the
API's PermissionDenied handler their refusals, and the second-factor pages their codes.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from eldercare.core.errors import code_of

from .models import ApiToken, PasswordHistory, SecurityEvent, SecurityEventKind, SecurityOutcome, User

Kind = SecurityEventKind
Outcome = SecurityOutcome

# The request being served, for events whose sender has none at hand (a password saved by a form).
# Set by AccountSecurityMiddleware.
current_request: ContextVar[HttpRequest | None] = ContextVar("eldercare_current_request", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind the platform's reverse proxy (ELDERCARE_BEHIND_PROXY) it is the
    last address in X-Forwarded-For, the one the proxy itself added: earlier ones are whatever the
    client sent. Lockouts (axes) key on this too."""
    if settings.ELDERCARE_BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


def _acting_user(request: HttpRequest | None) -> User | None:
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def record(
    kind: SecurityEventKind,
    outcome: SecurityOutcome,
    *,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    code: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Append one event. `user` defaults to the request's; `username` to the user's. Never the password."""
    if user is None:
        user = _acting_user(request)
    fields: dict[str, Any] = {}
    if request is not None:
        fields = {
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
            "method": (request.method or "")[:10],
            "path": request.get_full_path()[:300],
        }
    return SecurityEvent.objects.create(
        kind=kind,
        outcome=outcome,
        user=user if user is not None and user.pk else None,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        code=code[:64],
        detail=detail[:300],
        **fields,
    )


# ---------------------------------------------------------------- logins


@receiver(user_logged_in, dispatch_uid="eldercare_security_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record(Kind.LOGIN, Outcome.SUCCESS, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="eldercare_security_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:  # a logout without a session logs nobody out
        record(Kind.LOGOUT, Outcome.SUCCESS, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="eldercare_security_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Django has already masked the password in `credentials`; only the name tried is kept.
    tried = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    user = User.objects.filter(username=tried).first() if tried else None
    record(Kind.LOGIN, Outcome.FAILURE, request=request, user=user, username=tried)


@receiver(user_locked_out, dispatch_uid="eldercare_security_locked_out")
def _locked_out(sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any) -> None:
    # axes sends this for the failure that reaches the limit and again for every try while locked
    # (each also a failed login above): the lockout itself is recorded once.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures > settings.AXES_FAILURE_LIMIT:
        return
    tried = username or ""
    user = User.objects.filter(username=tried).first() if tried else None
    count = failures or settings.AXES_FAILURE_LIMIT
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    record(
        Kind.LOCKOUT,
        Outcome.REFUSED,
        request=request,
        user=user,
        username=tried,
        code="accounts.locked_out",
        detail=f"连续失败 {count} 次，锁定 {minutes} 分钟 / {count} failures, locked for {minutes} min",
    )


# ---------------------------------------------------------------- passwords and the second factor


def password_changed(user: User) -> None:
    """A new password was saved (any way: the console, the admin, `manage.py changepassword`): keep
    its hash in the history, drop the ones past ELDERCARE_PASSWORD_HISTORY, and record it."""
    keep = settings.ELDERCARE_PASSWORD_HISTORY
    if keep > 0:
        PasswordHistory.objects.create(user=user, password=user.password)
    stale = PasswordHistory.objects.filter(user=user).order_by("-id").values_list("id", flat=True)[keep:]
    PasswordHistory.objects.filter(id__in=list(stale)).delete()
    request = current_request.get()
    actor = _acting_user(request)
    by_other = actor is not None and actor.pk != user.pk
    record(
        Kind.PASSWORD_CHANGE,
        Outcome.SUCCESS,
        request=request,
        user=user,
        detail=f"由 {actor.get_username()} 设置 / set by {actor.get_username()}" if by_other and actor is not None else "",
    )


def otp_setup(request: HttpRequest) -> None:
    record(Kind.OTP_SETUP, Outcome.SUCCESS, request=request)


def otp_checked(request: HttpRequest, *, ok: bool) -> None:
    record(Kind.OTP, Outcome.SUCCESS if ok else Outcome.FAILURE, request=request)


# ---------------------------------------------------------------- API tokens


def token_used(request: HttpRequest, token: ApiToken) -> None:
    """Record a token's first use of the day, and each use from another address than the last.

    Not every use: the alarm board polls twice a second, which would be 170,000 rows a day per board
    saying nothing new, and a query on each poll. A process remembers what it has recorded (no query
    at all); the first request of a process that does not moves the token's last use only if the day
    or the address changed (compare-and-set), so the processes between them record it once."""
    ip = client_ip(request)
    today = timezone.localdate()
    remembered = f"eldercare:token-used:{token.key_hash[:32]}:{today.isoformat()}:{ip}"
    if cache.get(remembered):
        return
    now = timezone.now()
    start_of_day = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    moved = (
        ApiToken.objects.filter(pk=token.pk)
        .exclude(Q(last_used_at__gte=start_of_day) & Q(last_used_ip=ip))
        .update(last_used_at=now, last_used_ip=ip)
    )
    if moved:
        record(Kind.TOKEN, Outcome.SUCCESS, request=request, user=token.user, detail=f"{token.name} ({token.prefix}…)")
    cache.set(remembered, True, timeout=24 * 3600)


def token_refused(request: HttpRequest) -> None:
    """A bearer key that matches no live token (unknown, revoked, expired, or its user inactive).
    Nothing of the key itself is kept."""
    record(Kind.TOKEN, Outcome.FAILURE, request=request, user=None)


# ---------------------------------------------------------------- refusals


def record_denial(request: HttpRequest, reason: object) -> None:
    """A 403: the console's or the API's. `reason` is what PermissionDenied carried (a named error
    `core.errors.Err`, a message, or nothing)."""
    message = reason.args[0] if isinstance(reason, BaseException) and reason.args else reason
    detail = "" if message is None or isinstance(message, BaseException) else str(message)
    record(Kind.DENIED, Outcome.REFUSED, request=request, code=code_of(message, "forbidden"), detail=detail)
