"""The console's providers pages (included by console/urls.py): providers, their areas and caregivers,
guide prices, fraud flags."""

from django.urls import path

from .views import providers

urlpatterns = [
    path("providers/", providers.provider_list, name="provider_list"),
    path("providers/new/", providers.provider_create, name="provider_create"),
    path("providers/<int:pk>/", providers.provider_detail, name="provider_detail"),
    path("providers/<int:pk>/act/", providers.provider_act, name="provider_act"),
    path("providers/<int:pk>/caregivers/", providers.provider_caregivers, name="provider_caregivers"),
    path("providers/<int:pk>/caregivers/new/", providers.caregiver_create, name="caregiver_create"),
    path("providers/<int:pk>/caregivers/<int:caregiver_pk>/edit/", providers.caregiver_edit, name="caregiver_edit"),
    path("prices/", providers.price_list, name="price_list"),
    path("prices/new/", providers.price_create, name="price_create"),
    path("flags/", providers.flag_list, name="flag_list"),
    path("flags/<int:pk>/resolve/", providers.flag_resolve, name="flag_resolve"),
]
