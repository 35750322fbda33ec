from django.urls import path

from cards.views import portal

app_name = "portal"

urlpatterns = [
    path("requests/", portal.card_request_list, name="requests"),
    path("requests/new/", portal.card_request_new, name="file"),
    path("requests/<str:reference>/", portal.card_request_page, name="request"),
    path(
        "requests/<str:reference>/answer/",
        portal.card_request_answer,
        name="answer",
    ),
    path(
        "requests/<str:reference>/confirm/",
        portal.card_request_confirm,
        name="confirm",
    ),
    path("requests/<str:reference>/print/", portal.card_request_print, name="print"),
    path("messages/", portal.notification_list, name="notifications"),
    path(
        "messages/read/",
        portal.notifications_mark_all_read,
        name="notifications_read",
    ),
    path(
        "messages/<int:pk>/open/",
        portal.notification_open,
        name="notification_open",
    ),
]
