"""The console's calldesk pages (included by console/urls.py): calling from an alarm, the live
board's stream, closing early warnings, and revealing an elder's phone for a call."""

from django.urls import path

from .views import alarms, elders

urlpatterns: list = [
    path("alarms/stream/", alarms.alarm_stream, name="alarm_stream"),
    path("alarms/<int:pk>/call/", alarms.alarm_call, name="alarm_call"),
    path("alarms/warnings/<int:pk>/close/", alarms.warning_close, name="warning_close"),
    path("elders/<int:pk>/reveal-phone/", elders.elder_reveal_phone, name="elder_reveal_phone"),
]
