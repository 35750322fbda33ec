"""HTML pages."""

from django.shortcuts import render

from cards.guidance import instructions_for
from cards.models import Status
from cards.permissions import Action, can
from cards.selectors import card_request_get_for, card_requests_listed_for


def home(request):
    card_requests = card_requests_listed_for(request.user).select_related(
        "house", "office", "provider"
    )[:50]
    return render(request, "cards/home.html", {"card_requests": card_requests})


def card_request_page(request, reference):
    card_request = card_request_get_for(request.user, reference)
    show_instructions = card_request.status in (
        Status.RESOLVED,
        Status.CLOSED,
    ) and bool(card_request.outcome)
    context = {
        "card_request": card_request,
        "identifier": card_request.identifier
        if can(request.user, Action.VIEW_IDENTIFIER, card_request)
        else card_request.masked_identifier,
        "events": card_request.events.select_related("actor", "from_house", "to_house"),
        "instructions": instructions_for(card_request.kind)
        if show_instructions
        else None,
    }
    return render(request, "cards/card_request.html", context)
