"""The app's URLs behind two floor routes: a view that touches no database and
one that makes one primary-key query, under the same settings and middleware as
every page."""

import random

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from cards.models import CardRequest


@login_not_required
def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


@login_not_required
def one_query(request):
    top = int(request.GET.get("max", "1000"))
    card_request = CardRequest.objects.filter(pk=random.randint(1, top)).first()  # noqa: S311
    return HttpResponse(card_request.reference if card_request else "-")


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/one-query/", one_query),
    path("", include("helpdesk.urls")),
]
