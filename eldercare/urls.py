from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from eldercare.api import api
from eldercare.console.views import site

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("eldercare.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("favicon.ico", site.favicon, name="favicon"),
    path("", include("eldercare.console.urls")),
]

if settings.DEBUG:
    # Django answers an unmatched address in DEBUG with its technical page, whatever handler404
    # says, and that page lists every URL pattern: the demo runs in DEBUG, so the last pattern
    # catches what nothing else matched and shows the platform's own 404 page.
    urlpatterns.append(re_path(r"^(?P<path>.*)$", site.not_found, name=site.NOT_FOUND))

# A refusal in the console is recorded in the security audit before its page is shown.
handler403 = "eldercare.accounts.views.permission_denied"
handler404 = "django.views.defaults.page_not_found"  # templates/404.html (when DEBUG is off)
handler500 = "django.views.defaults.server_error"  # templates/500.html (when DEBUG is off)
