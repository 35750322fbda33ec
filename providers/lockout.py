"""Sign-in lockout (django-axes), with two limits instead of axes' one:

- LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS failures for one username from one client
  address lock that pair (the person can still sign in from elsewhere, so an
  attacker cannot lock someone out of every place);
- LOGIN_FAILURES_PER_ADDRESS failures from one address, whatever the usernames,
  lock the address (password spraying).

A lock lasts AXES_COOLOFF_TIME from the failure that set it. A successful sign-in
clears the failures of that username from that address only: signing in to an
account of one's own does not wipe the address's count.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The groups of AXES_LOCKOUT_PARAMETERS, in that order, and the setting that holds
# each one's limit.
LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
_LIMIT_SETTINGS = [
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
    "LOGIN_FAILURES_PER_ADDRESS",
]


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with one limit per lockout group."""

    def get_failures(self, request, credentials=None) -> int:
        """Failures on the scale of AXES_FAILURE_LIMIT: it reaches the limit when
        any group reaches its own limit (axes compares this to one number)."""
        scale = settings.AXES_FAILURE_LIMIT
        counts = [
            attempts.values_list("failures_since_start", flat=True)
            for attempts in self.get_user_attempts(request, credentials)
        ]
        headroom = [
            getattr(settings, name) - sum(group)
            for name, group in zip(_LIMIT_SETTINGS, counts, strict=True)
        ]
        return scale - min(headroom)

    def locked_until(self, request, credentials=None):
        """When the lock on this request's username and address lifts (the latest
        lock among the groups over their limit), or None."""
        cool_off = get_cool_off(request)
        ends = []
        groups = self.get_user_attempts(request, credentials)
        for name, attempts in zip(_LIMIT_SETTINGS, groups, strict=True):
            rows = list(attempts.values_list("failures_since_start", "attempt_time"))
            if rows and sum(f for f, _t in rows) >= getattr(settings, name):
                ends.append(max(t for _f, t in rows) + cool_off)
        return max(ends) if ends else None

    def reset_user_attempts(self, request, credentials=None) -> int:
        """On success: forget this username's failures from this address only."""
        username = get_client_username(request, credentials)
        count, _deleted = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def lockout_seconds(request, credentials=None) -> int:
    """Seconds until the lock lifts (the whole cool-off when it cannot tell)."""
    until = AxesProxyHandler.get_implementation().locked_until(request, credentials)
    if until is None:
        cool_off = get_cool_off(request)
        return math.ceil(cool_off.total_seconds()) if cool_off else 0
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins from this address. Try again in %(minutes)d "
        "minute, or ask your administrator.",
        "Too many failed sign-ins from this address. Try again in %(minutes)d "
        "minutes, or ask your administrator.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; JSON for the API, a page in
    the user's language for the web. It names no account, so it says nothing
    about whether the username exists."""
    seconds = lockout_seconds(request, credentials)
    message = lockout_message(seconds)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": message, "title": _("Sign-in paused")},
            status=429,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
