"""Shared fixtures of the scope, mass-assignment and CSRF tests: one small national
world with a request of every scope, a signed-in client per role, and a snapshot
of the whole database to prove that nothing changed. Test modules import the
fixtures they use from here."""

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client

from cards import services
from cards.models import Channel, Kind, Notification, Outcome, Template
from providers.models import Category, Person
from tests.cards.factories import CallFactory, CardRequestFactory
from tests.providers.factories import (
    AdminFactory,
    AgentFactory,
    OperatorFactory,
    ProviderFactory,
    SpecialistFactory,
    SupervisorFactory,
    house,
)

ROLES = ("anonymous", "agent", "operator", "specialist", "supervisor", "admin")
STAFF_ROLES = ROLES[1:]
PASSWORD = "correct horse battery"

# What each signed-in role must NOT see, by world name (DESIGN.md §2): another
# provider's request, another office's (specialist), another house's.
FOREIGN_REQUESTS = {
    "agent": ("other_provider", "hospital", "cj"),
    "operator": ("cj",),
    "specialist": ("hospital", "cj"),
    "supervisor": ("cj",),
    "admin": (),
}
NONEXISTENT_REFERENCE = "TM-2001-99999"
REFERENCE = re.compile(r"\b(?:TM|CJ)-\d{4}-\d{5}\b")


@dataclass
class World:
    people: dict[str, Person]
    others: dict[str, Person] = field(default_factory=dict)
    requests: dict = field(default_factory=dict)
    notifications: dict = field(default_factory=dict)
    providers: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)

    def ref(self, name: str) -> str:
        return self.requests[name].reference

    def refs(self, *names: str) -> set[str]:
        return {self.requests[name].reference for name in names}

    @property
    def all_refs(self) -> set[str]:
        return {r.reference for r in self.requests.values()}

    def visible_refs(self, role: str) -> set[str]:
        """What DESIGN.md says the role may open, written out by hand."""
        if role == "anonymous":
            return set()
        return self.all_refs - self.refs(*FOREIGN_REQUESTS[role])


def _request(n, *, prefix="TM", **kwargs):
    return CardRequestFactory(reference=f"{prefix}-2001-{n:05d}", **kwargs)


@pytest.fixture
def world(db) -> World:
    """Timiș: our provider (5 requests in every state, one transferred to Cluj),
    another provider, a hospital (another office); Cluj: a provider's request.
    Every role has one in-app message; two other agents have theirs."""
    tm, cj = house("TM"), house("CJ")
    p = ProviderFactory(name="Cabinet Dr. Ionescu")
    p2 = ProviderFactory(name="Cabinet Dr. Popescu")
    p_h = ProviderFactory(name="Spitalul Municipal", category=Category.SPT)
    p_cj = ProviderFactory(name="Cabinet Cluj", house=cj)
    agent = AgentFactory(username="sec.agent", provider=p)
    others = {
        "agent2": AgentFactory(username="sec.agent2", provider=p2),
        "agent_h": AgentFactory(username="sec.agent.h", provider=p_h),
        "agent_cj": AgentFactory(username="sec.agent.cj", provider=p_cj),
    }
    people = {
        "agent": agent,
        "operator": OperatorFactory(username="sec.operator", house=tm),
        "specialist": SpecialistFactory(
            username="sec.specialist", office_kinds=["primary"]
        ),
        "supervisor": SupervisorFactory(username="sec.supervisor"),
        "admin": AdminFactory(username="sec.admin"),
    }
    w = World(people=people, others=others)
    w.providers = {"own": p, "other": p2, "hospital": p_h, "cj": p_cj}
    spec, sup = people["specialist"], people["supervisor"]
    r = w.requests
    r["own_new"] = _request(1, filed_by=agent)
    r["own_progress"] = _request(2, filed_by=agent)
    r["own_needs_info"] = _request(3, filed_by=agent)
    r["own_resolved"] = _request(4, filed_by=agent)
    r["own_invalid"] = _request(5, filed_by=agent, kind=Kind.INVALID)
    r["transferred"] = _request(6, filed_by=agent)
    r["other_provider"] = _request(7, filed_by=others["agent2"])
    r["hospital"] = _request(8, filed_by=others["agent_h"])
    r["cj"] = _request(1, prefix="CJ", filed_by=others["agent_cj"], house=cj)
    for name in ("own_progress", "own_needs_info", "own_resolved"):
        services.card_request_claim(actor=spec, card_request=r[name])
    services.card_request_ask_info(
        actor=spec, card_request=r["own_needs_info"], question="Which reader?"
    )
    services.card_request_resolve(
        actor=spec, card_request=r["own_resolved"], outcome=Outcome.UNBLOCKED
    )
    services.card_request_transfer(
        actor=sup, card_request=r["transferred"], house=cj, note="Card of Cluj"
    )
    for card_request in r.values():
        card_request.refresh_from_db()
    inbox = (
        ("agent", agent, "own_resolved"),
        ("operator", people["operator"], "own_new"),
        ("specialist", spec, "own_progress"),
        ("supervisor", sup, "own_new"),
        ("admin", people["admin"], "cj"),
        ("agent2", others["agent2"], "other_provider"),
        ("agent_cj", others["agent_cj"], "cj"),
    )
    for key, person, request_name in inbox:
        w.notifications[key] = Notification.objects.create(
            card_request=r[request_name],
            recipient=person,
            channel=Channel.IN_APP,
            template=Template.INFO_GIVEN,
        )
    call = CallFactory(operator=people["operator"], provider=p)
    call.card_requests.add(r["own_new"], r["transferred"])
    cj_call = CallFactory(operator=OperatorFactory(username="cj.op", house=cj))
    cj_call.card_requests.add(r["cj"])
    w.calls = {"tm": call, "cj": cj_call}
    return w


