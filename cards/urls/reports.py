from django.urls import path

from cards.views import reports

app_name = "reports"

urlpatterns = [
    path("", reports.reports, name="home"),
    path("requests.csv", reports.requests_csv, name="requests_csv"),
    path("calls.csv", reports.calls_csv, name="calls_csv"),
]
