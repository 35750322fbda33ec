"""Who may reach what: the route × role × method matrix built from the URL resolver,
the object-level probe with other scopes' objects, lists against details, and
filters that must not become oracles.

Outcome classes: ok (2xx/304, or a redirect elsewhere than the sign-in page),
login (redirect to sign in), 400, 401, 403, 404, 405, 409."""

import pytest
from django.urls import reverse

from tests.security.routes import foreign_offices, payload, routes, url_for
from tests.security.world import (
    FOREIGN_REQUESTS,
    NONEXISTENT_REFERENCE,
    ROLES,
    STAFF_ROLES,
    db_snapshot,
    outcome,
    references_in,
    send,
    send_and_roll_back,
    snapshot_changes,
)

ROUTES = routes()

# One row per route name; per method, the outcome for the roles in this order:
#   anonymous   agent   operator   specialist   supervisor   admin
# API rows also list PATCH and DELETE, which no route accepts.
_ = None
ALL_LOGIN_405 = "login 405 405 405 405 405"
API_NOT_ALLOWED = "401 405 405 405 405 405"
MATRIX: dict[str, dict[str, str]] = {
    # Landing: each role to its own home page.
    "home": {"GET": "login ok ok ok ok ok", "POST": "login ok ok ok ok ok"},
    # Provider portal: agents only (CAS staff work from the queue: 403).
    "portal:requests": {"GET": "login ok 403 403 403 403", "POST": ALL_LOGIN_405},
    "portal:file": {
        "GET": "login ok 403 403 403 403",
        "POST": "login ok 403 403 403 403",
    },
    # A request's page: CAS staff are sent on to the queue's page of it.
    "portal:request": {"GET": "login ok ok ok ok ok", "POST": ALL_LOGIN_405},
    "portal:answer": {"GET": ALL_LOGIN_405, "POST": "login ok 403 403 403 403"},
    "portal:confirm": {"GET": ALL_LOGIN_405, "POST": "login ok 403 403 403 403"},
    "portal:print": {"GET": "login ok 403 403 403 403", "POST": ALL_LOGIN_405},
    # Everyone's own in-app messages.
    "portal:notifications": {"GET": "login ok ok ok ok ok", "POST": ALL_LOGIN_405},
    "portal:notifications_read": {"GET": ALL_LOGIN_405, "POST": "login ok ok ok ok ok"},
    "portal:notification_open": {"GET": ALL_LOGIN_405, "POST": "login ok ok ok ok ok"},
    # The queue: roles that work requests; a request's page for all CAS staff;
    # a provider agent does not learn that the queue's pages exist (404).
    "queue:home": {"GET": "login 403 403 ok ok ok", "POST": ALL_LOGIN_405},
    "queue:rows": {"GET": "login 403 403 ok ok ok", "POST": ALL_LOGIN_405},
    "queue:detail": {"GET": "login 404 ok ok ok ok", "POST": ALL_LOGIN_405},
    "queue:claim": {"GET": ALL_LOGIN_405, "POST": "login 404 403 ok ok ok"},
    "queue:unclaim": {"GET": ALL_LOGIN_405, "POST": "login 404 403 ok ok ok"},
    "queue:resolve": {"GET": ALL_LOGIN_405, "POST": "login 404 403 ok ok ok"},
    "queue:reject": {"GET": ALL_LOGIN_405, "POST": "login 404 403 ok ok ok"},
    "queue:transfer": {"GET": ALL_LOGIN_405, "POST": "login 404 403 ok ok ok"},
    "queue:ask_info": {"GET": ALL_LOGIN_405, "POST": "login 404 403 ok ok ok"},
    # The phone console: roles that log calls; the provider lookup for CAS staff.
    "console:home": {"GET": "login 403 ok 403 ok ok", "POST": "login 403 ok 403 ok ok"},
    "console:lookup": {"GET": "login 403 ok ok ok ok", "POST": ALL_LOGIN_405},
    # The house picker's panel names its house in the query: none is 404.
    "console:houses": {"GET": "login 403 404 403 404 404", "POST": ALL_LOGIN_405},
    "console:house": {"GET": "login 403 ok 403 ok ok", "POST": ALL_LOGIN_405},
    # Running a house: supervisors (their own) and national admins (any).
    "supervise:workload": {"GET": "login 403 403 403 ok ok", "POST": ALL_LOGIN_405},
    "supervise:offices": {"GET": "login 403 403 403 ok ok", "POST": ALL_LOGIN_405},
    "supervise:reassign": {"GET": ALL_LOGIN_405, "POST": "login 403 403 403 ok ok"},
    "supervise:release": {"GET": ALL_LOGIN_405, "POST": "login 403 403 403 ok ok"},
    # An office outside the house a role runs is not found (no office is, for
    # roles that run none).
    "supervise:office_update": {
        "GET": ALL_LOGIN_405,
        "POST": "login 404 404 404 ok ok",
    },
    "reports:home": {"GET": "login 403 403 403 ok ok", "POST": ALL_LOGIN_405},
    "reports:requests_csv": {"GET": "login 403 403 403 ok ok", "POST": ALL_LOGIN_405},
    "reports:calls_csv": {"GET": "login 403 403 403 ok ok", "POST": ALL_LOGIN_405},
    # Access records of full identifiers: supervisors and national admins.
    "audit:access": {"GET": "login 403 403 403 ok ok", "POST": ALL_LOGIN_405},
    # The second sign-in step: a verified (or non-staff) session goes on to
    # where it was going; a staff session not yet verified is held here.
    "otp:verify": {"GET": "login ok ok ok ok ok", "POST": "login ok ok ok ok ok"},
    "otp:setup": {"GET": "login ok ok ok ok ok", "POST": "login ok ok ok ok ok"},
    "account:notifications": {
        "GET": "login ok ok ok ok ok",
        "POST": "login ok ok ok ok ok",
    },
    # Public pages (the contacts, the help) and sign-in.
    "public:contacts": {"GET": "ok ok ok ok ok ok", "POST": "405 405 405 405 405 405"},
    "help:list": {"GET": "ok ok ok ok ok ok", "POST": "405 405 405 405 405 405"},
    "help:article": {"GET": "ok ok ok ok ok ok", "POST": "405 405 405 405 405 405"},
    "login": {"GET": "ok ok ok ok ok ok", "POST": "ok ok ok ok ok ok"},
    # Signing out (POST only) ends on the sign-in page.
    "logout": {"GET": ALL_LOGIN_405, "POST": "login login login login login login"},
    "set_language": {"GET": "ok ok ok ok ok ok", "POST": "ok ok ok ok ok ok"},
    "healthz": {"GET": "ok ok ok ok ok ok", "POST": "405 405 405 405 405 405"},
    "readyz": {"GET": "ok ok ok ok ok ok", "POST": "405 405 405 405 405 405"},
    # The API: 401 without credentials, 405 for methods a route does not take.
    # Tokens are for provider integrations: staff accounts get none (403).
    "api-token": {
        "GET": "405 405 405 405 405 405",
        "POST": "ok ok 403 403 403 403",
        "PATCH": "405 405 405 405 405 405",
        "DELETE": "405 405 405 405 405 405",
    },
    "api-schema": {
        "GET": "ok ok ok ok ok ok",
        "POST": "405 405 405 405 405 405",
        "PATCH": "405 405 405 405 405 405",
        "DELETE": "405 405 405 405 405 405",
    },
    "api-docs": {
        "GET": "ok ok ok ok ok ok",
        "POST": "405 405 405 405 405 405",
        "PATCH": "405 405 405 405 405 405",
        "DELETE": "405 405 405 405 405 405",
    },
    "house-list": {
        "GET": "ok ok ok ok ok ok",
        "POST": "405 405 405 405 405 405",
        "PATCH": "405 405 405 405 405 405",
        "DELETE": "405 405 405 405 405 405",
    },
    "provider-list": {
        "GET": "401 403 ok ok ok ok",
        "POST": API_NOT_ALLOWED,
        "PATCH": API_NOT_ALLOWED,
        "DELETE": API_NOT_ALLOWED,
    },
    # Filing: agents, operators and admins (an admin names the provider).
    "card-request-list": {
        "GET": "401 ok ok ok ok ok",
        "POST": "401 ok ok 403 403 ok",
        "PATCH": API_NOT_ALLOWED,
        "DELETE": API_NOT_ALLOWED,
    },
    "card-request-detail": {
        "GET": "401 ok ok ok ok ok",
        "POST": API_NOT_ALLOWED,
        "PATCH": API_NOT_ALLOWED,
        "DELETE": API_NOT_ALLOWED,
    },
    **{
        name: {
            "GET": API_NOT_ALLOWED,
            "POST": "401 403 403 ok ok ok",
            "PATCH": API_NOT_ALLOWED,
            "DELETE": API_NOT_ALLOWED,
        }
        for name in (
            "card-request-claim",
            "card-request-unclaim",
            "card-request-resolve",
            "card-request-reject",
            "card-request-transfer",
            "card-request-ask-info",
        )
    },
    "card-request-info": {
        "GET": API_NOT_ALLOWED,
        "POST": "401 ok ok 403 403 ok",
        "PATCH": API_NOT_ALLOWED,
        "DELETE": API_NOT_ALLOWED,
    },
    "card-request-confirm": {
        "GET": API_NOT_ALLOWED,
        "POST": "401 ok 403 403 403 ok",
        "PATCH": API_NOT_ALLOWED,
        "DELETE": API_NOT_ALLOWED,
    },
    # Calls: operators and supervisors of a house. An admin has no house line of
    # their own and the API cannot name one (400, field error on `office`).
    "call-list": {
        "GET": "401 403 ok 403 ok ok",
        "POST": "401 403 ok 403 ok 400",
        "PATCH": API_NOT_ALLOWED,
        "DELETE": API_NOT_ALLOWED,
    },
}


