"""Every input takes only its own fields, and every role reads only its own fields.

Writes: each forbidden field is injected into every API write (refused, 400, with
an error on that field, and nothing in the database changes) and into every web
form (ignored: the change made is exactly the one the form is for).
Reads: per role, the exact key sets of the request, call and provider payloads,
and the full identifier only for the provider and the specialist working it."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from cards.models import CardRequest, Channel, Notification, Status, Template
from providers.models import House, Office, Person
from tests.security.world import db_snapshot, send_and_roll_back, snapshot_changes

INJECTED = {"api": 0, "web": 0}
OLD = datetime(2001, 1, 1, tzinfo=UTC)


def _forbidden(world) -> dict:
    """Fields no input may set, each with a value that would show if it were."""
    other = world.others["agent2"]
    hospital = Office.objects.get(house__code="TM", kind="hospital")
    return {
        "id": 999999,
        "pk": 999999,
        "reference": "HACK-0101-00001",
        "status": Status.CLOSED,
        "assignee": world.people["supervisor"].pk,
        "assignee_id": world.people["supervisor"].pk,
        "house": "B",
        "house_id": House.objects.get(code="B").pk,
        "office": "hospital",
        "office_id": hospital.pk,
        "priority": 1,
        "due_at": OLD.isoformat(),
        "provider": world.providers["other"].fiscal_code,
        "provider_id": world.providers["other"].pk,
        "location": other.location_id,
        "filed_by": other.pk,
        "filed_by_id": other.pk,
        "source": "phone",
        "outcome": "reactivated",
        "identifier": "12345678901234567890",
        "resolved_at": OLD.isoformat(),
        "closed_at": OLD.isoformat(),
        "escalated_at": OLD.isoformat(),
        "purged_at": OLD.isoformat(),
        "created_at": OLD.isoformat(),
        "updated_at": OLD.isoformat(),
        "events": [{"kind": "closed"}],
        "notifications": [{"channel": "sms"}],
        "operator": other.pk,
        "role": "national_admin",
        "is_staff": True,
        "is_superuser": True,
        "kind": "invalid",
        "error_code": 5,
        "card_requests": [world.ref("cj")],
        "answer": "sneaked in",
        "works": True,
    }


def _api_writes(world):
    """(role, path, valid body, fields the endpoint takes)."""
    filing = {"kind", "error_code", "insurer_house", "cid", "card_number", "note"}
    req = "/api/v1/requests/{}/"
    return [
        ("agent", "/api/v1/requests/", {"kind": "blocked", "cid": "7" * 20}, filing),
        (
            "operator",
            "/api/v1/requests/",
            {
                "kind": "blocked",
                "cid": "7" * 20,
                "provider": world.providers["own"].fiscal_code,
            },
            filing | {"provider"},
        ),
        ("specialist", req.format(world.ref("own_new")) + "claim/", {}, set()),
        ("specialist", req.format(world.ref("own_progress")) + "unclaim/", {}, set()),
        (
            "specialist",
            req.format(world.ref("own_progress")) + "resolve/",
            {"outcome": "unblocked"},
            {"outcome", "note"},
        ),
        (
            "specialist",
            req.format(world.ref("own_progress")) + "reject/",
            {"reason": "Not ours."},
            {"reason"},
        ),
        (
            "specialist",
            req.format(world.ref("own_new")) + "transfer/",
            {"house": "CJ"},
            {"house", "note"},
        ),
        (
            "specialist",
            req.format(world.ref("own_progress")) + "ask-info/",
            {"question": "Which reader?"},
            {"question"},
        ),
        (
            "agent",
            req.format(world.ref("own_needs_info")) + "info/",
            {"answer": "Room 2."},
            {"answer"},
        ),
        (
            "agent",
            req.format(world.ref("own_resolved")) + "confirm/",
            {"works": True},
            {"works", "reader_error", "note"},
        ),
        (
            "operator",
            "/api/v1/calls/",
            {"caller_phone": "0256 201 234"},
            {
                "caller_phone",
                "provider",
                "office",
                "reason",
                "outcome",
                "note",
                "started_at",
                "ended_at",
                "card_requests",
            },
        ),
    ]


def test_api_inputs_refuse_every_field_they_do_not_take(world, clients):
    forbidden = _forbidden(world)
    before = db_snapshot()
    problems = []
    for role, path, body, takes in _api_writes(world):
        client = clients[role]
        for name, value in forbidden.items():
            if name in takes:
                continue
            INJECTED["api"] += 1
            response = client.post(
                path, {**body, name: value}, content_type="application/json"
            )
            errors = response.json() if response.status_code == 400 else {}
            if response.status_code != 400 or name not in errors:
                problems.append(f"{role} {path} +{name}: {response.status_code}")
    assert not problems, "\n".join(problems)
    assert snapshot_changes(before, db_snapshot()) == []
    # The same bodies without the injected fields go through: the refusals above
    # are about the extra field, not about the body.
    for role, path, body, _takes in _api_writes(world):
        response = send_and_roll_back(clients[role], "POST", path, body, api=True)
        assert response.status_code in (200, 201), (role, path, response.content)


def _unchanged(card_request, before, *, but=()):
    fields = [
        "reference",
        "kind",
        "identifier",
        "house_id",
        "office_id",
        "provider_id",
        "location_id",
        "filed_by_id",
        "source",
        "priority",
        "outcome",
        "escalated_at",
        "purged_at",
        "created_at",
    ]
    card_request.refresh_from_db()
    changed = [
        f for f in fields if f not in but and getattr(card_request, f) != before[f]
    ]
    assert not changed, f"{card_request.reference}: {changed} changed"


def _row(card_request) -> dict:
    return {
        f.attname: getattr(card_request, f.attname) for f in CardRequest._meta.fields
    }


def _web_injection(world, prefix=""):
    names = (
        "status",
        "assignee",
        "house",
        "office",
        "priority",
        "due_at",
        "reference",
        "provider",
        "filed_by",
        "source",
        "outcome",
        "resolved_at",
        "closed_at",
        "escalated_at",
        "purged_at",
        "identifier",
        "location",
        "operator",
        "role",
        "is_staff",
        "is_superuser",
    )
    values = _forbidden(world)
    values["house"] = House.objects.get(code="B").pk
    values["office"] = values["office_id"]
    values["provider"] = values["provider_id"]
    data = {}
    for name in names:
        data[f"{prefix}{name}"] = values[name]
        data[name] = values[name]
    INJECTED["web"] += len(data)
    return data


def test_web_filing_ignores_injected_fields(world, clients):
    agent = world.people["agent"]
    data = {
        **_web_injection(world),
        "error_code": "15",
        "cid": "7" * 20,
        "house": House.objects.get(code="TM").pk,
        "note": "",
    }
    response = clients["agent"].post(reverse("portal:file"), data)
    assert response.status_code == 302, response.content
    filed = CardRequest.objects.get(identifier="7" * 20)
    assert (filed.provider, filed.filed_by, filed.location) == (
        agent.provider,
        agent,
        agent.location,
    )
    assert filed.house.code == "TM" and filed.office.kind == "primary"
    assert filed.reference.startswith("TM-") and filed.source == "web"
    assert (filed.status, filed.assignee, filed.priority, filed.outcome) == (
        Status.NEW,
        None,
        0,
        "",
    )
    assert filed.due_at > OLD and filed.created_at > OLD
    assert filed.resolved_at is filed.closed_at is filed.escalated_at is None
    assert filed.purged_at is None


@pytest.mark.parametrize(
    ("role", "route", "request_name", "prefix", "data", "status", "assignee"),
    [
        (
            "agent",
            "portal:answer",
            "own_needs_info",
            "",
            {"answer": "Room 2"},
            "new",
            None,
        ),
        (
            "agent",
            "portal:confirm",
            "own_resolved",
            "",
            {"works": "yes"},
            "closed",
            "specialist",
        ),
        (
            "specialist",
            "queue:claim",
            "own_new",
            "claim-",
            {},
            "in_progress",
            "specialist",
        ),
        ("specialist", "queue:unclaim", "own_progress", "unclaim-", {}, "new", None),
        (
            "specialist",
            "queue:resolve",
            "own_progress",
            "resolve-",
            {"resolve-outcome": "unblocked"},
            "resolved",
            "specialist",
        ),
        (
            "specialist",
            "queue:reject",
            "own_progress",
            "reject-",
            {"reject-reason": "Not ours"},
            "rejected",
            "specialist",
        ),
        (
            "specialist",
            "queue:ask_info",
            "own_progress",
            "ask_info-",
            {"ask_info-question": "Which reader?"},
            "needs_info",
            "specialist",
        ),
    ],
)
def test_web_actions_change_only_what_they_are_for(
    world, clients, role, route, request_name, prefix, data, status, assignee
):
    card_request = world.requests[request_name]
    before = _row(card_request)
    people = {p.pk: p for p in Person.objects.all()}
    snapshot = {pk: (p.role, p.is_staff, p.is_superuser) for pk, p in people.items()}
    response = clients[role].post(
        reverse(route, args=[card_request.reference]),
        {**_web_injection(world, prefix), **data},
    )
    assert response.status_code == 302, response.content
    _unchanged(
        card_request, before, but=("outcome",) if route == "queue:resolve" else ()
    )
    assert card_request.status == status
    expected = world.people[assignee] if assignee else None
    assert card_request.assignee == expected
    if route == "queue:resolve":
        assert card_request.outcome == "unblocked"
    else:
        assert card_request.resolved_at == before["resolved_at"]
    after = {p.pk: (p.role, p.is_staff, p.is_superuser) for p in Person.objects.all()}
    assert after == snapshot


def test_web_transfer_moves_to_the_chosen_house_only(world, clients):
    card_request = world.requests["own_new"]
    before = _row(card_request)
    cj = House.objects.get(code="CJ")
    data = {
        **_web_injection(world, "transfer-"),
        "transfer-house": cj.pk,
        "transfer-note": "",
    }
    response = clients["specialist"].post(
        reverse("queue:transfer", args=[card_request.reference]), data
    )
    assert response.status_code == 302, response.content
    _unchanged(card_request, before, but=("house_id", "office_id"))
    assert card_request.house == cj and card_request.office.house == cj
    assert (card_request.status, card_request.assignee) == (Status.NEW, None)
    assert card_request.due_at > OLD


def test_console_call_and_filing_ignore_injected_fields(world, clients):
    operator = world.people["operator"]
    office = Office.objects.get(house__code="TM", kind="primary")
    data = {
        **_web_injection(world),
        "caller_phone": "0256 201 234",
        "provider": world.providers["own"].pk,
        "office": office.pk,
        "reason": "blocked_card",
        "outcome": "request_filed",
        "started_at": "2026-01-05T10:00:00",
        "file_request": "on",
        "error_code": "15",
        "house": "TM",
        "cid": "7" * 20,
    }
    response = clients["operator"].post(reverse("console:home"), data)
    assert response.status_code == 302, response.content
    filed = CardRequest.objects.get(identifier="7" * 20)
    assert (filed.filed_by, filed.provider, filed.source) == (
        operator,
        world.providers["own"],
        "phone",
    )
    assert (filed.status, filed.assignee, filed.house.code) == (Status.NEW, None, "TM")
    assert filed.reference.startswith("TM-") and filed.due_at > OLD
    call = filed.calls.get()
    assert (call.operator, call.house.code, call.office) == (operator, "TM", office)


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_notification_settings_change_only_the_channels(world, clients, role):
    person = world.people[role]
    keep = ("username", "role", "is_staff", "is_superuser", "is_active", "email")
    keep += ("provider_id", "house_id", "password", "first_name", "last_name")
    before = {name: getattr(person, name) for name in keep}
    offices = set(person.offices.all())
    data = {
        **_web_injection(world),
        "language": "ro",
        "username": "root",
        "email": "evil@example.com",
        "is_active": "",
        "password": "x",
        "first_name": "Evil",
        "house": House.objects.get(code="B").pk,
        "offices": [o.pk for o in Office.objects.filter(house__code="B")],
    }
    INJECTED["web"] += 7
    response = clients[role].post(reverse("account:notifications"), data)
    assert response.status_code == 302, response.content
    person.refresh_from_db()
    assert {name: getattr(person, name) for name in keep} == before
    assert set(person.offices.all()) == offices
    assert person.language == "ro"


def test_injection_figures():
    """Runs after the injections (file order): the figure the README quotes."""
    total = INJECTED["api"] + INJECTED["web"]
    if not total:
        pytest.skip("run with the injection tests to get the figure")
    print(
        f"\nmass assignment: {total} forbidden fields injected "
        f"({INJECTED['api']} into API inputs, {INJECTED['web']} into web forms), "
        "0 accepted"
    )


# Field-level reads -------------------------------------------------------------

LIST_FIELDS = {
    "reference",
    "kind",
    "error_code",
    "status",
    "status_label",
    "priority",
    "house",
    "house_name",
    "office",
    "provider",
    "location",
    "source",
    "filed_by",
    "assignee",
    "cid",
    "card_number",
    "note",
    "outcome",
    "due_at",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
}
DETAIL_ONLY = {"events", "notifications", "instructions"}
# Who works a request inside the house is not the provider's business.
CAS_ONLY = {"assignee"}
READS = {
    "agent": LIST_FIELDS - CAS_ONLY,
    "operator": LIST_FIELDS,
    "specialist": LIST_FIELDS,
    "supervisor": LIST_FIELDS,
    "admin": LIST_FIELDS,
}
CALL_FIELDS = {
    "id",
    "operator",
    "house",
    "office",
    "caller_phone",
    "provider",
    "reason",
    "outcome",
    "note",
    "started_at",
    "ended_at",
    "duration_seconds",
    "card_requests",
    "created_at",
}
PROVIDER_FIELDS = {
    "name",
    "fiscal_code",
    "contract_number",
    "house",
    "category",
    "category_label",
    "office",
    "phone",
    "email",
}
EVENT_FIELDS = {
    "kind",
    "label",
    "actor",
    "from_status",
    "to_status",
    "from_house",
    "to_house",
    "text",
    "created_at",
}
NOTIFICATION_FIELDS = {
    "channel",
    "template",
    "status",
    "attempts",
    "created_at",
    "sent_at",
}


@pytest.mark.parametrize("role", list(READS))
def test_each_role_reads_exactly_its_fields(world, clients, role):
    client = clients[role]
    rows = client.get("/api/v1/requests/", {"page_size": 100}).json()["results"]
    assert rows and all(set(row) == READS[role] for row in rows)
    detail = client.get(f"/api/v1/requests/{world.ref('own_progress')}/").json()
    assert set(detail) == READS[role] | DETAIL_ONLY
    assert all(set(event) == EVENT_FIELDS for event in detail["events"])
    assert all(set(n) == NOTIFICATION_FIELDS for n in detail["notifications"])


@pytest.mark.parametrize(
    ("role", "full"),
    [
        ("agent", True),
        ("operator", False),
        ("specialist", True),
        ("supervisor", False),
        ("admin", False),
    ],
)
def test_the_full_identifier_only_for_the_provider_and_the_specialist_working_it(
    world, clients, role, full
):
    client = clients[role]
    working = world.requests["own_progress"]  # claimed by the specialist
    waiting = world.requests["own_invalid"]  # nobody works it yet
    cid = client.get(f"/api/v1/requests/{working.reference}/").json()["cid"]
    assert (cid == working.identifier) is full
    assert cid.endswith(working.identifier[-4:])
    number = client.get(f"/api/v1/requests/{waiting.reference}/").json()["card_number"]
    assert (number == waiting.identifier) is (role == "agent")
    for row in client.get("/api/v1/requests/", {"page_size": 100}).json()["results"]:
        identifier = row["cid"] or row["card_number"]
        if identifier and "•" not in identifier:
            assert role in ("agent", "specialist")


def test_a_provider_reads_only_the_messages_sent_to_its_people(world, clients):
    card_request = world.requests["own_progress"]
    Notification.objects.create(
        card_request=card_request,
        recipient=world.people["supervisor"],
        channel=Channel.EMAIL,
        template=Template.SLA_BREACHED,
    )
    Notification.objects.create(
        card_request=card_request,
        recipient=world.people["agent"],
        channel=Channel.EMAIL,
        template=Template.INFO_REQUESTED,
    )
    url = f"/api/v1/requests/{card_request.reference}/"
    agent = {n["template"] for n in clients["agent"].get(url).json()["notifications"]}
    staff = clients["supervisor"].get(url).json()["notifications"]
    assert agent == {"info_requested"}
    assert {n["template"] for n in staff} >= {"info_requested", "sla_breached"}


@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
def test_calls_read_their_fields_and_only_linked_requests_in_scope(
    world, clients, role
):
    calls = clients[role].get("/api/v1/calls/").json()["results"]
    assert calls and all(set(call) == CALL_FIELDS for call in calls)
    linked = {ref for call in calls for ref in call["card_requests"]}
    assert linked <= world.visible_refs(role)
    assert world.ref("own_new") in linked


@pytest.mark.parametrize("role", ["operator", "specialist", "supervisor", "admin"])
def test_provider_lookup_reads_its_fields(world, clients, role):
    found = clients[role].get("/api/v1/providers/", {"q": "Cabinet"}).json()
    assert found and all(set(p) == PROVIDER_FIELDS for p in found)
