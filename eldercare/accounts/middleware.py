"""What a signed-in user must do before any page opens: enter a second-factor code (the roles in
ELDERCARE_OTP_REQUIRED_ROLES, set one up first if they have none), and change an expired password
(ELDERCARE_PASSWORD_EXPIRY_ROLES). Also remembers the request for the security audit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django_otp import user_has_device

from eldercare.core.errors import Err

from . import passwords, security
from .roles import otp_required

ERR_OTP_REQUIRED = Err("accounts.otp_required", "请先完成动态口令验证 / enter your one-time code in the console first")
ERR_PASSWORD_EXPIRED = Err("accounts.password_expired", "密码已过期，请先在控制台修改 / your password has expired: change it in the console first")

# Pages an unverified or expired user may still reach: signing in and out, the pages that resolve
# the demand, the language switch and static files. Names, resolved on first use.
_OPEN_TO_ALL = ("login", "logout", "otp_setup", "otp_verify", "admin:login", "admin:logout", "set_language")
_OPEN_WHEN_EXPIRED = ("password_change", "password_change_done")


class AccountSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None
        self._open_expired: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        remembered = security.current_request.set(request)
        try:
            return self._demand(request) or self.get_response(request)
        finally:
            security.current_request.reset(remembered)

    def _paths(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self._open is None or self._open_expired is None:
            self._open = (*(reverse(name) for name in _OPEN_TO_ALL), "/" + settings.STATIC_URL.lstrip("/"))
            self._open_expired = tuple(reverse(name) for name in _OPEN_WHEN_EXPIRED)
        return self._open, self._open_expired

    def _demand(self, request: HttpRequest) -> HttpResponse | None:
        always_open, open_when_expired = self._paths()
        path = request.path
        if path.startswith(always_open):
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        api = request.path_info.startswith("/api/")
        # Bearer tokens carry no session, so their requests arrive here anonymous: the API's session
        # users alone are held to the second factor.
        if otp_required(user) and not user.is_verified():  # type: ignore[attr-defined]  # OTPMiddleware adds it
            if api:
                return JsonResponse({"code": ERR_OTP_REQUIRED.code, "detail": str(ERR_OTP_REQUIRED)}, status=403)
            target = "otp_verify" if user_has_device(user) else "otp_setup"
            return redirect_to_login(request.get_full_path(), reverse(target))
        if passwords.password_expired(user) and not path.startswith(open_when_expired):
            if api:
                return JsonResponse({"code": ERR_PASSWORD_EXPIRED.code, "detail": str(ERR_PASSWORD_EXPIRED)}, status=403)
            return redirect_to_login(request.get_full_path(), reverse("password_change"))
        return None