def _row(name: str) -> dict[str, str]:
    if name not in MATRIX:
        pytest.fail(
            f"Route {name!r} is in the URL resolver but has no row in MATRIX "
            "(tests/security/test_routes.py): review who may use it and add one."
        )
    return MATRIX[name]


def _methods(name: str) -> tuple[str, ...]:
    _kwargs, api = ROUTES[name]
    return ("GET", "POST", "PATCH", "DELETE") if api else ("GET", "POST")


def test_every_route_of_the_resolver_has_a_row_and_every_row_a_route():
    missing = sorted(set(ROUTES) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(ROUTES))
    assert not missing, f"Routes with no row in MATRIX: {missing}"
    assert not stale, f"Rows of MATRIX for routes that no longer exist: {stale}"
    cells = 0
    for name, row in MATRIX.items():
        assert set(row) == set(_methods(name)), f"{name}: methods {sorted(row)}"
        for method, expected in row.items():
            assert len(expected.split()) == len(ROLES), f"{name} {method}: {expected}"
            cells += len(ROLES)
    print(f"\nroute matrix: {len(MATRIX)} routes, {cells} cells")


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_answers_each_role_and_method_as_the_matrix_says(name, world, clients):
    row = _row(name)
    kwarg_names, api = ROUTES[name]
    wrong = []
    for method in _methods(name):
        expected = row.get(method, "").split()
        assert len(expected) == len(ROLES), f"{name}: no {method} cells"
        for role, want in zip(ROLES, expected, strict=True):
            url = url_for(name, kwarg_names, world, role)
            body = payload(name, world, role)
            response = send_and_roll_back(clients[role], method, url, body, api=api)
            got = outcome(response)
            if got != want:
                wrong.append(f"{method} {url} as {role}: {got}, matrix says {want}")
    assert not wrong, "\n".join(wrong)


