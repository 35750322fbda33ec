"""Landing: each role goes to its own home page."""

from django.shortcuts import redirect

from cards.permissions import home_page_for


def home(request):
    return redirect(home_page_for(request.user))
