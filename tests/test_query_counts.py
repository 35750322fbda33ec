"""Query counts of every list and detail page and API endpoint.

Each test measures a page (or an endpoint) twice: in a small world (two requests
in every state) and again once the world holds many more rows of every kind
(requests in every state with their events, messages, linked calls and access
records, more providers and locations, in three offices and two houses) or, for a
detail page, for a request with a long timeline. The count must not grow with the
rows (an N+1 would make it grow): it is the same in both, with no slack. It must
also stay under a ceiling, the count measured when the test was written, noted
beside it; SQLite and PostgreSQL run the same number of queries (savepoints
included), so one ceiling holds on both.

Every page is measured as drawn anew: nothing it keeps between requests (the
queue's rows and filters, the header's unread count) is kept yet."""

import itertools
import re
from dataclasses import dataclass, field

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards import services
from cards.models import CardRequest, Kind, Outcome, Source
from cards.services.audit import identifier_access_record
from providers.models import Category, OfficeKind
from tests.cards.factories import ArticleFactory, CallFactory
from tests.cards.test_views_queue import within_one_minute
from tests.providers.factories import (
    AgentFactory,
    LocationFactory,
    OperatorFactory,
    ProviderFactory,
    house,
)

pytestmark = pytest.mark.django_db

OUTCOME = {Kind.BLOCKED: Outcome.UNBLOCKED, Kind.INVALID: Outcome.REACTIVATED}
# The states every world holds requests in, in the order they are made.
STATES = (
    "new",
    "in_progress",
    "needs_info",
    "answered",
    "resolved",
    "rejected",
    "closed",
    "reopened",
    "transferred",
)
SMALL = 2  # requests per state in the small world (18)
MORE = 5  # requests per state added for the large one (63 in all)
LONG = 6  # rounds of a long timeline: over 40 events, 24 access records
REFERENCE = re.compile(r"\b(?:TM|CJ)-\d{4}-\d{5}\b")

_cards = itertools.count(1)


def measure(send) -> tuple[int, object]:
    """The number of queries of one request, its streamed body read too (the body
    is kept as `response.body`)."""
    caches["fragments"].clear()
    with CaptureQueriesContext(connection) as captured:
        response = send()
        if getattr(response, "streaming", False):
            response.body = b"".join(response.streaming_content)
        else:
            response.body = response.content
    return len(captured), response


def listed(response) -> int:
    """How many different requests the response names."""
    return len(set(REFERENCE.findall(response.body.decode())))