def test_the_admin_refuses_everyone_but_staff(world, clients):
    url = reverse("admin:index")
    for role in ROLES:
        response = clients[role].get(url)
        assert response.status_code == 302, role
        assert response["Location"].startswith(reverse("admin:login")), role
    world.people["admin"].is_staff = True
    world.people["admin"].save(update_fields=["is_staff"])
    assert clients["admin"].get(url).status_code == 200


# Object-level probe ---------------------------------------------------------------

OBJECT_ROUTES = sorted(
    name
    for name, (kwargs, _api) in ROUTES.items()
    if {"reference", "pk", "office_id"} & set(kwargs)
)
PROBES = {"count": 0, "leaks": 0}


def _probe_methods(name: str, role: str) -> list[str]:
    """The methods the route takes from this role for an object it may see."""
    row = _row(name)
    index = ROLES.index(role)
    return [m for m in _methods(name) if row[m].split()[index] != "405"]


def _foreign_targets(name, world, role) -> list[dict]:
    kwargs, _api = ROUTES[name]
    if "reference" in kwargs:
        return [{"reference": world.ref(foreign)} for foreign in FOREIGN_REQUESTS[role]]
    if "office_id" in kwargs:
        return [{"office_id": pk} for pk in foreign_offices(world, role)]
    own = world.notifications[role].pk
    return [{"pk": n.pk} for n in world.notifications.values() if n.pk != own]


def _nonexistent(name) -> dict:
    kwargs, _api = ROUTES[name]
    if "reference" in kwargs:
        return {"reference": NONEXISTENT_REFERENCE}
    if "office_id" in kwargs:
        return {"office_id": 987654}
    return {"pk": 987654}


