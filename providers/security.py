"""Sign-in rules that do not belong to one view: who must use a second factor, and
ending every session and API token of a person (deactivation)."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.authtoken.models import Token

from providers.models import Person


def needs_two_factor(person) -> bool:
    """CAS staff (phone operators, specialists, supervisors, national admins) and
    anyone who may open the admin sign in with a password and a TOTP code; provider
    agents with a password (or, for their software, an API token)."""
    from cards.permissions import Action, has_role_for

    if not getattr(person, "is_authenticated", False):
        return False
    return (
        has_role_for(person, Action.USE_CAS_DESK)
        or person.is_staff
        or person.is_superuser
    )


def person_sessions_end(*, person: Person) -> int:
    """Delete every session signed in as `person` and their API token, so that
    nothing they opened outlives a deactivation (even a later reactivation).
    Returns the number of sessions ended."""
    Token.objects.filter(user=person).delete()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):
        return 0  # sessions not kept in the database: nothing to find them by
    wanted = str(person.pk)
    ended = 0
    sessions = Session.objects.filter(expire_date__gt=timezone.now())
    for session in sessions.iterator():
        if session.get_decoded().get(SESSION_KEY) == wanted:
            store().delete(session.session_key)
            ended += 1
    return ended


def person_saved(sender, instance: Person, created: bool, update_fields=None, **kw):
    """post_save of Person: a person saved inactive (in the admin or anywhere a
    model is saved) loses their sessions and token at once."""
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    person_sessions_end(person=instance)
