"""Versions kept in the shared cache: a new random token as soon as what one stands
for changes, so that a reader can tell "nothing changed" from the version alone.

- A house's queue: replaced when any request of the house is filed, changes or
  leaves it. The queue's polling answers "nothing changed" (304) from it, with no
  query on the requests; where the version cannot tell (no shared cache, or the
  cache is down), the caller falls back to the database's fingerprint.
  Its list and counts are kept under it by each process, for every reader with
  the same scope (`kept_for_queue`), and so are the reports of the minute on
  the houses (`kept_for_queues`).
- A provider's requests: replaced when any of them is filed or changes, or one
  of their messages is delivered or fails. "My requests" is kept under it by
  each process, for every agent of the provider, and so is each agent's answer
  to the API detail of one of them (`kept_for_provider`).
- A person's inbox: replaced when an in-app message reaches them or one of theirs
  is read. Their unread count, shown on every page, is kept under it.
- The offices people work: replaced when anyone's offices change, or an office
  does. A specialist's offices, which every permission check of their queue
  reads, are kept under it by each process (`load_offices`).
- The routing: replaced when a house, an office or a house's category mapping
  changes. The house a filing names and the office its provider's category goes
  to are kept under it by each process (`kept_for_routing`).
- Sign-in: replaced when a person, an API token, an authenticator device, a
  provider, a location or a house is saved or deleted. The agent a token names,
  with their provider and location, and a session's person, with their house and
  the session's device, are kept under it by each process (`kept_for_sign_in`):
  a token deleted, a device removed or a person deactivated or given a new
  password is refused on their next request.

A token is replaced, never counted up: a version the cache lost comes back as a
new one, so it can never repeat one a reader still holds. A change replaces it once
it commits: a read before pairs the old version with the data as it was, or with
the new data just committed, which only costs its reader one more refresh; a read
after gets the new version. A request reads each version once, and most of those
it reads in one round trip (`read_once`)."""

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction

from helpdesk.prefetch import prefetched_install
from providers.models import Role

logger = logging.getLogger(__name__)


def _queue_key(house_id: int) -> str:
    return f"queue-version:{house_id}"


def _provider_key(provider_id: int) -> str:
    return f"provider-version:{provider_id}"


def _inbox_key(person_id: int) -> str:
    return f"inbox-version:{person_id}"


def _bump(keys: set[str]) -> None:
    """Replace the versions once the change commits: at once outside a
    transaction, or inside one a test case opened (Django's TestCase marks it),
    which never commits."""
    if not keys:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block and not getattr(
        connection.atomic_blocks[0], "_from_testcase", False
    ):
        transaction.on_commit(lambda: _replace(keys))
    else:
        _replace(keys)


def _replace(keys: set[str]) -> None:
    reads = _reads.get()
    if reads is not None:  # read again, if this request reads them again
        for key in keys:
            reads.read.pop(key, None)
    try:
        cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)
    except Exception:  # the cache is down: the version it still holds must go
        logger.warning("versions not replaced: %s", sorted(keys))
        with contextlib.suppress(Exception):  # down for good: nobody reads it
            cache.delete_many(list(keys))


def _version(key: str) -> str | None:
    """The version under `key`: read once a request (`read_once`), and with the
    others the request is likely to read on its first."""
    reads = _reads.get()
    if reads is None:
        return _read_version(key)
    if not reads.started:
        reads.started = True
        reads.read.update(_read_versions({key, *reads.likely()}))
    if key not in reads.read:
        reads.read[key] = _read_version(key)
    return reads.read[key]


def _read_version(key: str) -> str | None:
    try:
        version = cache.get(key)
        if version is None:
            cache.add(key, secrets.token_hex(8), timeout=None)
            version = cache.get(key)
    except Exception:
        logger.warning("version unavailable: %s", key)
        return None
    return version


def _read_versions(keys: set[str]) -> dict[str, str | None]:
    """The versions under `keys`, in one round trip (one more for each new one)."""
    try:
        versions = cache.get_many(sorted(keys))
    except Exception:
        logger.warning("versions unavailable: %s", sorted(keys))
        return dict.fromkeys(keys)
    return {key: versions.get(key) or _read_version(key) for key in keys}


# A request's versions --------------------------------------------------------------


@dataclass
class _Reads:
    likely: Callable[[], Iterable[str]]
    read: dict[str, str | None] = field(default_factory=dict)
    started: bool = False


_reads: ContextVar[_Reads | None] = ContextVar("versions_read", default=None)


