"""Pages of the site itself: its icon, and the friendly 404 for addresses that match no page."""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = "console/favicon.svg"
NOT_FOUND = "not_found"


@functools.cache
def _favicon() -> bytes:
    found = finders.find(FAVICON)
    if not found:
        raise Http404(FAVICON)
    return Path(str(found)).read_bytes()


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page links: the platform's icon (SVG)."""
    return HttpResponse(_favicon(), content_type="image/svg+xml")


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """The last URL pattern while DEBUG is on: an address that matches no page gets the platform's
    own 404 page (templates/404.html), not Django's technical page that lists every URL pattern.

    Being a pattern itself, it first does what CommonMiddleware's APPEND_SLASH would have done."""
    if settings.APPEND_SLASH and request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != NOT_FOUND:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return defaults.page_not_found(request, Http404(request.path))
