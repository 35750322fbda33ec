from django.urls import path

from providers import views

app_name = "otp"

urlpatterns = [
    path("code/", views.otp_verify, name="verify"),
    path("enrol/", views.otp_setup, name="setup"),
]
