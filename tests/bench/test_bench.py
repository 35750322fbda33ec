"""The benchmark's own parts, so that `make bench` keeps working: the seeding
(PostgreSQL only) gives a data set the app accepts, and every scenario's request
is answered as the load expects (no timing here: `make bench` measures)."""

import json

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.test import Client
from rest_framework.authtoken.models import Token

from bench import load
from bench.scenarios import SCENARIOS
from cards.models import CardRequest, Event, Status
from providers.models import Category, Provider

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
    # A house's hospital files more than any of its practices (a long list).
    busiest = (
        CardRequest.objects.values("provider")
        .annotate(n=Count("id"))
        .order_by("-n", "provider")
        .first()
    )
    assert Provider.objects.get(pk=busiest["provider"]).category == Category.SPT
    for card_request in CardRequest.objects.order_by("?")[:50]:
        card_request.full_clean(exclude=["identifier"])


@on_postgresql
def test_a_run_drops_what_earlier_runs_filed_and_keeps_the_seed(seeded):
    from bench.prepare import _context, drop_earlier_filings, send
    from cards.models import IdentifierAccess

    context = _context()
    filing = next(s for s in SCENARIOS if s.name == "file")
    client = Client()
    for n in (1, 2, 3):
        assert send(client, filing.request(context, n=10**15 + n)).status_code == 201
    seeded_events = Event.objects.count() - 3
    records = IdentifierAccess.objects.count()

    assert drop_earlier_filings() == 3

    assert CardRequest.objects.count() == seeded["cards_cardrequest"]
    assert Event.objects.count() == seeded_events
    assert IdentifierAccess.objects.count() == records - 3
    assert not CardRequest.objects.filter(identifier__startswith="9999").exists()
    assert drop_earlier_filings() == 0
    # The access records are append-only again.
    send(client, filing.request(context, n=10**15 + 4))
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM cards_identifieraccess")


@on_postgresql
def test_every_scenario_is_answered_as_the_load_expects(seeded):
    from bench.prepare import _context, _queries

    context = _context()
    measured = Token.objects.get(key=context["token"]).user.provider
    listed = CardRequest.objects.filter(provider=measured).count()
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
        counted = context["queries"][scenario.name]
        if scenario.name in ("bare", "one_query"):
            assert counted == ("one" in scenario.name), scenario.name
        else:  # none where everything read is kept; a filing writes
            assert counted >= (spec["method"] == "POST"), scenario.name
    # Counted again on the same data, a filing still files (the same queries).
    assert _queries(context) == context["queries"]
    # The filings are another provider's: the measured list stays as seeded.
    assert CardRequest.objects.filter(provider=measured).count() == listed
    assert json.dumps(context)


@on_postgresql
def test_the_cpu_figures_come_from_answered_requests(seeded):
    from bench.cpu import measure
    from bench.prepare import _context, rows_etag

    context = _context()
    context["etag"] = rows_etag(context)
    for scenario in SCENARIOS:
        figures = measure(context, scenario, requests=2, runs=2, cold=True)
        assert figures["cpu_ms"] > 0 and figures["wall_ms"] > 0, scenario.name
    # The unchanged refresh follows the ETag it is answered, as the polling does
    # (it changes every minute).
    context["etag"] = '"stale"'
    unchanged = next(s for s in SCENARIOS if s.name == "refresh_unchanged")
    measure(context, unchanged, requests=2, runs=1)
    assert context["etag"] == rows_etag(context)
    # A scenario the app refuses is not measured.
    context["token"] = "not-a-token"
    detail = next(s for s in SCENARIOS if s.name == "detail")
    with pytest.raises(SystemExit, match="detail: answered 401"):
        measure(context, detail, requests=1, runs=1)


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


def test_each_scenario_is_measured_at_every_size_in_turn(monkeypatch):
    """The sizes alternate within each scenario, round after round, and each
    figure is the median of its rounds (statuses summed)."""

    from bench import run

    calls = []

    def fake_load(spec):
        calls.append(spec["base_url"])
        n = len(calls)
        return {"rps": n, "p50_ms": n, "p99_ms": 10 * n, "statuses": {"200": 1}}

    runs = measured(monkeypatch, fake_load, ports=(8001, 8002), rounds=3)

    first = calls[:6]
    assert first == [f"http://127.0.0.1:{port}" for port in (8001, 8002) * 3]
    assert len(calls) == 6 * len(SCENARIOS)
    first_scenario = SCENARIOS[0].name
    figures = {one["size"]: one["results"][first_scenario] for one in runs}
    # Its calls 1, 3, 5 went to size 10; 2, 4, 6 to size 20.
    assert figures[10]["rps"] == 3 and figures[20]["rps"] == 4
    assert figures[10]["p99_ms"] == 30 and figures[20]["p99_ms"] == 40
    assert figures[10]["statuses"] == {"200": 3} and figures[10]["rounds"] == 3
    assert figures[10]["queries"] == 3
    assert "| 1.33 (target ≤ 1.30) |" in run.table(runs).splitlines()[3]