def _url(name, world, role, target, fmt=None):
    kwargs, _api = ROUTES[name]
    url = url_for(name, kwargs, world, role, **target)
    if fmt:
        url = url.rstrip("/") + f".{fmt}"
    return url


@pytest.mark.parametrize("name", OBJECT_ROUTES)
def test_objects_of_other_scopes_answer_404_like_nonexistent_ones(name, world, clients):
    """Another provider's, office's or house's request, or another user's message:
    404, the same answer as for one that does not exist, and nothing changes."""
    _kwargs, api = ROUTES[name]
    before = db_snapshot()
    leaks = []
    for role in STAFF_ROLES:
        client = clients[role]
        for method in _probe_methods(name, role):
            body = payload(name, world, role)
            missing_url = _url(name, world, role, _nonexistent(name))
            missing = send(client, method, missing_url, body, api=api)
            assert missing.status_code == 404, f"{method} {missing_url} as {role}"
            formats = (None, "json") if api else (None,)
            for target in _foreign_targets(name, world, role):
                for fmt in formats:
                    url = _url(name, world, role, target, fmt)
                    response = send(client, method, url, body, api=api)
                    PROBES["count"] += 1
                    same = response.status_code == 404 and (
                        not api or response.json() == missing.json()
                    )
                    if not same:
                        leaks.append(
                            f"{method} {url} as {role}: {response.status_code}"
                        )
    changed = snapshot_changes(before, db_snapshot())
    PROBES["leaks"] += len(leaks) + len(changed)
    assert not leaks, "\n".join(leaks)
    assert not changed, f"probes changed tables: {changed}"


def test_probe_figures():
    """Runs after the probes (file order): the figure the README quotes."""
    if not PROBES["count"]:
        pytest.skip("run with the probe tests to get the figure")
    print(f"\nobject probe: {PROBES['count']} probes, {PROBES['leaks']} leaks")
    assert PROBES["leaks"] == 0


# What a role may list equals what it may open ----------------------------------


def _api_refs(client, path="/api/v1/requests/", **params) -> set[str]:
    response = client.get(path, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None
    return {row["reference"] for row in body["results"]}


def _page_refs(client, url, **params) -> set[str]:
    response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.status_code)
    return references_in(response.content.decode())


def _lists(role, client, world) -> dict[str, set[str]]:
    """Every list the role has, each with every filter value it offers."""
    lists = {"api": _api_refs(client)}
    for key, values in {
        "status": (
            "new",
            "in_progress",
            "needs_info",
            "resolved",
            "rejected",
            "closed",
        ),
        "kind": ("blocked", "invalid"),
        "office": ("primary", "clinical", "hospital"),
        "house": ("TM", "CJ", "B"),
    }.items():
        for value in values:
            lists[f"api?{key}={value}"] = _api_refs(client, **{key: value})
    lists["messages"] = _page_refs(client, reverse("portal:notifications"))
    if role == "agent":
        for status in ("", "open", "new", "resolved", "needs_info", "closed"):
            lists[f"portal?status={status}"] = _page_refs(
                client, reverse("portal:requests"), status=status
            )
    if role in ("specialist", "supervisor", "admin"):
        for status in ("", "new", "in_progress", "needs_info", "resolved", "closed"):
            for view in ("queue:home", "queue:rows"):
                lists[f"{view}?status={status}"] = _page_refs(
                    client, reverse(view), status=status
                )
        lists["queue?status=transferred"] = _page_refs(
            client, reverse("queue:home"), status="transferred"
        )
    if role in ("operator", "supervisor", "admin"):
        lists["console calls"] = _page_refs(client, reverse("console:home"))
        calls = client.get("/api/v1/calls/").json()["results"]
        lists["api calls"] = {ref for call in calls for ref in call["card_requests"]}
    return lists


def _opens(role, client, world) -> set[str]:
    opened = set()
    for reference in world.all_refs | {NONEXISTENT_REFERENCE}:
        api = client.get(f"/api/v1/requests/{reference}/").status_code == 200
        page = "portal:request" if role == "agent" else "queue:detail"
        web = client.get(reverse(page, args=[reference])).status_code == 200
        assert api == web, f"{role}: API and web disagree on {reference}"
        if api:
            opened.add(reference)
    return opened


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_what_a_role_lists_is_what_it_may_open(role, world, clients):
    client = clients[role]
    opened = _opens(role, client, world)
    assert opened == world.visible_refs(role)
    lists = _lists(role, client, world)
    for list_name, refs in lists.items():
        assert refs <= opened, f"{role}: {list_name} lists {sorted(refs - opened)}"
    listed = set().union(*lists.values())
    assert listed == opened, f"{role}: never listed {sorted(opened - listed)}"


