"""Rate limits: one counter per (scope, user or client address), shared by the
API (a DRF throttle) and the web views (a middleware), answered with 429 and a
Retry-After header.

Rates live in settings.RATE_LIMITS as "N/period" (period: s, m, h or d; an empty
value turns the scope off). A signed-in person is counted by their id wherever
they connect from; anyone else by their client address (helpdesk.network).
Counters are fixed windows in the default cache (Redis in production): `add`
then `incr`, both atomic, so concurrent requests never lose a count.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from helpdesk.network import client_address

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
KEY_PREFIX = "ratelimit"


def parse_rate(rate: str) -> tuple[int, int] | None:
    """ "30/m" → (30, 60); "" or None → None (no limit)."""
    if not rate:
        return None
    number, _slash, period = rate.partition("/")
    return int(number), PERIODS[period.strip()[:1].lower()]


def rate_limit_key(scope: str, request) -> str:
    """Who is counted: the signed-in person, otherwise the client address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        ident = f"user:{user.pk}"
    else:
        ident = f"addr:{client_address(request)}"
    return f"{KEY_PREFIX}:{scope}:{ident}"


def rate_limit_hit(*, request, scope: str) -> int | None:
    """Count one request in `scope`; return the seconds to wait when it is over
    the limit (it is refused), None when it may go ahead."""
    limit = parse_rate(settings.RATE_LIMITS.get(scope, ""))
    if limit is None:
        return None
    allowed, period = limit
    now = time.time()
    window = int(now // period)
    key = f"{rate_limit_key(scope, request)}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first hit
        cache.add(key, 1, timeout=period + 1)
        count = 1
    if count <= allowed:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def too_many_requests_message(wait: int) -> str:
    return ngettext(
        "Too many requests: try again in %(seconds)d second.",
        "Too many requests: try again in %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}


class ScopedRateThrottle(BaseThrottle):
    """DRF throttle for views with a `throttle_scope`: a scope name for every
    action, or a mapping of action → scope (e.g. {"create": "filing"}) to limit
    only some. Over the limit it answers 429 with Retry-After and a message in
    the user's language."""

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if isinstance(scope, dict):
            scope = scope.get(getattr(view, "action", None))
        if not scope:
            return True
        wait = rate_limit_hit(request=request, scope=scope)
        if wait is None:
            return True
        # The wait goes in the message (ours) and in Retry-After (set by DRF's
        # exception handler from `wait`), not appended a second time by DRF.
        throttled = Throttled(detail=too_many_requests_message(wait))
        throttled.wait = wait
        raise throttled


class RateLimitMiddleware:
    """The same limits for web views, named in settings.RATE_LIMITED_VIEWS
    (view name → (scope, HTTP methods)): a 429 page with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        rule = settings.RATE_LIMITED_VIEWS.get(match.view_name) if match else None
        if rule is None or request.method not in rule[1]:
            return None
        wait = rate_limit_hit(request=request, scope=rule[0])
        if wait is None:
            return None
        response = render(
            request,
            "429.html",
            {"message": too_many_requests_message(wait), "title": _("Slow down")},
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