@dataclass
class Desk:
    """The people of the conftest fixtures and the requests, calls and records
    the world grows with."""

    agent: object
    operator: object
    specialist: object
    other_specialist: object
    supervisor: object
    admin: object
    providers: list = field(default_factory=list)
    agents: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)

    def __post_init__(self):
        LocationFactory(provider=self.agent.provider, name="Punct de lucru")
        self.agents[self.agent.provider.pk] = self.agent
        self.second_operator = OperatorFactory(username="tm.operator2")

    # Providers and workers -----------------------------------------------------

    def _provider(self, j: int):
        """The agent's own provider for two requests in three; for the others a
        new provider, in turn a family practice and a lab of Timiș, a Cluj
        practice and a Timiș hospital, each with a second location."""
        if j % 3 != 1:
            return self.agent.provider
        kinds = (
            (Category.MF, "TM"),
            (Category.PARA, "TM"),
            (Category.MF, "CJ"),
            (Category.SPT, "TM"),
        )
        category, code = kinds[len(self.providers) % len(kinds)]
        provider = ProviderFactory(
            name=f"Cabinet Medical Vlase {len(self.providers)}",
            category=category,
            house=house(code),
        )
        LocationFactory(provider=provider, name="Punct de lucru")
        self.providers.append(provider)
        self.agents[provider.pk] = AgentFactory(provider=provider)
        return provider

    def _worker(self, card_request: CardRequest, j: int):
        """Who works the request: a primary-care specialist of Timiș (in turn), a
        supervisor for Timiș's other offices, the national admin elsewhere."""
        if card_request.house.code != "TM":
            return self.admin
        if card_request.office.kind != OfficeKind.PRIMARY:
            return self.supervisor
        return self.specialist if j % 4 < 2 else self.other_specialist

    # Requests ------------------------------------------------------------------

    def file(self, *, provider=None, kind=Kind.BLOCKED) -> CardRequest:
        provider = provider or self.agent.provider
        n = next(_cards)
        card_request, created = services.card_request_file(
            actor=self.agents[provider.pk],
            source=Source.WEB,
            house=None,
            kind=kind,
            cid=f"80642{n:015d}" if kind == Kind.BLOCKED else "",
            card_number=f"RO{n:014d}" if kind == Kind.INVALID else "",
            note="Cititorul arată eroarea.",
        )
        assert created
        return card_request

    def into(self, card_request, state: str, worker) -> CardRequest:
        """Take a new request into `state` the way the desk does."""
        agent = self.agents[card_request.provider_id]
        outcome = OUTCOME[card_request.kind]
        if state == "new":
            return card_request
        if state == "transferred":
            to = house("CJ") if card_request.house.code == "TM" else house("TM")
            return services.card_request_transfer(
                actor=self.admin, card_request=card_request, house=to, note="Alt județ"
            )
        card_request = services.card_request_claim(
            actor=worker, card_request=card_request
        )
        identifier_access_record(actor=worker, card_request=card_request, channel="web")
        if state in ("needs_info", "answered"):
            card_request = services.card_request_ask_info(
                actor=worker, card_request=card_request, question="Ce cititor?"
            )
        if state == "answered":  # back in the queue; the asker gets a message
            return services.card_request_give_info(
                actor=agent, card_request=card_request, answer="Cel de la recepție."
            )
        if state == "needs_info":
            return card_request
        if state == "rejected":
            return services.card_request_reject(
                actor=worker, card_request=card_request, reason="Card expirat."
            )
        if state in ("resolved", "closed", "reopened"):
            card_request = services.card_request_resolve(
                actor=worker, card_request=card_request, outcome=outcome
            )
        if state == "closed":
            return services.card_request_confirm(
                actor=agent, card_request=card_request, works=True
            )
        if state == "reopened":
            return services.card_request_confirm(
                actor=agent,
                card_request=card_request,
                works=False,
                reader_error=15 if card_request.kind == Kind.BLOCKED else 5,
                note="Tot nu merge.",
            )
        return card_request

    def grow(self, per_state: int) -> None:
        """`per_state` more requests in every state, blocked and invalid cards,
        across providers, offices and houses; a call about every two of Timiș."""
        made = []
        for state in STATES:
            for j in range(per_state):
                kind = Kind.INVALID if j % 2 else Kind.BLOCKED
                card_request = self.file(provider=self._provider(j), kind=kind)
                worker = self._worker(card_request, j)
                made.append(self.into(card_request, state, worker))
        self.requests += made
        tm_requests = [r for r in made if r.house.code == "TM"]
        for index, linked in enumerate(itertools.batched(tm_requests, 2)):
            first = linked[0]
            operator = self.operator if index % 2 else self.second_operator
            call = CallFactory(
                operator=operator,
                provider=first.provider,
                office=first.office,
                caller_phone=first.provider.phone,
            )
            call.card_requests.add(*linked)

    def long_timeline(self, card_request, *, rounds: int, end: str, worker):
        """A request worked `rounds` times over (question, answer, resolved, still
        blocked), reassigned, transferred away and back; then left new
        (`end="new"`), claimed by `worker` (`"claimed"`) or resolved by them
        (`"resolved"`); its full identifier shown to several people."""
        agent = self.agents[card_request.provider_id]
        outcome = OUTCOME[card_request.kind]
        for index in range(rounds):
            who = worker if index % 2 else self.other_specialist
            services.card_request_claim(actor=who, card_request=card_request)
            services.card_request_ask_info(
                actor=who, card_request=card_request, question=f"Întrebarea {index}?"
            )
            services.card_request_give_info(
                actor=agent, card_request=card_request, answer=f"Răspunsul {index}."
            )
            services.card_request_claim(actor=who, card_request=card_request)
            services.card_request_resolve(
                actor=who, card_request=card_request, outcome=outcome
            )
            services.card_request_confirm(
                actor=agent,
                card_request=card_request,
                works=False,
                reader_error=15,
                note=f"Încercarea {index}.",
            )
        if rounds:
            services.card_request_reassign(
                actor=self.supervisor,
                card_request=card_request,
                assignee=self.other_specialist,
            )
            services.card_request_unclaim(
                actor=self.supervisor, card_request=card_request
            )
            services.card_request_transfer(
                actor=self.supervisor, card_request=card_request, house=house("CJ")
            )
            services.card_request_transfer(
                actor=self.admin, card_request=card_request, house=house("TM")
            )
        if end != "new":
            services.card_request_claim(actor=worker, card_request=card_request)
        if end == "resolved":
            services.card_request_resolve(
                actor=worker, card_request=card_request, outcome=outcome
            )
        for person in (self.supervisor, self.admin, worker, agent) * max(rounds, 1):
            identifier_access_record(
                actor=person, card_request=card_request, channel="web"
            )
        card_request.refresh_from_db()
        return card_request