def test_a_target_is_judged_against_the_floor_measured_just_before(monkeypatch):
    """The machine slows down during the run: the floor measured again before a
    scenario, not the first one, tells whether it meets its target."""

    from bench import run

    floors = []

    def fake_load(spec):
        floors.append(spec["path"].startswith("/bench/one-query/"))
        # The floor: 1000 req/s at first, then 400; the queue 120 req/s.
        rps = (1000 if sum(floors) == 1 else 400) if floors[-1] else 120
        return {"rps": rps, "p50_ms": 1, "p99_ms": 2, "statuses": {"200": 1}}

    runs = measured(monkeypatch, fake_load, seconds=8, floor_seconds=3)

    targets = [s for s in SCENARIOS if s.target is not None]
    assert sum(floors) == 1 + len(targets)
    queue = runs[0]["results"]["queue"]
    assert queue["floor_rps"] == 400
    line = next(
        line for line in run.table(runs).splitlines() if "specialist queue" in line
    )
    # 0.12 of the first floor, 0.30 of the one just before: met.
    assert "| 0.12 | 400 | 0.30 | ≥ 0.25: met |" in line


def test_each_round_is_judged_against_its_own_floor(monkeypatch):
    """Round 1 runs in a fast minute, round 2 in a slow one, round 3 in between:
    each round's throughput over the floor measured just before it, then the
    median of those ratios (not the median throughput over the median floor)."""

    from bench import run

    floors = iter([1000, 1000, 1000, 1000, 500, 800])  # the floor's 3 rounds first
    queue_rps = iter([300, 150, 160])

    def fake_load(spec):
        if spec["path"].startswith("/bench/bare/"):
            rps = 2000
        elif spec["path"].startswith("/bench/one-query/"):
            rps = next(floors)
        else:
            rps = next(queue_rps)
        return {"rps": rps, "p50_ms": 1, "p99_ms": 2, "statuses": {}}

    runs = measured(
        monkeypatch, fake_load, rounds=3, floor_seconds=3, scenarios=["queue"]
    )

    queue = runs[0]["results"]["queue"]
    # Ratios 0.30, 0.30, 0.20: the median 0.30. The medians' ratio would be
    # 160 / 800 = 0.20, a miss.
    assert queue["ratios_beside"] == pytest.approx([0.30, 0.30, 0.20])
    assert queue["ratio_beside"] == pytest.approx(0.30)
    assert queue["rps"] == 160 and queue["floor_rps"] == 800
    (line,) = [line for line in run.table(runs).splitlines() if "queue page" in line]
    assert "| 800 | 0.30 | ≥ 0.25: met |" in line


def measured(monkeypatch, fake_load, ports=(8001,), **options) -> list[dict]:
    """`bench.run.measure` over made-up servers (sizes 10, 20, … on `ports`), each
    load answered by `fake_load`."""
    from argparse import Namespace

    from bench import run

    monkeypatch.setattr(run, "_load", fake_load)
    queries = {scenario.name: 3 for scenario in SCENARIOS}
    context = {**_scenario_context(), "etag": '"x"', "queries": queries, "seeded": {}}
    started = [
        {"size": 10 * (n + 1), "port": port, "context": context}
        for n, port in enumerate(ports)
    ]
    defaults = {"rounds": 1, "seconds": 1, "concurrency": 1, "floor_seconds": 0}
    return run.measure(started, Namespace(**{"scenarios": [], **defaults, **options}))


def _scenario_context() -> dict:
    """What the scenarios read from the prepared context, with made-up values."""
    return {
        "sessions": {
            role: "s" for role in ("specialist", "supervisor", "operator", "agent")
        },
        "cookie_name": "sessionid",
        "token": "t",
        "filing_token": "f",
        "reference": "TM-2612-00001",
        "lookup": "RO1",
        "max_pk": 1,
    }


def test_naming_scenarios_measures_them_and_the_floors(monkeypatch):

    from bench import run

    paths = []

    def fake_load(spec):
        paths.append(spec["path"])
        return {"rps": 100, "p50_ms": 1, "p99_ms": 2, "statuses": {"200": 1}}

    runs = measured(monkeypatch, fake_load, scenarios=["file"])

    assert list(runs[0]["results"]) == ["bare", "one_query", "file"]
    assert paths == ["/bench/bare/", paths[1], "/api/v1/requests/"]
    assert len(run.table(runs).splitlines()) == 2 + 3
    with pytest.raises(SystemExit, match="unknown scenarios: quue"):
        run.chosen(["quue"])
