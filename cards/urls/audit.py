from django.urls import path

from cards.views import audit

app_name = "audit"

urlpatterns = [
    path("access/", audit.access_list, name="access"),
]
