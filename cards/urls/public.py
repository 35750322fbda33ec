from django.urls import path

from cards.views import public

app_name = "public"

urlpatterns = [
    path("contacts/", public.contacts, name="contacts"),
]
