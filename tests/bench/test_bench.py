"""The benchmark's own parts, so that `make bench` keeps working: the seeding
(PostgreSQL only) gives a data set the app accepts, and every scenario's request
is answered as the load expects (no timing here: `make bench` measures)."""

import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from bench import load
from bench.scenarios import SCENARIOS
from cards.models import CardRequest, Event, Status

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the benchmark seeds PostgreSQL"
)


@pytest.fixture
def seeded(db, settings):
    from bench import prepare  # noqa: F401  (imports bench.urls' floor routes)
    from bench.seed import seed

    settings.ROOT_URLCONF = "bench.urls"
    settings.RATE_LIMITS = {}
    counts = seed(size=3000, log=lambda line: None)
    return counts


@on_postgresql
def test_the_seed_spreads_requests_over_houses_states_and_time(seeded):
    assert seeded["cards_cardrequest"] == 3000
    assert CardRequest.objects.values("house").distinct().count() == 43
    statuses = set(CardRequest.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.REJECTED, Status.NEW} <= statuses
    # Closed long ago: the identifier erased, as the retention job leaves it.
    assert CardRequest.objects.filter(identifier="", purged_at__isnull=False).exists()
    assert Event.objects.filter(kind="filed").count() == 3000
    for card_request in CardRequest.objects.order_by("?")[:50]:
        card_request.full_clean(exclude=["identifier"])


@on_postgresql
def test_every_scenario_is_answered_as_the_load_expects(seeded):
    from bench.prepare import _context, _queries

    context = _context()
    context["queries"] = _queries(context)
    for scenario in SCENARIOS:
        spec = scenario.request(context, n=10**12 + SCENARIOS.index(scenario))
        client = Client(headers=spec["headers"])
        if spec["method"] == "POST":
            response = client.post(
                spec["path"], data=spec["body"], content_type="application/json"
            )
        else:
            response = client.get(spec["path"])
        expected = {"refresh_unchanged": 304, "file": 201}.get(scenario.name, 200)
        assert response.status_code == expected, scenario.name
        assert context["queries"][scenario.name] >= (
            0 if "bare" in scenario.name else 1
        )
    assert json.dumps(context)


# The live server needs committed data; the shipped houses are restored afterwards,
# as for the end-to-end tests.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_load_driver_counts_requests_and_latencies(live_server):
    spec = {
        "base_url": live_server.url,
        "method": "GET",
        "path": "/healthz",
        "headers": {},
        "seconds": 0.5,
        "concurrency": 2,
    }
    result = load.drive(spec)
    assert result["requests"] > 0
    assert result["statuses"] == {"200": result["requests"]}
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert settings.ROOT_URLCONF