@pytest.fixture
def desk(
    provider_agent, operator, specialist, other_specialist, supervisor, national_admin
):
    world = Desk(
        agent=provider_agent,
        operator=operator,
        specialist=specialist,
        other_specialist=other_specialist,
        supervisor=supervisor,
        admin=national_admin,
    )
    world.grow(SMALL)
    return world


@dataclass
class Counts:
    few: int  # queries in the small world
    many: int  # queries in the large one
    small: object  # the two responses
    large: object

    @property
    def statuses(self) -> tuple[int, int]:
        return self.small.status_code, self.large.status_code


@pytest.fixture
def counted(desk, django_assert_max_num_queries):
    """Measure `send` in the small world, grow the world (`grow`; by default MORE
    requests in every state), then measure `send_many` (by default `send` again)
    under `ceiling`."""

    def run(send, ceiling: int, *, send_many=None, grow=None) -> Counts:
        few, small = measure(send)
        if grow is None:
            desk.grow(MORE)
        else:
            grow()
        with django_assert_max_num_queries(ceiling):
            many, large = measure(send_many or send)
        return Counts(few, many, small, large)

    return run


def signed_in(client, person):
    client.force_login(person)
    return client


def detail_pair(desk, *, end, worker):
    """A request with a short timeline and one with a long one, in the same state."""
    short = desk.long_timeline(desk.file(), rounds=0, end=end, worker=worker)
    long = desk.long_timeline(desk.file(), rounds=LONG, end=end, worker=worker)
    assert long.events.count() > 40
    return short, long


# Every signed-in page also reads the session (from the database; with Redis, once
# in SESSION_CACHE_SECONDS) and the user (CAS staff: with their authentication
# device, in the same query) and counts the unread messages for the header (a
# fragment without the header does not count them).


# Provider portal --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "ceiling"),
    [
        ("", 5),  # measured 5: the status counts (the page's count too), its rows
        ("?status=open", 5),  # measured 5
        ("?status=resolved", 5),  # measured 5
    ],
)
def test_my_requests(client, desk, counted, query, ceiling):
    signed_in(client, desk.agent)
    counts = counted(lambda: client.get(f"/requests/{query}"), ceiling)
    assert counts.statuses == (200, 200)
    assert listed(counts.large) > listed(counts.small) > 0
    assert counts.many == counts.few


@pytest.mark.parametrize(
    ("page", "ceiling"),
    [
        # Measured 6: the request with its filer and assignee, its timeline,
        # the access record written.
        ("", 6),
        ("print/", 4),  # measured 4
    ],
)
def test_a_resolved_requests_page_and_printable_sheet(
    client, desk, counted, page, ceiling
):
    """A blocked card the CAS unblocked: the PIN reset steps."""
    short, long = detail_pair(desk, end="resolved", worker=desk.specialist)
    signed_in(client, desk.agent)
    counts = counted(
        lambda: client.get(f"/requests/{short.reference}/{page}"),
        ceiling,
        send_many=lambda: client.get(f"/requests/{long.reference}/{page}"),
    )
    assert counts.statuses == (200, 200)
    assert counts.many == counts.few


PAGE_OF_MESSAGES = 25


def fill_the_inbox(desk, role):
    """MORE requests in every state, and more than a page of messages: requests
    resolved (to the agent), answers to the specialist's questions."""
    desk.grow(MORE)
    state = "resolved" if role == "agent" else "answered"
    for _ in range(PAGE_OF_MESSAGES):
        desk.into(desk.file(), state, desk.specialist)


