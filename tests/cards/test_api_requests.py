"""Reading requests over the API: masking, filters, pagination, order, detail."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards import services
from cards.models import (
    Channel,
    IdentifierAccess,
    Kind,
    Notification,
    NotificationStatus,
    Outcome,
    Priority,
)
from providers.models import Category
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import AgentFactory, ProviderFactory

CID = "80642000350012345678"
MASKED = "•" * 16 + "5678"


@pytest.fixture
def card_request(provider_agent):
    return CardRequestFactory(filed_by=provider_agent, identifier=CID)


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("provider_agent", CID),
        ("operator", MASKED),
        ("specialist", MASKED),
        ("other_specialist", MASKED),
        ("supervisor", MASKED),
        ("national_admin", MASKED),
    ],
)
def test_the_cid_is_masked_unless_working_the_request_or_its_provider(
    request, api, card_request, role, shown
):
    client = api(request.getfixturevalue(role))
    detail = client.get(f"/api/v1/requests/{card_request.reference}/").json()
    listed = client.get("/api/v1/requests/").json()["results"][0]
    assert detail["cid"] == shown
    # A list never shows the full identifier (and so writes no access record).
    assert listed["cid"] == MASKED


def test_the_specialist_working_it_sees_the_full_cid(
    api, card_request, specialist, other_specialist
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    url = f"/api/v1/requests/{card_request.reference}/"
    assert api(specialist).get(url).json()["cid"] == CID
    assert api(other_specialist).get(url).json()["cid"] == MASKED


def test_who_works_a_request_is_shown_to_the_cas_only(
    api, card_request, provider_agent, specialist, supervisor
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    url = f"/api/v1/requests/{card_request.reference}/"
    provider, cas = api(provider_agent), api(supervisor)
    # In turn: what one response leaves out is still there in the next one.
    for _ in range(2):
        for client, shown in ((provider, False), (cas, True)):
            detail = client.get(url).json()
            listed = client.get("/api/v1/requests/").json()["results"][0]
            assert ("assignee" in detail) is ("assignee" in listed) is shown
            if shown:
                assert detail["assignee"] == listed["assignee"] == str(specialist)


def test_card_numbers_are_masked_too(api, provider_agent, supervisor):
    card_request = CardRequestFactory(
        filed_by=provider_agent, kind=Kind.INVALID, identifier="RO1A2B3C4D5E6F70"
    )
    data = api(supervisor).get(f"/api/v1/requests/{card_request.reference}/").json()
    assert data["card_number"] == "•" * 12 + "6F70"
    assert data["cid"] is None


def test_the_queue_lists_urgent_first_then_by_due_time(api, supervisor):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    hospital = AgentFactory(provider=ProviderFactory(category=Category.SPT))
    late = CardRequestFactory(due_at=now + timedelta(hours=3))
    soon = CardRequestFactory(due_at=now + timedelta(hours=1))
    urgent = CardRequestFactory(
        filed_by=hospital, priority=Priority.URGENT, due_at=now + timedelta(hours=5)
    )
    refs = [
        r["reference"]
        for r in api(supervisor).get("/api/v1/requests/").json()["results"]
    ]
    assert refs == [urgent.reference, soon.reference, late.reference]


def test_lists_filter_by_status_kind_office_and_house(api, national_admin, specialist):
    hospital = AgentFactory(provider=ProviderFactory(category=Category.SPT))
    blocked = CardRequestFactory()
    invalid = CardRequestFactory(kind=Kind.INVALID)
    urgent = CardRequestFactory(filed_by=hospital)
    services.card_request_claim(actor=specialist, card_request=blocked)
    client = api(national_admin)

    def refs(query):
        response = client.get(f"/api/v1/requests/?{query}")
        assert response.status_code == 200, response.json()
        return {r["reference"] for r in response.json()["results"]}

    assert refs("status=in_progress") == {blocked.reference}
    assert refs("status=new&status=in_progress") == {
        blocked.reference,
        invalid.reference,
        urgent.reference,
    }
    assert refs("kind=invalid") == {invalid.reference}
    assert refs("office=hospital") == {urgent.reference}
    assert refs("house=tm") == {blocked.reference, invalid.reference, urgent.reference}
    assert refs("house=CJ") == set()
    assert client.get("/api/v1/requests/?status=lost").status_code == 400


def test_lists_are_paginated_with_next_links(api, supervisor):
    CardRequestFactory.create_batch(3)
    page = api(supervisor).get("/api/v1/requests/?page_size=2").json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert "page=2" in page["next"]


def test_detail_carries_timeline_and_instructions_once_resolved(
    api, card_request, specialist, provider_agent
):
    url = f"/api/v1/requests/{card_request.reference}/"
    assert api(provider_agent).get(url).json()["instructions"] is None
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )

    data = api(provider_agent).get(url).json()

    assert data["status"] == "resolved"
    assert data["outcome"] == "unblocked"
    assert [e["kind"] for e in data["events"] if e["kind"] != "notified"] == [
        "claimed",
        "resolved",
    ]
    assert data["events"][0]["actor"] == str(specialist)
    assert data["instructions"]["title"] == "Run the PIN reset on the card reader"
    assert len(data["instructions"]["steps"]) == 8


def test_a_transfer_shows_in_the_timeline_with_both_houses(
    api, card_request, specialist, cj, provider_agent, django_assert_max_num_queries
):
    services.card_request_transfer(
        actor=specialist, card_request=card_request, house=cj, note="Card of Cluj"
    )
    url = f"/api/v1/requests/{card_request.reference}/"
    client = api(provider_agent)
    client.get(url)

    with django_assert_max_num_queries(5):  # none per event
        events = client.get(url).json()["events"]

    transfer = next(e for e in events if e["kind"] == "transferred")
    assert transfer == {
        "kind": "transferred",
        "label": "Transferred",
        "actor": str(specialist),
        "from_status": "new",
        "to_status": "new",
        "from_house": "TM",
        "to_house": "CJ",
        "text": "Card of Cluj",
        "created_at": transfer["created_at"],
    }
    assert transfer["created_at"]


def test_labels_are_in_the_readers_language(
    api, card_request, provider_agent, specialist
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    url = f"/api/v1/requests/{card_request.reference}/"
    client = api(provider_agent)

    english = client.get(url).json()
    romanian = client.get(url, HTTP_ACCEPT_LANGUAGE="ro").json()

    assert english["status_label"] == "In progress"
    assert romanian["status_label"] == "În lucru"
    assert [e["label"] for e in english["events"]] == ["Claimed"]
    assert [e["label"] for e in romanian["events"]] == ["Preluată"]


def test_confirm_false_with_the_readers_code_reopens(
    api, card_request, specialist, provider_agent
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )
    response = api(provider_agent).post(
        f"/api/v1/requests/{card_request.reference}/confirm/",
        {"works": False, "reader_error": 36},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "new"
    assert "36" in response.json()["events"][-1]["text"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("resolve", {}, "outcome"),
        ("resolve", {"outcome": "fixed"}, "outcome"),
        ("reject", {"reason": ""}, "reason"),
        ("transfer", {"house": "ZZ"}, "house"),
        ("ask-info", {}, "question"),
        ("resolve", {"outcome": "unblocked", "status": "closed"}, "status"),
        ("resolve", {"outcome": "unblocked", "pin": "1234"}, "pin"),
    ],
)
def test_transition_input_errors_are_field_level(
    api, card_request, specialist, path, body, field
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    response = api(specialist).post(
        f"/api/v1/requests/{card_request.reference}/{path}/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    card_request.refresh_from_db()
    assert card_request.status == "in_progress"


def test_session_authentication_works_for_the_web_pages(
    client, provider_agent, card_request
):
    client.force_login(provider_agent)
    response = client.get(f"/api/v1/requests/{card_request.reference}/")
    assert response.status_code == 200


def test_token_endpoint_exchanges_credentials(api, provider_agent):
    response = api().post(
        "/api/v1/auth/token/",
        {"username": provider_agent.username, "password": "correct horse battery"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert (
        api().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {token}").status_code
        == 200
    )
    wrong = api().post(
        "/api/v1/auth/token/",
        {"username": provider_agent.username, "password": "nope"},
        format="json",
    )
    assert wrong.status_code == 400


def test_the_list_costs_the_same_queries_for_a_full_page(
    api, supervisor, django_assert_max_num_queries
):
    CardRequestFactory.create_batch(20)
    client = api(supervisor)
    with django_assert_max_num_queries(8):
        rows = client.get("/api/v1/requests/").json()["results"]
    assert len(rows) == 20


def test_a_provider_sees_its_newest_requests_first(api, provider_agent):
    first = CardRequestFactory(filed_by=provider_agent)
    second = CardRequestFactory(filed_by=provider_agent)
    rows = api(provider_agent).get("/api/v1/requests/").json()["results"]
    assert [r["reference"] for r in rows] == [second.reference, first.reference]


def requests_read(captured) -> list[str]:
    """The reads of requests, their timelines and messages among `captured`."""
    read = re.compile(r'^SELECT .* FROM "cards_(cardrequest|event|notification)" ')
    return [q["sql"] for q in captured if read.match(q["sql"])]


def test_an_agents_detail_is_kept_until_the_request_or_its_messages_change(
    api, settings, card_request, provider_agent, specialist
):
    settings.QUEUE_VERSIONS = True
    client = api(provider_agent)
    url = f"/api/v1/requests/{card_request.reference}/"
    assert client.get(url).json()["status"] == "new"

    with CaptureQueriesContext(connection) as captured:
        kept = client.get(url)
    assert kept.json()["status"] == "new"
    assert kept.json()["cid"] == CID
    assert requests_read(captured) == []
    # Every answer that shows the identifier is recorded, kept or not.
    assert IdentifierAccess.objects.filter(person=provider_agent).count() == 2

    # A change of the request reaches the next answer...
    services.card_request_claim(actor=specialist, card_request=card_request)
    assert client.get(url).json()["status"] == "in_progress"
    # ...and so does a message delivered (its status and the "notified" event).
    services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )
    messages = Notification.objects.filter(card_request=card_request).order_by(
        "created_at", "id"
    )
    email = messages.filter(channel=Channel.EMAIL).first()
    assert "sent" not in [m["status"] for m in client.get(url).json()["notifications"]]
    services.notification_deliver(notification_id=email.pk)
    answer = client.get(url).json()
    assert [m["status"] for m in answer["notifications"]] == [
        m.status for m in messages
    ]
    assert NotificationStatus.SENT in [m["status"] for m in answer["notifications"]]
    assert answer["events"][-1]["kind"] == "notified"


def test_a_kept_detail_is_never_given_to_another_reader(
    api, settings, card_request, provider_agent, other_agent
):
    settings.QUEUE_VERSIONS = True
    url = f"/api/v1/requests/{card_request.reference}/"
    colleague = AgentFactory(provider=provider_agent.provider)
    assert api(provider_agent).get(url).status_code == 200

    assert api(other_agent).get(url).status_code == 404
    assert api(colleague).get(url).json()["cid"] == CID
    assert (
        api(provider_agent).get(url, HTTP_ACCEPT_LANGUAGE="ro").json()["status_label"]
        == "Nouă"
    )
    assert IdentifierAccess.objects.filter(person=colleague).count() == 1
