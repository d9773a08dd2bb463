from django.contrib import admin
from django.urls import include, path

from eldercare.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("eldercare.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("eldercare.console.urls")),
]

# A refusal in the console is recorded in the security audit before its page is shown.
handler403 = "eldercare.accounts.views.permission_denied"
