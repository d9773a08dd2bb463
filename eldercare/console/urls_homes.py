"""The console's homes pages (included by console/urls.py): the elder's and family's booking and
rating steps, and an elder's standing orders (长期服务) and preferred caregiver."""

from django.urls import path

from .views import home, standing

urlpatterns: list = [
    path("home/book/", home.book, name="home_book"),
    path("home/rate/<int:pk>/", home.rate, name="home_rate"),
    path("elders/<int:pk>/standing/", standing.standing_orders, name="standing_orders"),
    path("elders/<int:pk>/standing/preferred/", standing.standing_preferred, name="standing_preferred"),
    path("elders/<int:pk>/standing/<int:rid>/stop/", standing.standing_stop, name="standing_stop"),
]
