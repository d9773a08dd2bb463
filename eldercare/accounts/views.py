"""Account pages: the second factor (set up, verify), changing a password, and the console's 403."""

from __future__ import annotations

import base64
import datetime as dt
import math

import segno
from axes.helpers import get_cool_off, get_failure_limit
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import PasswordChangeView, redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import passwords, security
from .forms import OtpForm
from .roles import otp_required

DEVICE_NAME = "控制台 / console"


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The console's 403 (urls.handler403): recorded, then Django's own page (templates/403.html)."""
    security.record_denial(request, exception)
    return defaults.permission_denied(request, exception)


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None) -> HttpResponse:
    """What axes answers a login while the username and address are locked out (AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request) or dt.timedelta(0)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": max(1, math.ceil(cool_off.total_seconds() / 60)),
    }
    return render(request, "registration/locked_out.html", context, status=429)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("console:home")


def _second_step(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    # Until the code is in, the page shows nobody signed in: no menu, no name (only a way out).
    context = {**context, "user": AnonymousUser(), "person": request.user, "next": _next(request)}
    return render(request, template, context, status=status)


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """A TOTP device for a user whose role needs one: the otpauth URI as a QR code and as text, then a
    code from the app to confirm it. The unconfirmed device stays the same across reloads."""
    user = request.user
    if not otp_required(user) or getattr(user, "is_verified", lambda: False)():
        return HttpResponseRedirect(_next(request))
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return redirect_to_login(_next(request), reverse("otp_verify"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            confirmed = locked.verify_token(form.cleaned_data["token"])
            if confirmed:
                locked.confirmed = True
                locked.save(update_fields=["confirmed"])
        if confirmed:
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, locked)
            security.otp_setup(request)
            return HttpResponseRedirect(_next(request))
        security.otp_checked(request, ok=False)
        form.add_error("token", _("动态口令不正确或已过期，请输入验证器中当前显示的数字。"))
    uri = device.config_url
    context = {
        "form": form,
        "uri": uri,
        "secret": " ".join(_groups(base64.b32encode(device.bin_key).decode().rstrip("="))),
        "qr": segno.make(uri, error="m").svg_data_uri(scale=6, border=2),
    }
    return _second_step(request, "registration/otp_setup.html", context)


def _groups(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The code after the password, for a user with a confirmed device."""
    user = request.user
    if getattr(user, "is_verified", lambda: False)():
        return HttpResponseRedirect(_next(request))
    devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
    if not devices:
        return redirect_to_login(_next(request), reverse("otp_setup"))
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        verified = next(
            (d for d in devices if verify_token(user, d.persistent_id, form.cleaned_data["token"]) is not None),
            None,
        )
        security.otp_checked(request, ok=verified is not None)
        if verified is not None:
            otp_login(request, verified)
            return HttpResponseRedirect(_next(request))
        allowed, _reason = TOTPDevice.objects.get(pk=devices[0].pk).verify_is_allowed()
        form.add_error(
            "token",
            _("动态口令不正确或已过期，请输入验证器中当前显示的数字。")
            if allowed
            else _("错误次数过多，请稍候几秒再试。"),
        )
        status = 400
    return _second_step(request, "registration/otp_verify.html", {"form": form}, status=status)


class PasswordChange(PasswordChangeView):
    """Django's page, with the policy and (when forced) why the user is here."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = passwords.password_expired(self.request.user)
        context["expires_on"] = passwords.password_expires_on(self.request.user)
        return context

