from django.urls import path

from cards.views import queue

app_name = "queue"

act = queue.card_request_act

urlpatterns = [
    path("", queue.queue_page, name="home"),
    path("rows/", queue.queue_rows, name="rows"),
    path("<str:reference>/", queue.card_request_page, name="detail"),
    path("<str:reference>/claim/", act, {"action": "claim"}, name="claim"),
    path("<str:reference>/unclaim/", act, {"action": "unclaim"}, name="unclaim"),
    path("<str:reference>/resolve/", act, {"action": "resolve"}, name="resolve"),
    path("<str:reference>/reject/", act, {"action": "reject"}, name="reject"),
    path("<str:reference>/transfer/", act, {"action": "transfer"}, name="transfer"),
    path("<str:reference>/ask-info/", act, {"action": "ask_info"}, name="ask_info"),
]
