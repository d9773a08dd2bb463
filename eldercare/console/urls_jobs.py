"""The console's jobs pages (included by console/urls.py): the user's background exports."""

from django.urls import path

from .views import jobs

urlpatterns: list = [
    path("exports/", jobs.export_list, name="exports"),
    path("exports/status.json", jobs.export_status, name="export_status"),
    path("exports/<int:pk>/download/", jobs.export_download, name="export_download"),
]