@pytest.mark.parametrize(
    ("role", "ceiling"),
    [
        ("agent", 5),  # measured 5, a full page of 25 messages
        ("specialist", 5),  # measured 5, a full page of 25 messages
    ],
)
def test_messages(client, desk, counted, role, ceiling):
    """The messages page, full: each message shows its subject, rendered from
    the request alone."""
    signed_in(client, getattr(desk, role))
    counts = counted(
        lambda: client.get("/messages/"),
        ceiling,
        grow=lambda: fill_the_inbox(desk, role),
    )
    assert counts.statuses == (200, 200)
    assert counts.large.body.count(b'class="inbox-item') == PAGE_OF_MESSAGES
    assert listed(counts.large) > listed(counts.small) > 0


@pytest.mark.parametrize("role", ["agent", "specialist"])
def test_messages_take_the_same_queries_for_more_messages(client, desk, role):
    signed_in(client, getattr(desk, role))
    few, _ = measure(lambda: client.get("/messages/"))
    fill_the_inbox(desk, role)
    many, _ = measure(lambda: client.get("/messages/"))
    assert many == few


# The queue --------------------------------------------------------------------------

QUEUE_QUERIES = [
    "",
    "?status=needs_info",
    "?kind=invalid&assignee=none",
    "?assignee=mine",
    "?status=transferred&house=TM",
]


def queue_ceiling(path, role, query) -> int:
    """Measured: the rows 6 queries (the actor's offices, the list's page, the
    summary's aggregate, the ETag's aggregate, and the session, and the user with
    their house and authentication device of every staff request), the page 7 (the
    unread count of its header). A national admin's page: 1 more, the house
    picker. The summary's counts per office and status are the list's length; a
    list narrowed further (by kind, assignee or age) or the transferred-away list:
    1 more, its own count. A national admin picking a house: 2 more (the house,
    looked up by the view's filter form and again by the ETag's)."""
    measured = {"/queue/": 7, "/queue/rows/": 6}[path]
    if role == "admin" and path == "/queue/":
        measured += 1
    if any(narrowed in query for narrowed in ("kind=", "assignee=", "transferred")):
        measured += 1
    if role == "admin" and "house=" in query:
        measured += 2
    return measured


@pytest.mark.parametrize("role", ["specialist", "supervisor", "admin"])
@pytest.mark.parametrize("path", ["/queue/", "/queue/rows/"])
@pytest.mark.parametrize("query", QUEUE_QUERIES)
def test_the_queue(client, desk, counted, role, path, query):
    signed_in(client, getattr(desk, role))
    counts = counted(lambda: client.get(path + query), queue_ceiling(path, role, query))
    assert counts.statuses == (200, 200)
    assert listed(counts.large) > listed(counts.small) > 0
    assert counts.many == counts.few


def etag_of(client, url) -> str:
    """The rows' ETag now, with time left in this minute (part of the ETag) for
    the next poll to get the same one."""
    within_one_minute()
    return client.get(url)["ETag"]


@pytest.mark.parametrize("role", ["specialist", "supervisor", "admin"])
@pytest.mark.parametrize("query", ["", "?status=needs_info"])
def test_the_polled_rows_unchanged(client, desk, counted, role, query):
    """304 Not Modified: the session, the user, their authentication device, their
    offices and the ETag's one aggregate query, nothing per row."""
    signed_in(client, getattr(desk, role))
    url = "/queue/rows/" + query
    etags = {"few": etag_of(client, url)}

    def grow():
        desk.grow(MORE)
        etags["many"] = etag_of(client, url)

    counts = counted(
        lambda: client.get(url, HTTP_IF_NONE_MATCH=etags["few"]),
        4,  # measured 4
        send_many=lambda: client.get(url, HTTP_IF_NONE_MATCH=etags["many"]),
        grow=grow,
    )
    assert counts.statuses == (304, 304)
    assert etags["many"] != etags["few"]
    assert counts.many == counts.few


