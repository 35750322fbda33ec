"""A version per house's queue, kept in the shared cache: a new random token as
soon as any request of the house is filed, changes or leaves it. The queue's
polling answers "nothing changed" (304) from the version alone, with no query on
the requests; where the version cannot tell (no shared cache, or the cache is
down), the caller falls back to the database's fingerprint.

A token is replaced, never counted up: a version the cache lost comes back as a
new one, so it can never repeat one a client still holds."""

import contextlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def _key(house_id: int) -> str:
    return f"queue-version:{house_id}"


def queue_versions_bump(*house_ids: int | None) -> None:
    """New versions for these houses' queues now and again once the current
    transaction commits: a poll between the two may pair the first with the rows
    as they were, and the second tells it they changed."""
    houses = {house_id for house_id in house_ids if house_id is not None}
    if houses and settings.QUEUE_VERSIONS:
        _replace(houses)
        transaction.on_commit(lambda: _replace(houses))


def _replace(houses: set[int]) -> None:
    try:
        cache.set_many({_key(h): secrets.token_hex(8) for h in houses}, timeout=None)
    except Exception:  # the cache is down: the version it still holds must go
        logger.warning("queue versions not replaced for houses %s", sorted(houses))
        with contextlib.suppress(Exception):  # down for good: nobody reads it
            cache.delete_many([_key(h) for h in houses])


def queue_version_of(house_id: int | None) -> str | None:
    """The current version of the house's queue, or None when it cannot be trusted
    (no house, no shared cache, or the cache did not answer)."""
    if house_id is None or not settings.QUEUE_VERSIONS:
        return None
    try:
        version = cache.get(_key(house_id))
        if version is None:
            cache.add(_key(house_id), secrets.token_hex(8), timeout=None)
            version = cache.get(_key(house_id))
    except Exception:
        logger.warning("queue version unavailable for house %s", house_id)
        return None
    return version


def on_card_request_saved(sender, instance, **kwargs) -> None:
    queue_versions_bump(instance.house_id)


def on_event_saved(sender, instance, created, **kwargs) -> None:
    """A transfer takes a request out of the house it leaves. The house an event
    names as `to_house` is the request's own, whose save bumped it already."""
    if created:
        queue_versions_bump(instance.from_house_id)
