"""Sign-in: Django's model backend, reading the signed-in person with their house,
and with the session's authenticator device where the OTP middleware names it."""

import contextvars
from contextlib import suppress

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
from django_otp.models import Device

from providers.models import Person

# The session's device, while the OTP middleware reads the person: its persistent
# id, and the device once read with them.
session_device: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "session_device", default=None
)


class PersonBackend(ModelBackend):
    """Checks passwords as Django's model backend does (and refuses inactive
    people on every request). A session's person is read with their house in the
    same query: staff pages name it and scope by it; and, for a session verified
    with an authenticator code, from its device's row, which the OTP middleware
    then needs no query of its own to check."""

    def get_user(self, user_id):
        person = _person_by_device(user_id)
        if person is None:
            try:
                person = Person._default_manager.select_related("house").get(pk=user_id)
            except Person.DoesNotExist:
                return None
        return person if self.user_can_authenticate(person) else None


def _person_by_device(user_id) -> Person | None:
    """The person with their house, read through the session's device (one query),
    the device kept for the OTP middleware; None without such a device of theirs."""
    wanted = session_device.get()
    if wanted is None or not wanted["id"]:
        return None
    with suppress(ValueError, LookupError, ObjectDoesNotExist):
        # django-otp's own reading of a persistent id (None: not a device model).
        devices = Device._filter_persistent_id(wanted["id"])
        if devices is not None:
            device = devices.select_related("user__house").get(user_id=user_id)
            wanted["device"] = device
            return device.user
    return None
