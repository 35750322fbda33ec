"""What the benchmark measures: one request shape per scenario, for the load
driver (against gunicorn) and for counting its SQL queries (in process)."""

import json
from collections.abc import Callable
from dataclasses import dataclass

# The benchmark files its cards (CIDs of its own) into another house's queue than
# the one it measures, so that runs do not pile requests into it.
BENCH_CID_PREFIX = "9999"
FILING_HOUSE = "VN"


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    make: Callable[[dict, int], dict]
    # The floor it is compared with ("bare" or "one_query"), and the share of the
    # floor's throughput it must reach (None: the floor itself).
    target: float | None = None

    def request(self, context: dict, n: int = 0) -> dict:
        return self.make(context, n)


def _cookie(context: dict, who: str) -> dict:
    return {"Cookie": f"{context['cookie_name']}={context['sessions'][who]}"}


# What the queue page's script sends with its refresh.
POLL = {"HX-Request": "true", "HX-Trigger": "queue-list"}


def _get(path: str, headers: dict | None = None) -> dict:
    return {"method": "GET", "path": path, "headers": headers or {}, "body": None}


def _filing(context: dict, n: int) -> dict:
    body = {
        "error_code": 15,
        "insurer_house": FILING_HOUSE,
        "cid": BENCH_CID_PREFIX + "{n}",
    }
    return {
        "method": "POST",
        "path": "/api/v1/requests/",
        "headers": {
            "Authorization": f"Token {context['filing_token']}",
            "Content-Type": "application/json",
        },
        "body": json.dumps(body).replace("{n}", f"{n:016d}") if n else json.dumps(body),
    }


SCENARIOS = [
    Scenario(
        "bare", "floor: a view with no database", lambda c, n: _get("/bench/bare/")
    ),
    Scenario(
        "one_query",
        "floor: a view with one primary-key query",
        lambda c, n: _get(f"/bench/one-query/?max={c['max_pk']}"),
    ),
    Scenario("file", "filing a request (API)", _filing, 0.25),
    Scenario(
        "queue",
        "specialist queue page",
        lambda c, n: _get("/queue/", _cookie(c, "specialist")),
        0.25,
    ),
    Scenario(
        "refresh_unchanged",
        "queue live refresh, nothing changed (304)",
        lambda c, n: {
            **_get(
                "/queue/rows/",
                {
                    **_cookie(c, "specialist"),
                    **POLL,
                    "If-None-Match": c.get("etag", '"-"'),
                },
            ),
            "follow_etag": True,
        },
        0.50,
    ),
    Scenario(
        "refresh_changed",
        "queue live refresh, one request arrived",
        lambda c, n: _get(
            "/queue/rows/",
            {**_cookie(c, "specialist"), **POLL, "If-None-Match": '"stale"'},
        ),
        0.25,
    ),
    Scenario(
        "detail",
        "a request's API detail",
        lambda c, n: _get(
            f"/api/v1/requests/{c['reference']}/",
            {"Authorization": f"Token {c['token']}"},
        ),
        0.25,
    ),
    Scenario(
        "my_requests",
        'provider\'s "my requests"',
        lambda c, n: _get("/requests/", _cookie(c, "agent")),
        0.25,
    ),
    Scenario(
        "lookup",
        "operator's provider lookup",
        lambda c, n: _get(f"/console/lookup/?q={c['lookup']}", _cookie(c, "operator")),
    ),
    Scenario(
        "reports",
        "reports page (30 days)",
        lambda c, n: _get("/reports/", _cookie(c, "supervisor")),
    ),
]
