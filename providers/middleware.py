"""CAS staff sessions: the second-factor gate and the idle timeout; the session's
authenticator device read with its person.

Runs after the authentication, OTP, messages and htmx middleware, and gives the
views the person read (`read_user`). Provider agents pass through otherwise
untouched.
"""

import time

import django_otp.middleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.translation import ngettext
from django_otp import DEVICE_ID_SESSION_KEY

from providers.backends import session_device
from providers.security import needs_two_factor

LAST_ACTIVITY_KEY = "staff_last_activity"
# htmx names the element that fired a request in HX-Trigger. These elements poll
# on a timer (the queue's live list, every 5 s): their requests are not activity.
POLLING_TRIGGERS = frozenset({"queue-list"})
# The timestamp is written at most this often, so that a busy page does not save
# the session on every request.
TOUCH_EVERY_SECONDS = 60
# What a staff member signed in with a password but not yet with a code may open.
OPEN_BEFORE_VERIFICATION = frozenset(
    {"otp:verify", "otp:setup", "logout", "set_language", "healthz", "readyz"}
)


def is_polling(request) -> bool:
    """A timer-driven htmx refresh, not a person doing something."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Trigger") in POLLING_TRIGGERS
    )


def read_user(user):
    """The person (or anonymous user) behind a lazy `request.user`, read. The
    authentication and OTP middleware each wrap it in a lazy object, which every
    later use of the person (permissions, scope, templates: hundreds a page)
    would go through."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = user = read_user(request.user)
        if needs_two_factor(user):
            self._end_if_idle(request)
        return self.get_response(request)

    def _end_if_idle(self, request) -> None:
        """Sign out a staff session idle for STAFF_IDLE_TIMEOUT_SECONDS; otherwise
        note the activity (polling does not count)."""
        now = int(time.time())
        timeout = settings.STAFF_IDLE_TIMEOUT_SECONDS
        last = request.session.get(LAST_ACTIVITY_KEY)
        if last is not None and now - last > timeout:
            logout(request)  # flushes the session server-side
            if not request.path_info.startswith("/api/"):
                minutes = max(1, timeout // 60)
                messages.info(
                    request,
                    ngettext(
                        "You were signed out after %(minutes)d minute without "
                        "activity. Sign in again to go on.",
                        "You were signed out after %(minutes)d minutes without "
                        "activity. Sign in again to go on.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
            return
        if last is None or (
            now - last >= TOUCH_EVERY_SECONDS and not is_polling(request)
        ):
            request.session[LAST_ACTIVITY_KEY] = now

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Until a staff session is verified with a code, every page sends it to
        the code step (the API answers 403 itself: see providers.authentication)."""
        user = request.user
        if not needs_two_factor(user) or user.is_verified():
            return None
        if request.path_info.startswith("/api/"):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_VERIFICATION:
            return None
        return redirect_to_login(request.get_full_path(), reverse("otp:verify"))


class OTPMiddleware(django_otp.middleware.OTPMiddleware):
    """django-otp's middleware, with the session's device read in the same query as
    its person (`providers.backends.PersonBackend`). The device is checked as
    django-otp checks it: its person's, and confirmed."""

    def _verify_user_sync(self, request, user):
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if persistent_id:
            persistent_id = self._normalize_persistent_id(persistent_id)
        token = session_device.set({"id": persistent_id, "device": None})
        try:
            return super()._verify_user_sync(request, user)
        finally:
            session_device.reset(token)

    def _device_from_persistent_id(self, persistent_id: str):
        read = session_device.get()
        device = read and read["device"]
        if device is not None and device.persistent_id == (
            self._normalize_persistent_id(persistent_id)
        ):
            return device
        return super()._device_from_persistent_id(persistent_id)
