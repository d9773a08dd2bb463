"""Account pages, mounted under accounts/ before django.contrib.auth.urls (whose login, logout and
password-change-done views are used as they are)."""

from django.urls import path

from . import views

urlpatterns = [
    path("otp/setup/", views.otp_setup, name="otp_setup"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("password_change/", views.PasswordChange.as_view(), name="password_change"),
]
