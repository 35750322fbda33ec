from django.urls import path

from cards.views import help as help_views

app_name = "help"

urlpatterns = [
    path("", help_views.articles, name="list"),
    path("<slug:slug>/", help_views.article, name="article"),
]
