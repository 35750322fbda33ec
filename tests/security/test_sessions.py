"""Sessions read through the shared cache (helpdesk.sessions): the database
stays the record, a page does not wait for a session query, and a cache that
does not answer costs speed, never a sign-in, a sign-out or an answer."""

import logging
import socket
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.providers.factories import SpecialistFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cached_sessions(settings):
    settings.SESSION_ENGINE = "helpdesk.sessions"


@pytest.fixture
def cache_down(settings):
    """The cache is a Redis server that is not there (nothing listens on the
    port): every cache call fails, as when Redis is stopped."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "helpdesk.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }


def _session_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_signed_in_page_reads_its_session_from_the_cache(client, specialist):
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/queue/").status_code == 200

    assert _session_queries(queries) == []


def test_a_session_missing_from_the_cache_is_read_from_the_database_and_cached(
    client, specialist
):
    from django.core.cache import cache

    client.force_login(specialist)
    cache.clear()

    with CaptureQueriesContext(connection) as first:
        assert client.get("/queue/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get("/queue/").status_code == 200

    assert len(_session_queries(first)) == 1
    assert _session_queries(second) == []


def test_a_cached_copy_is_trusted_for_session_cache_seconds_at_most(
    client, specialist, settings
):
    settings.SESSION_CACHE_SECONDS = 1
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200
    # Ended in the database while its cached copy stays (as when the cache
    # could not be reached at the sign-out).
    Session.objects.all().delete()
    assert client.get("/queue/").status_code == 200

    time.sleep(1.5)

    assert client.get("/queue/").url.startswith("/login/")


def test_a_signed_out_session_cannot_be_used_again(client, specialist):
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200
    stolen = Client()
    stolen.cookies = client.cookies.__class__(client.cookies)

    assert client.post("/logout/").status_code == 302

    assert not Session.objects.exists()
    assert stolen.get("/queue/").url.startswith("/login/")


def test_deactivating_a_person_ends_their_cached_sessions(specialist):
    desk = Client()
    desk.force_login(specialist)
    assert desk.get("/queue/").status_code == 200
    bystander = Client()
    bystander.force_login(SpecialistFactory())
    assert bystander.get("/queue/").status_code == 200

    specialist.is_active = False
    specialist.save()
    specialist.is_active = True
    specialist.save()

    # Ended, cached copy included: reactivation does not bring it back.
    assert desk.get("/queue/").url.startswith("/login/")
    assert bystander.get("/queue/").status_code == 200


def test_with_the_cache_down_staff_pages_work_and_sign_out_ends_the_session(
    client, specialist, cache_down, caplog
):
    caplog.set_level(logging.WARNING, logger="helpdesk.sessions")
    client.force_login(specialist)
    key = client.cookies["sessionid"].value

    assert client.get("/queue/").status_code == 200
    assert client.get(f"/queue/?q={specialist.house.code}").status_code == 200
    assert client.post("/logout/").status_code == 302

    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/queue/").url.startswith("/login/")
    messages = [record.getMessage() for record in caplog.records]
    assert any("session cache unavailable" in message for message in messages)
    assert all(key not in message for message in messages)


def test_with_the_cache_down_a_password_sign_in_keeps_its_session(
    client, provider_agent, cache_down
):
    provider_agent.set_password("a long enough password 42")
    provider_agent.save()

    response = client.post(
        "/login/",
        {"username": provider_agent.username, "password": "a long enough password 42"},
    )

    assert response.status_code == 302
    assert client.get("/requests/").status_code == 200