@pytest.mark.parametrize(
    ("role", "ceiling"),
    [
        # Measured 9: the actor's offices, the request with its filer and
        # assignee, its timeline, the access record written.
        ("specialist", 9),
        ("supervisor", 9),  # measured 9: the access records shown too
    ],
)
def test_the_request_desk(client, desk, counted, role, ceiling):
    """A claimed request's page, for its assignee."""
    assignee = getattr(desk, role)
    short, long = detail_pair(desk, end="claimed", worker=assignee)
    signed_in(client, assignee)
    counts = counted(
        lambda: client.get(f"/queue/{short.reference}/"),
        ceiling,
        send_many=lambda: client.get(f"/queue/{long.reference}/"),
    )
    assert counts.statuses == (200, 200)
    assert counts.many == counts.few


# The phone console ------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    ("url", "headers", "ceiling"),
    [
        ("/console/", {}, 8),  # measured 8: today's calls with their requests
        ("/console/?q=Vlase", {}, 12),  # measured 12: and the callers found
        ("/console/lookup/?q=Vlase", HTMX, 6),  # measured 6: no header
        ("/console/houses/CJ/", HTMX, 4),  # measured 4: the house panel
        ("/console/houses/?house=CJ&for=filing", HTMX, 4),  # measured 4
    ],
)
def test_the_console(client, desk, counted, url, headers, ceiling):
    signed_in(client, desk.operator)
    counts = counted(lambda: client.get(url, **headers), ceiling)
    assert counts.statuses == (200, 200)
    if "q=" in url:
        found = [r.body.count(b"data-provider=") for r in (counts.small, counts.large)]
        assert found[1] > found[0] > 1
    if url == "/console/":
        assert listed(counts.large) > listed(counts.small) > 0
    assert counts.many == counts.few


# Supervisors' pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "url", "lists", "ceiling"),
    [
        ("supervisor", "/supervise/workload/", True, 11),  # measured 11
        ("admin", "/supervise/workload/?house=TM", True, 13),  # measured 13
        ("supervisor", "/supervise/offices/", False, 6),  # measured 6
        ("supervisor", "/reports/", False, 12),  # measured 12
        ("admin", "/reports/", False, 14),  # measured 14: every house side by side
        ("supervisor", "/reports/requests.csv", True, 6),  # measured 6
        ("admin", "/reports/requests.csv", True, 6),  # measured 6
        ("supervisor", "/reports/calls.csv", True, 6),  # measured 6
        ("admin", "/reports/calls.csv", True, 6),  # measured 6
        ("supervisor", "/audit/access/", True, 5),  # measured 5
        ("admin", "/audit/access/", True, 5),  # measured 5
    ],
)
def test_supervisors_pages(client, desk, counted, role, url, lists, ceiling):
    signed_in(client, getattr(desk, role))
    counts = counted(lambda: client.get(url), ceiling)
    assert counts.statuses == (200, 200)
    if lists:
        assert listed(counts.large) > listed(counts.small) > 0
    assert counts.many == counts.few


# Public pages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ceiling"),
    [
        ("/contacts/", 2),  # measured 2: the 43 houses, their offices
        ("/contacts/?q=cluj", 2),  # measured 2
        ("/help/", 1),  # measured 1
        ("/help/pin-reset/", 2),  # measured 2: the article, the others
    ],
)
def test_public_pages(client, desk, counted, url, ceiling):
    def grow():
        desk.grow(MORE)
        ArticleFactory.create_batch(8)

    counts = counted(lambda: client.get(url), ceiling, grow=grow)
    assert counts.statuses == (200, 200)
    assert counts.many == counts.few


# API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "ceiling"),
    [
        ("agent", 3),  # measured 3: the token (with its user), the count, the page
        ("specialist", 4),  # measured 4: a session and the user with their device
        ("supervisor", 4),  # measured 4
        ("admin", 4),  # measured 4
    ],
)
@pytest.mark.parametrize("query", ["", "?status=new&status=in_progress&kind=blocked"])
def test_api_requests(api, desk, counted, role, query, ceiling):
    client = api(getattr(desk, role))
    counts = counted(lambda: client.get("/api/v1/requests/" + query), ceiling)
    assert counts.statuses == (200, 200)
    assert listed(counts.large) > listed(counts.small) > 0
    assert counts.many == counts.few


