"""Sign-in: Django's model backend, reading the signed-in person with their house,
and with the session's authenticator device where the OTP middleware names it."""

import contextvars
from contextlib import suppress

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
from django_otp.models import Device

from cards.services.versions import kept_for_sign_in
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
    then needs no query of its own to check. Both are kept by each process under
    sign-in's version (`kept_for_sign_in`): any change to a person, a device or
    what a person is read with reaches the next request."""

    def get_user(self, user_id):
        wanted = session_device.get()
        device_id = wanted["id"] if wanted is not None else None
        person, device = kept_for_sign_in(
            f"session:{user_id}:{device_id or ''}",
            lambda: _session_person(user_id, device_id),
        )
        if wanted is not None:
            wanted["device"] = device
        if person is None:
            return None
        return person if self.user_can_authenticate(person) else None


def _session_person(
    user_id, device_id: str | None
) -> tuple[Person | None, Device | None]:
    """The person with their house, read through the session's device where it is
    theirs (one query), with that device; else read alone."""
    if device_id:
        with suppress(ValueError, LookupError, ObjectDoesNotExist):
            # django-otp's own reading of a persistent id (None: not a device model).
            devices = Device._filter_persistent_id(device_id)
            if devices is not None:
                device = devices.select_related("user__house").get(user_id=user_id)
                return device.user, device
    try:
        return Person._default_manager.select_related("house").get(pk=user_id), None
    except Person.DoesNotExist:
        return None, None
