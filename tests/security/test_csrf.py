"""Requests that change state need a CSRF token, reads change nothing, and no
`next` parameter sends anyone to another site."""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from cards.models import IdentifierAccess
from tests.security.routes import payload, routes, url_for
from tests.security.test_routes import MATRIX
from tests.security.world import (
    PASSWORD,
    ROLES,
    db_snapshot,
    send,
    send_and_roll_back,
    snapshot_changes,
)

ROUTES = routes()
HOST = "testserver"
CRAWL_LIMIT = 400  # GETs per role; the world's pages link to far fewer
SKIPPED_PATHS = ("/admin/", "/static/")
FIGURES = {"gets": 0, "writes": 0, "csrf": 0, "access_records": 0}
ACCESS_RECORDS = {"cards_identifieraccess"}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _same_host_links(base: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    links = []
    for href in parser.hrefs:
        url, _fragment = urldefrag(urljoin(f"http://{HOST}{base}", href))
        parts = urlparse(url)
        if parts.scheme not in ("http", "https") or parts.netloc != HOST:
            continue  # tel:, mailto:, other sites
        if parts.path.startswith(SKIPPED_PATHS):
            continue
        links.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return links


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_anything(role, world, clients):
    """GET every route of the resolver (real objects in the URL) and every link of
    every page reached, then compare every table: no row added, removed or changed.
    Excepted: the session store, the last sign-in time, and the access records a
    page showing a full identifier appends (by design: who saw which request's
    identifier), which must name this person and requests they may open."""
    client = clients[role]
    start = [url_for(n, kwargs, world, role) for n, (kwargs, _api) in ROUTES.items()]
    todo, seen, gets = deque(start), set(), 0
    accessed = set(IdentifierAccess.objects.values_list("pk", flat=True))
    before = db_snapshot(skip=ACCESS_RECORDS)
    while todo and gets < CRAWL_LIMIT:
        url = todo.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        gets += 1
        assert response.status_code < 500, url
        if "text/html" in response.get("Content-Type", ""):
            todo.extend(_same_host_links(url, response.content.decode()))
    changed = snapshot_changes(before, db_snapshot(skip=ACCESS_RECORDS))
    FIGURES["gets"] += gets
    FIGURES["writes"] += len(changed)
    if role != "anonymous":
        assert len(seen) > len(set(start)), "the crawl followed no link"
    assert not changed, f"GETs as {role} changed {changed}"
    records = IdentifierAccess.objects.exclude(pk__in=accessed)
    person = world.people.get(role)
    assert {r.person for r in records} <= {person}
    assert {r.card_request.reference for r in records} <= world.visible_refs(role)
    FIGURES["access_records"] += records.count()


# CSRF ----------------------------------------------------------------------------


def _post_cells():
    """(route, role) for every POST the matrix lets through: each must carry a
    CSRF token. Exchanging credentials for an API token ignores any session (it
    is not cookie-authenticated: the password is in the body) and needs none."""
    for name, row in sorted(MATRIX.items()):
        for role, cell in zip(ROLES, row["POST"].split(), strict=True):
            if cell in ("405", "401", "login", "403"):
                continue
            if name == "api-token":
                continue
            yield name, role


POST_CELLS = list(_post_cells())


def _csrf_client(world, role) -> Client:
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        client.force_login(world.people[role])
    return client


@pytest.mark.parametrize(("name", "role"), POST_CELLS)
def test_a_post_without_a_csrf_token_is_refused(name, role, world, settings):
    settings.RATE_LIMITS = {scope: "" for scope in settings.RATE_LIMITS}
    kwargs, api = ROUTES[name]
    client = _csrf_client(world, role)
    url = url_for(name, kwargs, world, role)
    body = payload(name, world, role)
    before = db_snapshot()
    response = send(client, "POST", url, body, api=api)
    assert response.status_code == 403, (name, role, response.status_code)
    assert snapshot_changes(before, db_snapshot()) == []
    FIGURES["csrf"] += 1
    # The same POST with a token is let through: the refusal was the token's.
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    with_token = send_and_roll_back(client, "POST", url, body, api=api, csrf=secret)
    assert with_token.status_code != 403, (name, role)


def test_figures():
    """Runs last in this module: the figures the README quotes."""
    if not FIGURES["gets"] and not FIGURES["csrf"]:
        pytest.skip("run with the crawl and CSRF tests to get the figures")
    print(
        f"\nGET crawl: {FIGURES['gets']} GETs, {FIGURES['writes']} writes "
        f"({FIGURES['access_records']} identifier access records appended); "
        f"CSRF: {FIGURES['csrf']} POSTs without a token refused"
    )
    assert FIGURES["writes"] == 0


# next= ---------------------------------------------------------------------------

EVIL = (
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/requests/",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver@evil.example/",
)


def _is_ours(location: str) -> bool:
    if not url_has_allowed_host_and_scheme(location, allowed_hosts={HOST}):
        return False
    return urlparse(location).netloc in ("", HOST)


def _location(response, client=None) -> str:
    """Where a redirect goes; with `client`, every further hop of the chain is
    followed (a `next` handed on to our own page is checked again there) and the
    first hop that leaves the site, if any, is returned."""
    assert response.status_code in (301, 302, 303), response.status_code
    location = response["Location"]
    hops = 0
    while client is not None and _is_ours(location) and hops < 10:
        response = client.get(location)
        if response.status_code not in (301, 302, 303):
            break
        location, hops = response["Location"], hops + 1
    return location


@pytest.mark.parametrize("evil", EVIL)
def test_signing_in_never_goes_to_another_site(world, evil):
    for role in ("agent", "supervisor"):
        client = Client()
        response = client.post(
            reverse("login"),
            {
                "username": world.people[role].username,
                "password": PASSWORD,
                "next": evil,
            },
        )
        assert _is_ours(_location(response, client)), (role, evil)
        # Already signed in: the sign-in page sends on, never away.
        again = client.get(reverse("login"), {"next": evil})
        assert _is_ours(_location(again, client)), (role, evil)


@pytest.mark.parametrize("evil", EVIL)
def test_language_and_sign_out_never_go_to_another_site(world, clients, evil):
    client = clients["agent"]
    for data, headers in (
        ({"language": "ro", "next": evil}, {}),
        ({"language": "ro"}, {"HTTP_REFERER": evil}),
    ):
        response = client.post(reverse("set_language"), data, **headers)
        assert _is_ours(_location(response)), (evil, response["Location"])
    anonymous = Client()
    response = anonymous.post(reverse("set_language"), {"language": "ro", "next": evil})
    assert _is_ours(_location(response))
    response = client.post(reverse("logout"), {"next": evil})
    assert _is_ours(_location(response)), (evil, response["Location"])


@pytest.mark.parametrize("evil", EVIL)
@pytest.mark.parametrize("name", ["otp:verify", "otp:setup"])
def test_the_code_step_never_goes_to_another_site(world, clients, name, evil):
    for role in ("agent", "supervisor"):
        response = clients[role].get(reverse(name), {"next": evil})
        assert _is_ours(_location(response, clients[role])), (name, role, evil)