@pytest.fixture
def clients(world, settings) -> dict[str, Client]:
    """A client per role, signed in (anonymous: not). Rate limits are off: they
    have their own tests, and here every request must reach its view."""
    settings.RATE_LIMITS = {scope: "" for scope in settings.RATE_LIMITS}
    result = {"anonymous": Client()}
    for role in STAFF_ROLES:
        client = Client()
        client.force_login(world.people[role])
        result[role] = client
    return result


# Outcomes ------------------------------------------------------------------------

REDIRECTS = (301, 302, 303, 307, 308)


def outcome(response) -> str:
    """The outcome class of a response: ok (2xx, 304 or a redirect elsewhere than
    the sign-in page), login (redirect to sign in), or the status code."""
    code = response.status_code
    if code in REDIRECTS:
        target = urlparse(response["Location"]).path
        if target == resolve_url(settings.LOGIN_URL):
            return "login"
        return "ok"
    if 200 <= code < 300 or code == 304:
        return "ok"
    return str(code)


def send(client, method, url, data=None, *, api=False, csrf=None):
    """One request; API bodies are JSON, web bodies form-encoded; `csrf` is sent
    as the CSRF token header."""
    method = method.lower()
    headers = {"HTTP_X_CSRFTOKEN": csrf} if csrf else {}
    if method == "get":
        return client.get(url, data or {})
    if api:
        return getattr(client, method)(
            url,
            data=json.dumps(data or {}),
            content_type="application/json",
            **headers,
        )
    if method == "post":
        return client.post(url, data or {}, **headers)
    return getattr(client, method)(url, **headers)


def send_and_roll_back(client, method, url, data=None, *, api=False, csrf=None):
    """One request whose database writes and cookie changes are undone after."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = send(client, method, url, data, api=api, csrf=csrf)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


# The database snapshot -----------------------------------------------------------

# Bookkeeping that may change on a read: the session store and the time of the
# last sign-in.
SNAPSHOT_SKIP_TABLES = {"django_session"}
SNAPSHOT_SKIP_COLUMNS = {(settings.AUTH_USER_MODEL.lower(), "last_login")}


def db_snapshot(*, skip: set[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of all its columns (but `skip`)."""
    snapshot = {}
    skipped = SNAPSHOT_SKIP_TABLES | set(skip)
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.db_table in skipped:
            continue
        columns = [
            f.attname
            for f in meta.concrete_fields
            if (meta.label_lower, f.attname) not in SNAPSHOT_SKIP_COLUMNS
        ]
        rows = list(model._base_manager.order_by("pk").values_list(*columns))
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        snapshot[meta.db_table] = (len(rows), digest)
    return snapshot


def snapshot_changes(before: dict, after: dict) -> list[str]:
    tables = before.keys() | after.keys()
    return sorted(t for t in tables if before.get(t) != after.get(t))


def references_in(text: str) -> set[str]:
    return set(REFERENCE.findall(text))