# Filters and sorting are not oracles --------------------------------------------

NO_MATCH = {"count": 0, "next": None, "previous": None, "results": []}


def _oracle_params(world) -> list[tuple[dict, object]]:
    """(query, predicate on a visible request or None when the API ignores it)."""
    cj = world.requests["cj"]
    return [
        ({"house": "CJ"}, lambda r: r.house.code == "CJ"),
        ({"house": "cj"}, lambda r: r.house.code == "CJ"),
        ({"house": "CJ", "kind": "blocked"}, lambda r: r.house.code == "CJ"),
        ({"provider": world.providers["cj"].pk}, None),
        ({"provider": world.providers["other"].fiscal_code}, None),
        ({"q": cj.identifier}, None),
        ({"search": cj.identifier}, None),
        ({"cid": cj.identifier}, None),
        ({"identifier": cj.identifier}, None),
        ({"reference": cj.reference}, None),
        ({"assignee": world.people["specialist"].pk}, None),
        ({"ordering": "identifier"}, None),
        ({"ordering": "-assignee__username"}, None),
        ({"office": "hospital"}, lambda r: r.office.kind == "hospital"),
    ]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_api_filters_and_sorting_reveal_nothing_outside_the_scope(role, world, clients):
    client = clients[role]
    visible = [
        r for r in world.requests.values() if r.reference in world.visible_refs(role)
    ]
    scoped = {r.reference for r in visible}
    assert _api_refs(client) == scoped
    no_match = client.get("/api/v1/requests/", {"house": "ZZ"}).json()
    assert no_match == NO_MATCH
    for params, predicate in _oracle_params(world):
        response = client.get("/api/v1/requests/", {"page_size": 100, **params})
        assert response.status_code == 200, params
        body = response.json()
        got = {row["reference"] for row in body["results"]}
        expected = {r.reference for r in visible if predicate is None or predicate(r)}
        assert got == expected, f"{role} {params}"
        assert body.keys() == no_match.keys()
        if not expected:
            assert body == no_match, f"{role} {params}: not shaped like a no-match"


@pytest.mark.parametrize("role", ("agent", "specialist", "supervisor", "admin"))
def test_web_list_filters_reveal_nothing_outside_the_scope(role, world, clients):
    client = clients[role]
    visible = world.visible_refs(role)
    cj = world.requests["cj"]
    page = "portal:requests" if role == "agent" else "queue:home"
    for params in (
        {"house": "CJ"},
        {"house": "CJ", "status": "new"},
        {"provider": world.providers["cj"].pk},
        {"q": cj.identifier},
        {"q": cj.reference},
        {"ordering": "identifier"},
        {"assignee": world.people["specialist"].pk},
    ):
        # A reference sent in the query may be echoed back in the form.
        echoed = {str(value) for value in params.values()}
        refs = _page_refs(client, reverse(page), **params) - echoed
        assert refs <= visible, f"{role} {params}: {sorted(refs - visible)}"
    # The provider lookup finds providers, never requests by a card's CID.
    if role != "agent":
        lookup = client.get(reverse("console:lookup"), {"q": cj.identifier})
        assert references_in(lookup.content.decode()) == set()
        assert client.get("/api/v1/providers/", {"q": cj.identifier}).json() == []


def test_filing_a_card_open_in_another_scope_shows_nothing_of_it(world, clients):
    """An operator who files a card already open in another house's queue (for the
    same provider) learns that it exists, never its reference or content."""
    cj = world.requests["cj"]
    provider = world.providers["cj"]
    body = {"kind": "blocked", "cid": cj.identifier, "provider": provider.fiscal_code}
    before = db_snapshot()
    response = clients["operator"].post(
        "/api/v1/requests/", body, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "open_elsewhere"
    assert cj.reference not in response.content.decode()
    assert snapshot_changes(before, db_snapshot()) == []
    form = {
        "caller_phone": "0256 201 234",
        "provider": provider.pk,
        "reason": "blocked_card",
        "outcome": "request_filed",
        "started_at": "2026-01-05T10:00:00",
        "file_request": "on",
        "error_code": "15",
        "house": "CJ",
        "cid": cj.identifier,
    }
    page = clients["operator"].post(reverse("console:home"), form, follow=True)
    html = page.content.decode()
    assert "already has an open request at CAS Cluj" in html
    assert cj.reference not in html
