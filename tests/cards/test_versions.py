"""The shared cache's versions read once a request (cards.services.versions,
cards.middleware): what a request reads in one round trip, and that a version
replaced meanwhile is read again."""

import pytest

from cards.services import versions
from cards.services.versions import (
    OFFICES_KEY,
    ROUTING_KEY,
    SIGN_IN_KEY,
    read_once,
    routing_version_bump,
)

CID = "80642000350012345678"


class CacheReads:
    """The shared cache, noting each read of a version: one entry per round trip,
    the keys it read."""

    def __init__(self, inner):
        self.inner = inner
        self.reads: list[tuple[str, ...]] = []

    def get(self, key, *args, **kwargs):
        self._note(key)
        return self.inner.get(key, *args, **kwargs)

    def get_many(self, keys, *args, **kwargs):
        self._note(*keys)
        return self.inner.get_many(keys, *args, **kwargs)

    def _note(self, *keys: str) -> None:
        keys = tuple(k for k in keys if "-version" in k)
        if keys:
            self.reads.append(keys)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def cache_reads(settings, monkeypatch):
    settings.QUEUE_VERSIONS = True
    for key in (ROUTING_KEY, SIGN_IN_KEY, OFFICES_KEY):
        versions._read_version(key)  # there already, as after the first request
    reads = CacheReads(versions.cache)
    monkeypatch.setattr(versions, "cache", reads)
    return reads


def test_a_filing_reads_the_tokens_and_the_routing_versions_in_one_round_trip(
    api, provider_agent, cache_reads
):
    client = api(provider_agent)
    body = {"kind": "blocked", "insurer_house": "CJ"}
    client.post("/api/v1/requests/", {**body, "cid": "1" * 20}, format="json")
    cache_reads.reads.clear()

    response = client.post("/api/v1/requests/", {**body, "cid": CID}, format="json")

    assert response.status_code == 201, response.json()
    assert len(cache_reads.reads) == 1
    assert {SIGN_IN_KEY, ROUTING_KEY} <= set(cache_reads.reads[0])


def test_a_queue_page_reads_its_versions_in_two_round_trips(
    client, specialist, cache_reads, settings
):
    """Sign-in's with the session's person, then all the others at once."""
    settings.UNREAD_COUNT_SECONDS = 60
    client.force_login(specialist)
    client.get("/queue/")
    cache_reads.reads.clear()

    assert client.get("/queue/").status_code == 200

    assert cache_reads.reads[0] == (SIGN_IN_KEY,)
    assert len(cache_reads.reads) == 2
    assert {
        OFFICES_KEY,
        f"queue-version:{specialist.house_id}",
        f"inbox-version:{specialist.pk}",
    } <= set(cache_reads.reads[1])


def test_a_version_is_read_once_in_a_request_and_again_once_replaced(db, cache_reads):
    with read_once(lambda: [ROUTING_KEY, SIGN_IN_KEY]):
        first = versions._version(ROUTING_KEY)
        assert versions._version(ROUTING_KEY) == first
        assert versions._version(SIGN_IN_KEY) is not None
        assert len(cache_reads.reads) == 1

        routing_version_bump()  # this request changes the routing

        second = versions._version(ROUTING_KEY)
        assert second != first
        assert second == versions.cache.get(ROUTING_KEY)
    assert len(cache_reads.reads) == 3  # and the check against the cache


def test_outside_a_request_every_read_asks_the_cache(cache_reads):
    cache_reads.inner.set(ROUTING_KEY, "as-it-was", None)
    assert versions._version(ROUTING_KEY) == "as-it-was"
    cache_reads.inner.set(ROUTING_KEY, "changed-elsewhere", None)

    assert versions._version(ROUTING_KEY) == "changed-elsewhere"
    assert len(cache_reads.reads) == 2


class Down:
    def __getattr__(self, name):
        raise ConnectionError("the cache does not answer")


def test_a_cache_that_does_not_answer_gives_no_version_in_a_request(
    settings, monkeypatch
):
    settings.QUEUE_VERSIONS = True
    monkeypatch.setattr(versions, "cache", Down())
    with read_once(lambda: [SIGN_IN_KEY]):
        assert versions._version(ROUTING_KEY) is None
        assert versions._version(SIGN_IN_KEY) is None
