from django.urls import path

from cards.views import console

app_name = "console"

urlpatterns = [
    path("", console.console_home, name="home"),
    path("lookup/", console.lookup, name="lookup"),
    path("houses/", console.house, name="houses"),
    path("houses/<str:code>/", console.house, name="house"),
]