@contextlib.contextmanager
def read_once(likely: Callable[[], Iterable[str]]) -> Iterator[None]:
    """Within it, each version is read once, and the first read takes those
    `likely()` names with it, in one round trip (`versions_likely_for`). A version
    this code replaces is read again. For the length of a request: one read
    earlier than its use pairs an older version with newer data, which only
    costs a reader one more refresh, never a stale one."""
    token = _reads.set(_Reads(likely))
    try:
        yield
    finally:
        _reads.reset(token)


def versions_likely_for(person) -> list[str]:
    """The versions a request of `person` is likely to read: the routing (a
    filing); sign-in, where no session names the person (an API request, before
    its token is read); the offices people work (a specialist's permissions),
    their house's queue, their provider's requests and their inbox (the header's
    unread count). A session's person was read with sign-in's version already."""
    if not person.is_authenticated:
        return [ROUTING_KEY, SIGN_IN_KEY]
    keys = [ROUTING_KEY]
    if person.role == Role.SPECIALIST:
        keys.append(OFFICES_KEY)
    if person.house_id is not None:
        keys.append(_queue_key(person.house_id))
    if person.provider_id is not None:
        keys.append(_provider_key(person.provider_id))
    if settings.UNREAD_COUNT_SECONDS:
        keys.append(_inbox_key(person.pk))
    return keys


# Queues ---------------------------------------------------------------------------


def queue_versions_bump(*house_ids: int | None) -> None:
    """New versions for these houses' queues."""
    if settings.QUEUE_VERSIONS:
        _bump({_queue_key(h) for h in house_ids if h is not None})


def queue_version_of(house_id: int | None) -> str | None:
    """The current version of the house's queue, or None when it cannot be trusted
    (no house, no shared cache, or the cache did not answer)."""
    if house_id is None or not settings.QUEUE_VERSIONS:
        return None
    return _version(_queue_key(house_id))


def _kept[T](version: str | None, key: str, read: Callable[[], T]) -> T:
    """`read()`, kept by this process under `key` while `version` holds
    (QUEUE_KEPT_SECONDS at most); read every time when there is no version."""
    if version is None:
        return read()
    kept_cache = caches["fragments"]
    key = f"{key}:{version}"
    kept = kept_cache.get(key)
    if kept is None:
        kept = read()
        kept_cache.set(key, kept, settings.QUEUE_KEPT_SECONDS)
    return kept


def _kept_under[T](version_key: str, name: str, read: Callable[[], T]) -> T:
    """`read()`, kept by this process while the version under `version_key` holds
    (`_kept`), under `name`; read every time where it cannot be trusted (no
    shared cache, or it did not answer)."""
    version = _version(version_key) if settings.QUEUE_VERSIONS else None
    return _kept(version, f"{version_key}:{name}", read)


def kept_for_queue[T](
    house_id: int | None, version: str | None, name: str, read: Callable[[], T]
) -> T:
    """`read()`, kept by this process while the house's queue keeps `version` (as
    `queue_version_of` gave it: QUEUE_KEPT_SECONDS at most), under `name`, which
    must tell apart whatever else decides what `read` returns; read every time
    where the version cannot be trusted."""
    return _kept(version, f"queue-kept:{house_id}:{name}", read)


def kept_for_queues[T](house_ids: list[int], name: str, read: Callable[[], T]) -> T:
    """`read()`, kept by this process while each of these houses' queues keeps its
    version (QUEUE_KEPT_SECONDS at most), under `name` as `kept_for_queue`; the
    versions are read in one round trip. Read every time where one cannot be
    trusted."""
    if not settings.QUEUE_VERSIONS or not house_ids:
        return read()
    keys = [_queue_key(h) for h in sorted(set(house_ids))]
    try:
        versions = cache.get_many(keys)
    except Exception:
        logger.warning("versions unavailable: %d queues", len(keys))
        return read()
    for key in keys:
        if key not in versions:
            versions[key] = _version(key)
    if None in versions.values():
        return read()
    joined = hashlib.blake2b(
        ",".join(f"{key}={versions[key]}" for key in keys).encode(), digest_size=12
    ).hexdigest()
    return _kept(joined, f"queues-kept:{name}", read)


# Providers' requests ---------------------------------------------------------------


def kept_for_provider[T](provider_id: int, name: str, read: Callable[[], T]) -> T:
    """`read()`, kept by this process while the provider's requests keep their
    version (QUEUE_KEPT_SECONDS at most), under `name`, which must tell apart
    whatever else decides what `read` returns; read every time where the version
    cannot be trusted (no shared cache, or it did not answer)."""
    return _kept_under(_provider_key(provider_id), name, read)