@pytest.mark.parametrize(
    ("role", "end", "ceiling"),
    [
        # Measured 5: the token (with its user), the request with its relations,
        # its events, its notifications, the access record written.
        ("agent", "resolved", 5),
        (
            "specialist",
            "claimed",
            6,
        ),  # measured 6: a session, the user with their device
        ("supervisor", "claimed", 6),  # measured 6
    ],
)
def test_api_request(api, desk, counted, role, end, ceiling):
    """A request with its timeline and notifications."""
    worker = desk.specialist if role == "agent" else getattr(desk, role)
    short, long = detail_pair(desk, end=end, worker=worker)
    client = api(getattr(desk, role))
    counts = counted(
        lambda: client.get(f"/api/v1/requests/{short.reference}/"),
        ceiling,
        send_many=lambda: client.get(f"/api/v1/requests/{long.reference}/"),
    )
    assert counts.statuses == (200, 200)
    assert len(counts.large.json()["events"]) > 40
    assert counts.many == counts.few


@pytest.mark.parametrize(
    ("key", "ceiling"),
    [
        # Measured 8: the token with its agent, provider, house and location; the
        # office (kept by each process under the routing's version: read here,
        # where nothing is kept yet); the reference number, the request and its
        # event in their transaction; the access record.
        ("", 8),
        ("reader", 12),  # measured 12: the Idempotency-Key looked up and stored
    ],
)
def test_api_filing(api, desk, counted, key, ceiling):
    """Filing costs the same however many requests exist."""
    client = api(desk.agent)

    def file(n):
        body = {"error_code": 15, "cid": f"80642999{n:012d}", "note": "La recepție"}
        headers = {"HTTP_IDEMPOTENCY_KEY": f"{key}-{n}"} if key else {}
        return client.post("/api/v1/requests/", body, format="json", **headers)

    counts = counted(lambda: file(1), ceiling, send_many=lambda: file(2))
    assert counts.statuses == (201, 201)
    assert counts.many == counts.few


@pytest.mark.parametrize(
    ("action", "ceiling"),
    [
        ("claim", 15),  # measured 15, with the savepoint of the change inside
        # the transaction it shares with its answer
        ("resolve", 18),  # measured 18: the provider's notifications written too
    ],
)
def test_api_transitions(api, desk, counted, action, ceiling):
    """A transition answers with the request's detail: a long timeline costs
    nothing more."""
    end = "new" if action == "claim" else "claimed"
    short, long = detail_pair(desk, end=end, worker=desk.specialist)
    client = api(desk.specialist)
    body = {"outcome": "unblocked"} if action == "resolve" else {}

    def act(card_request):
        url = f"/api/v1/requests/{card_request.reference}/{action}/"
        return client.post(url, body, format="json")

    counts = counted(lambda: act(short), ceiling, send_many=lambda: act(long))
    assert counts.statuses == (200, 200)
    assert counts.many == counts.few


@pytest.mark.parametrize(
    ("role", "ceiling"),
    [
        ("operator", 5),  # measured 5: the count, the page, the linked requests
        ("supervisor", 5),  # measured 5
        ("admin", 5),  # measured 5
    ],
)
def test_api_calls(api, desk, counted, role, ceiling):
    client = api(getattr(desk, role))
    counts = counted(lambda: client.get("/api/v1/calls/"), ceiling)
    assert counts.statuses == (200, 200)
    assert counts.large.json()["count"] > counts.small.json()["count"] > 1
    assert listed(counts.large) > listed(counts.small) > 0
    assert counts.many == counts.few


def test_api_provider_lookup(api, desk, counted):
    client = api(desk.operator)
    # Measured 4: the providers found, their category routes, and the 2 of a
    # staff session.
    counts = counted(lambda: client.get("/api/v1/providers/?q=Vlase"), 4)
    assert counts.statuses == (200, 200)
    assert len(counts.large.json()) > len(counts.small.json()) > 1
    assert counts.many == counts.few


def test_api_houses(api, desk, counted):
    """Public, no authentication: the houses, their offices."""
    counts = counted(lambda: api().get("/api/v1/houses/"), 2)  # measured 2
    assert counts.statuses == (200, 200)
    assert len(counts.large.json()) == 43
    assert counts.many == counts.few
