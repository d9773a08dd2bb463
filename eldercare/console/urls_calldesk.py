"""The console's calldesk pages (included by console/urls.py): calling from an alarm, the live
board's stream, closing early warnings, revealing an elder's phone for a call, and registering
the devices and home care beds of an elder's home."""

from django.urls import path

from .views import alarms, devices, elders

urlpatterns: list = [
    path("alarms/stream/", alarms.alarm_stream, name="alarm_stream"),
    path("alarms/<int:pk>/call/", alarms.alarm_call, name="alarm_call"),
    path("alarms/warnings/<int:pk>/close/", alarms.warning_close, name="warning_close"),
    path("elders/<int:pk>/reveal-phone/", elders.elder_reveal_phone, name="elder_reveal_phone"),
    path("elders/<int:pk>/devices/", devices.elder_devices, name="elder_devices"),
    path("elders/<int:pk>/beds/new/", devices.bed_register, name="bed_register"),
    path("beds/new/", devices.bed_register_start, name="bed_register_start"),
]