def on_card_request_saved(sender, instance, **kwargs) -> None:
    """New versions for the request's house queue and its provider's requests."""
    if settings.QUEUE_VERSIONS:
        _bump({_queue_key(instance.house_id), _provider_key(instance.provider_id)})


def on_event_saved(sender, instance, created, **kwargs) -> None:
    """A transfer takes a request out of the house it leaves. The house an event
    names as `to_house` is the request's own, whose save bumped it already."""
    if created:
        queue_versions_bump(instance.from_house_id)


def on_notification_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A message's delivery (its status, attempts, the "notified" event its
    transaction adds) shows in its request's detail: a new version of the
    provider's requests. Queued messages come with their request's own change;
    a message read changes nothing the detail shows."""
    shown = {"status", "attempts", "sent_at"}
    if settings.QUEUE_VERSIONS and (update_fields is None or shown & update_fields):
        _bump({_provider_key(instance.card_request.provider_id)})


# The offices people work ----------------------------------------------------------

OFFICES_KEY = "offices-version"


def offices_version_bump(**kwargs) -> None:
    """A new version of the offices people work: someone's offices changed, or an
    office did (a signal receiver: a change of someone's offices once it is made)."""
    if settings.QUEUE_VERSIONS and not kwargs.get("action", "").startswith("pre_"):
        _bump({OFFICES_KEY})


def load_offices(person) -> None:
    """The person's offices loaded for this request's permission checks and scope
    (`person.offices.all()`): kept by this process while the offices people work
    keep their version (QUEUE_KEPT_SECONDS at most), read where it cannot be
    trusted. Only a specialist's offices decide what they work."""
    if person.role != Role.SPECIALIST or "offices" in getattr(
        person, "_prefetched_objects_cache", {}
    ):
        return
    offices = _kept_under(
        OFFICES_KEY, f"person:{person.pk}", lambda: list(person.offices.all())
    )
    prefetched_install(person, "offices", offices)


# Routing ---------------------------------------------------------------------------

ROUTING_KEY = "routing-version"


def routing_version_bump(**kwargs) -> None:
    """A new version of the routing: a house, an office or a category mapping
    changed (a signal receiver)."""
    if settings.QUEUE_VERSIONS:
        _bump({ROUTING_KEY})


def kept_for_routing[T](name: str, read: Callable[[], T]) -> T:
    """`read()` of houses, offices and their category mappings, kept by this
    process while the routing keeps its version (QUEUE_KEPT_SECONDS at most),
    under `name`, which must tell apart whatever decides what `read` returns;
    read every time where the version cannot be trusted."""
    return _kept_under(ROUTING_KEY, name, read)


# Sign-in ---------------------------------------------------------------------------

SIGN_IN_KEY = "sign-in-version"


def sign_in_version_bump(**kwargs) -> None:
    """A new version of who signs in and how: a person, an API token, an
    authenticator device, or a provider, location or house a person is read with
    (a signal receiver)."""
    if settings.QUEUE_VERSIONS:
        _bump({SIGN_IN_KEY})


def kept_for_sign_in[T](name: str, read: Callable[[], T]) -> T:
    """`read()` of a person (through their token or their session), kept by this
    process while sign-in keeps its version (QUEUE_KEPT_SECONDS at most), under
    `name`; read every time where the version cannot be trusted."""
    return _kept_under(SIGN_IN_KEY, name, read)


# Inboxes --------------------------------------------------------------------------


def inbox_versions_bump(*person_ids: int | None) -> None:
    """New versions for these people's inboxes: their unread counts are counted
    anew."""
    if settings.UNREAD_COUNT_SECONDS:
        _bump({_inbox_key(p) for p in person_ids if p is not None})


def kept_for_inbox(person_id: int, name: str, count: Callable[[], int]) -> int:
    """`count()`, kept in the cache while the person's inbox keeps its version
    (UNREAD_COUNT_SECONDS at most: what else changes it, such as a request moved
    out of their reach, shows by then); counted every time where there is no
    shared cache or it does not answer."""
    seconds = settings.UNREAD_COUNT_SECONDS
    version = _version(_inbox_key(person_id)) if seconds else None
    if version is None:
        return count()
    key = f"{name}:{person_id}:{version}"
    try:
        kept = cache.get(key)
    except Exception:
        kept = None
    if kept is None:
        kept = count()
        with contextlib.suppress(Exception):
            cache.set(key, kept, seconds)
    return kept
