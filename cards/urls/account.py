from django.urls import path

from cards.views import account

app_name = "account"

urlpatterns = [
    path("notifications/", account.notification_settings, name="notifications"),
]
