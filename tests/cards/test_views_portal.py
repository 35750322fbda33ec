"""The provider portal's pages: filing, my requests, a request's page with the
guided PIN reset, the printable sheet and the in-app messages."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards import services
from cards.forms.portal import CardRequestForm, add_service_errors
from cards.models import (
    CardRequest,
    Channel,
    EventKind,
    Kind,
    Notification,
    Outcome,
    Source,
    Status,
)
from cards.selectors import unread_in_app_count
from cards.services.versions import inbox_versions_bump, kept_for_inbox
from providers.models import House, Person
from tests.cards.factories import CardRequestFactory
from tests.cards.test_views_queue import within_one_minute
from tests.providers.factories import AgentFactory, house

CID = "80642000350012345678"
CARD_NUMBER = "RO1A2B3C4D5E6F70"
CNP = "1800101420010"


def page_of(response) -> str:
    return response.content.decode()


def resolved_request(provider_agent, specialist, **kwargs):
    card_request = CardRequestFactory(filed_by=provider_agent, **kwargs)
    services.card_request_claim(actor=specialist, card_request=card_request)
    outcome = (
        Outcome.UNBLOCKED if card_request.kind == Kind.BLOCKED else Outcome.REACTIVATED
    )
    return services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=outcome
    )


@pytest.fixture
def agent_client(client, provider_agent):
    client.force_login(provider_agent)
    return client


# Access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/requests/",
        "/requests/new/",
        "/requests/TM-2611-00001/",
        "/requests/TM-2611-00001/print/",
        "/messages/",
    ],
)
def test_pages_need_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize("persona", ["operator", "specialist", "supervisor"])
@pytest.mark.parametrize("path", ["/requests/", "/requests/new/"])
def test_cas_staff_do_not_get_the_provider_pages(client, db, request, persona, path):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("persona", ["operator", "specialist", "supervisor"])
def test_cas_staff_opening_a_request_link_land_on_the_queue_page(
    client, request, provider_agent, persona
):
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(f"/requests/{card_request.reference}/")

    assert response.status_code == 302
    assert response.url == f"/queue/{card_request.reference}/"


def test_cas_staff_of_another_house_get_a_404_not_a_redirect(
    client, provider_agent, cj_specialist
):
    card_request = CardRequestFactory(filed_by=provider_agent)
    client.force_login(cj_specialist)
    assert client.get(f"/requests/{card_request.reference}/").status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "print/"), ("post", "answer/"), ("post", "confirm/")],
)
def test_another_providers_request_is_a_404(
    client, provider_agent, other_agent, specialist, method, suffix
):
    card_request = resolved_request(provider_agent, specialist)
    client.force_login(other_agent)
    response = getattr(client, method)(f"/requests/{card_request.reference}/{suffix}")
    assert response.status_code == 404


def test_the_page_is_in_romanian_by_default(client, provider_agent, settings):
    settings.LANGUAGE_CODE = "ro"
    card_request = CardRequestFactory(filed_by=provider_agent)
    client.force_login(provider_agent)
    page = page_of(client.get(f"/requests/{card_request.reference}/"))
    assert "Istoric" in page
    assert 'lang="ro"' in page


def test_html_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


# Filing ---------------------------------------------------------------------------


def test_the_form_preselects_the_providers_house_and_lists_fileable_codes_first(
    agent_client, provider_agent, cj
):
    provider_agent.provider.house = cj
    provider_agent.provider.save()

    page = page_of(agent_client.get("/requests/new/"))

    assert re.search(
        r'<option value="\d+"[^>]*selected[^>]*>CJ — CAS Cluj</option>', page
    )
    codes = re.findall(r'<option value="(\d+)">\d+ — ', page)
    assert codes[:3] == ["15", "5", "17"]
    assert {"14", "21", "36"} <= set(codes)
    assert "the house the card was issued for" in page.lower()
    assert 'src="/static/js/portal.js"' in page


def test_a_blocked_card_is_filed_into_the_chosen_house(agent_client, provider_agent):
    response = agent_client.post(
        "/requests/new/",
        {
            "error_code": "15",
            "cid": "8064 2000 3500 1234 5678",
            "house": house("CJ").pk,
        },
    )

    card_request = CardRequest.objects.get()
    assert response.status_code == 302
    assert response.url == f"/requests/{card_request.reference}/"
    assert card_request.identifier == CID
    assert card_request.kind == Kind.BLOCKED
    assert card_request.house.code == "CJ"
    assert card_request.source == Source.WEB
    assert card_request.filed_by == provider_agent
    page = page_of(agent_client.get(response.url))
    assert "Request filed" in page


def test_an_invalid_card_number_ignores_spaces_and_case(agent_client, tm):
    response = agent_client.post(
        "/requests/new/",
        {"error_code": "17", "card_number": "ro1a 2b3c 4d5e 6f70", "house": tm.pk},
    )
    assert response.status_code == 302
    card_request = CardRequest.objects.get()
    assert (card_request.kind, card_request.error_code) == (Kind.INVALID, 17)
    assert card_request.identifier == CARD_NUMBER


def test_only_the_identifier_the_code_needs_is_used(agent_client, tm):
    agent_client.post(
        "/requests/new/",
        {"error_code": "5", "cid": CID, "card_number": CARD_NUMBER, "house": tm.pk},
    )
    assert CardRequest.objects.get().identifier == CARD_NUMBER


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"error_code": "15", "cid": CNP}, "cid", "This is a CNP"),
        (
            {"error_code": "15", "cid": CID[:-1]},
            "cid",
            "exactly 20 digits; you typed 19",
        ),
        ({"error_code": "15", "cid": ""}, "cid", "Enter the CID"),
        ({"error_code": "15", "card_number": CARD_NUMBER}, "cid", "not by the card"),
        ({"error_code": "5", "card_number": CID}, "card_number", "20 digits is a CID"),
        ({"error_code": "5", "card_number": "RO1A2B"}, "card_number", "you typed 6"),
        (
            {"error_code": "15", "cid": CID, "note": "PIN 4821"},
            "note",
            "Remove the PIN",
        ),
        ({"error_code": "", "cid": CID}, "error_code", "Choose the code"),
    ],
)
def test_wrong_input_is_refused_on_its_field_and_nothing_typed_is_lost(
    agent_client, tm, data, field, message
):
    response = agent_client.post("/requests/new/", {"house": tm.pk, **data})

    assert response.status_code == 400
    assert CardRequest.objects.count() == 0
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    page = page_of(response)
    assert f'id="id_{field}_error"' in page
    for value in data.values():
        if value and value not in ("15", "5"):
            assert value in page


def test_errors_are_in_the_users_language(agent_client, tm, settings):
    settings.LANGUAGE_CODE = "ro"
    response = agent_client.post(
        "/requests/new/", {"error_code": "15", "cid": CNP, "house": tm.pk}
    )
    assert "Acesta este un CNP" in page_of(response)


@pytest.mark.parametrize("code", [14, 21, 36, 3, 8])
def test_a_code_the_cas_does_not_fix_is_explained_in_place_and_nothing_is_filed(
    agent_client, tm, code
):
    response = agent_client.post(
        "/requests/new/", {"error_code": str(code), "cid": CID, "house": tm.pk}
    )

    assert response.status_code == 200
    assert CardRequest.objects.count() == 0
    page = page_of(response)
    shown = re.findall(
        r'<section class="advice" data-advice="(\d+)"[^>]*?(?<!hidden)>', page
    )
    assert shown == [str(code)]
    assert "Nothing is filed for this code" in page


def test_error_14_says_what_to_do(agent_client, tm):
    response = agent_client.post("/requests/new/", {"error_code": "14", "house": tm.pk})
    section = re.search(
        r'data-advice="14"[^>]*>(.*?)</section>', page_of(response), re.S
    )
    assert "Wrong PIN" in section.group(1)
    assert "fifth wrong PIN blocks" in section.group(1)


def test_filing_the_same_card_again_opens_the_existing_request(
    agent_client, provider_agent, tm
):
    existing = CardRequestFactory(filed_by=provider_agent, identifier=CID)

    response = agent_client.post(
        "/requests/new/", {"error_code": "15", "cid": CID, "house": tm.pk}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"/requests/{existing.reference}/"
    assert CardRequest.objects.count() == 1
    assert "already has an open request" in page_of(response)


def test_a_card_open_at_another_provider_is_refused_without_its_reference(
    agent_client, other_agent, tm
):
    elsewhere = CardRequestFactory(filed_by=other_agent, identifier=CID)

    response = agent_client.post(
        "/requests/new/", {"error_code": "15", "cid": CID, "house": tm.pk}
    )

    assert response.status_code == 400
    page = page_of(response)
    assert "filed by another provider" in page
    assert elsewhere.reference not in page
    assert CardRequest.objects.count() == 1


def test_service_errors_land_on_the_form_field_that_shows_them(db):
    form = CardRequestForm({})
    form.is_valid()
    add_service_errors(
        form,
        ValidationError(
            {
                "insurer_house": "This house no longer takes requests.",
                "kind": "Choose blocked.",
                "provider": "Name the provider.",
            }
        ),
    )
    assert form.errors["house"] == [
        "This field is required.",
        "This house no longer takes requests.",
    ]
    assert "Choose blocked." in form.errors["error_code"]
    assert form.non_field_errors() == ["Name the provider."]


def test_an_inactive_house_is_not_offered(agent_client, cj):
    cj.is_active = False
    cj.save()
    response = agent_client.post(
        "/requests/new/", {"error_code": "15", "cid": CID, "house": cj.pk}
    )
    assert response.status_code == 400
    assert "CJ — CAS Cluj" not in page_of(response)
    assert CardRequest.objects.count() == 0


# My requests ----------------------------------------------------------------------


def test_my_requests_lists_the_providers_requests_newest_first(
    agent_client, provider_agent, other_agent
):
    colleague = AgentFactory(provider=provider_agent.provider)
    older = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    CardRequest.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(hours=2, minutes=5)
    )
    newer = CardRequestFactory(
        filed_by=colleague, kind=Kind.INVALID, identifier=CARD_NUMBER, error_code=17
    )
    theirs = CardRequestFactory(filed_by=other_agent)

    page = page_of(agent_client.get("/requests/"))

    assert page.index(newer.reference) < page.index(older.reference)
    assert theirs.reference not in page
    assert "…</span>5678" in page and "…</span>6F70" in page
    assert CID not in page
    assert "CJAS Timiș · Primary care" in page
    assert "2\xa0hours ago" in page and "just now" in page


def test_my_requests_mark_the_agents_turn_and_escape_what_they_show(
    agent_client, provider_agent, specialist
):
    resolved = resolved_request(provider_agent, specialist)
    asked = CardRequestFactory(filed_by=provider_agent, kind=Kind.INVALID)
    services.card_request_claim(actor=specialist, card_request=asked)
    services.card_request_ask_info(
        actor=specialist, card_request=asked, question="Which reader?"
    )
    waiting = CardRequestFactory(filed_by=provider_agent)
    House.objects.filter(pk=waiting.house_id).update(short_name="CJAS <b>Timiș</b>")

    page = page_of(agent_client.get("/requests/", HTTP_ACCEPT_LANGUAGE="ro"))

    def row(card_request):
        end = page.index(f">{card_request.reference}</a>")
        return page[page.rindex("<tr", 0, end) : page.index("</tr>", end)]

    assert row(resolved).startswith('<tr class="your-turn">')
    assert '<span class="next-step">Efectuați resetarea PIN-ului</span>' in row(
        resolved
    )
    assert row(asked).startswith('<tr class="your-turn">')
    assert '<span class="next-step">Răspundeți CAS</span>' in row(asked)
    assert row(waiting).startswith("<tr>")
    assert "next-step" not in row(waiting)
    assert f'href="/requests/{waiting.reference}/"' in row(waiting)
    filed = timezone.localtime(waiting.created_at)
    assert f'<time datetime="{filed.isoformat()}"' in row(waiting)
    assert "CJAS &lt;b&gt;Timiș&lt;/b&gt;" in row(waiting)
    assert "<b>" not in page


def test_my_requests_filter_by_status(agent_client, provider_agent, specialist):
    resolved = resolved_request(provider_agent, specialist)
    new = CardRequestFactory(filed_by=provider_agent)
    closed = CardRequestFactory(filed_by=provider_agent, status=Status.CLOSED)

    open_page = page_of(agent_client.get("/requests/?status=open"))
    resolved_page = page_of(agent_client.get("/requests/?status=resolved"))
    closed_page = page_of(agent_client.get("/requests/?status=closed"))
    everything = page_of(agent_client.get("/requests/?status=nonsense"))

    assert resolved.reference in open_page and new.reference in open_page
    assert closed.reference not in open_page
    assert resolved.reference in resolved_page and new.reference not in resolved_page
    assert "Run the PIN reset" in resolved_page
    assert closed.reference in closed_page and new.reference not in closed_page
    assert all(r.reference in everything for r in (resolved, new, closed))
    assert re.search(
        r'aria-current="page">Open <span class="filter-count">2', open_page
    )


def test_my_requests_are_paginated_by_25_in_few_queries(
    agent_client, provider_agent, django_assert_max_num_queries
):
    requests = CardRequestFactory.create_batch(26, filed_by=provider_agent)

    with django_assert_max_num_queries(12):
        first = page_of(agent_client.get("/requests/"))
    second = page_of(agent_client.get("/requests/?page=2"))

    assert first.count('href="/requests/TM-') == 25
    assert "Page 1 of 2" in first
    assert requests[0].reference in second
    assert requests[0].reference not in first


def test_a_filtered_list_counts_the_pages_of_its_own_requests(
    agent_client, provider_agent
):
    CardRequestFactory.create_batch(26, filed_by=provider_agent)
    rejected = CardRequestFactory.create_batch(
        27, filed_by=provider_agent, status=Status.REJECTED
    )

    everything = page_of(agent_client.get("/requests/?page=3"))
    only_rejected = page_of(agent_client.get("/requests/?status=rejected&page=2"))
    open_ones = page_of(agent_client.get("/requests/?status=open&page=2"))

    assert "Page 3 of 3" in everything
    assert "Page 2 of 2" in only_rejected
    assert only_rejected.count('href="/requests/TM-') == 2
    assert rejected[0].reference in only_rejected
    assert "Page 2 of 2" in open_ones
    assert open_ones.count('href="/requests/TM-') == 1


def requests_read(captured) -> int:
    """Queries reading requests (not the header's unread count, which reads
    messages about them)."""
    return sum(
        q["sql"].split(" FROM ", 1)[-1].startswith('"cards_cardrequest"')
        for q in captured
    )


def listing(page: str) -> str:
    return page[page.index('<nav class="filters"') : page.index("</main>")]


def test_agents_of_a_provider_share_one_drawing_of_their_list(
    client, settings, provider_agent, specialist
):
    settings.QUEUE_VERSIONS = True
    colleague = AgentFactory(provider=provider_agent.provider)
    waiting = CardRequestFactory(filed_by=provider_agent)
    within_one_minute()
    client.force_login(provider_agent)
    first = page_of(client.get("/requests/"))
    assert waiting.reference in first

    client.force_login(colleague)
    with CaptureQueriesContext(connection) as captured:
        second = page_of(client.get("/requests/"))
    assert requests_read(captured) == 0
    assert listing(first) == listing(second)

    # A request filed, or one that changes, shows on the next read.
    filed = CardRequestFactory(filed_by=colleague)
    services.card_request_claim(actor=specialist, card_request=waiting)
    with CaptureQueriesContext(connection) as captured:
        third = page_of(client.get("/requests/"))
    assert requests_read(captured) == 2  # the counts and the page
    assert filed.reference in third
    assert 'status-in_progress">In progress</span>' in third


def test_a_kept_list_is_kept_for_its_own_provider_filter_page_and_language(
    client, settings, provider_agent, other_agent
):
    settings.QUEUE_VERSIONS = True
    ours = CardRequestFactory.create_batch(26, filed_by=provider_agent)
    theirs = CardRequestFactory(filed_by=other_agent)
    closed = CardRequestFactory(filed_by=provider_agent, status=Status.CLOSED)
    within_one_minute()
    client.force_login(provider_agent)
    everything = page_of(client.get("/requests/"))
    assert closed.reference in everything and theirs.reference not in everything

    client.force_login(other_agent)
    elsewhere = page_of(client.get("/requests/"))
    assert theirs.reference in elsewhere
    assert all(r.reference not in elsewhere for r in (*ours, closed))

    client.force_login(provider_agent)
    open_only = page_of(client.get("/requests/?status=open"))
    assert closed.reference not in open_only
    second = page_of(client.get("/requests/?page=2"))
    assert "Page 2 of 2" in second and ours[0].reference in second
    assert ours[0].reference not in everything
    romanian = page_of(client.get("/requests/", HTTP_ACCEPT_LANGUAGE="ro"))
    assert "Închisă" in romanian and "Closed" not in romanian.split("<main")[1]


def test_my_requests_without_any_invites_a_first_request(agent_client):
    page = page_of(agent_client.get("/requests/"))
    assert "No requests yet" in page
    assert 'href="/requests/new/"' in page


# A request's page -----------------------------------------------------------------


def test_the_provider_sees_its_request_with_the_cid_timeline_and_office(
    agent_client, provider_agent
):
    card_request = CardRequestFactory(
        filed_by=provider_agent, identifier=CID, note="Pacient în așteptare"
    )
    filed = card_request.events.create(kind=EventKind.FILED, actor=provider_agent)

    page = page_of(agent_client.get(f"/requests/{card_request.reference}/"))

    assert CID in page
    assert "0736 203 666" in page and 'href="tel:0736203666"' in page
    assert "Waiting in the queue of CJAS Timiș" in page
    assert "Pacient în așteptare" in page
    assert f"<strong>{filed.get_kind_display()}</strong> · {provider_agent}" in page
    assert "Run the PIN reset" not in page
    assert 'action="/requests/' not in page  # nothing to do yet


def test_once_resolved_the_pin_reset_steps_and_the_two_outcomes_are_shown(
    agent_client, provider_agent, specialist
):
    card_request = resolved_request(provider_agent, specialist, identifier=CID)

    page = page_of(agent_client.get(f"/requests/{card_request.reference}/"))

    steps = re.search(r"<ol class=\"steps\"[^>]*>(.*?)</ol>", page, re.S).group(1)
    assert steps.count("<li") == 8
    assert "Reset PIN eCard" in steps and "0000" in steps
    assert "<progress" in page and "data-guide-next" in page
    assert 'name="works" value="yes"' in page
    assert 'name="reader_error"' in page
    assert '<option value="36">36 — PIN reset not confirmed</option>' in page
    assert f'href="/requests/{card_request.reference}/print/"' in page


def test_an_invalid_card_once_resolved_shows_the_one_message_and_the_outcomes(
    agent_client, provider_agent, specialist
):
    card_request = resolved_request(
        provider_agent, specialist, kind=Kind.INVALID, identifier=CARD_NUMBER
    )

    page = page_of(agent_client.get(f"/requests/{card_request.reference}/"))

    assert "works again with the PIN the patient set when activating it" in page
    assert "data-guide-next" not in page
    assert "/print/" not in page
    assert 'name="works" value="yes"' in page
    assert '<option value="17">17 — Card invalid</option>' in page


def test_the_card_works_closes_the_request(agent_client, provider_agent, specialist):
    card_request = resolved_request(provider_agent, specialist)

    response = agent_client.post(
        f"/requests/{card_request.reference}/confirm/", {"works": "yes"}, follow=True
    )

    card_request.refresh_from_db()
    assert card_request.status == Status.CLOSED
    assert card_request.events.last().kind == EventKind.CONFIRMED
    page = page_of(response)
    assert "the request is closed" in page
    assert 'name="works"' not in page
    assert f'href="/requests/{card_request.reference}/print/"' in page


def test_still_fails_reopens_with_what_the_reader_shows(
    agent_client, provider_agent, specialist
):
    card_request = resolved_request(provider_agent, specialist)

    response = agent_client.post(
        f"/requests/{card_request.reference}/confirm/",
        {"works": "no", "reader_error": "36", "note": "Tried twice"},
    )

    assert response.status_code == 302
    card_request.refresh_from_db()
    assert card_request.status == Status.NEW
    event = card_request.events.last()
    assert event.kind == EventKind.REOPENED
    assert event.text == "The reader shows error 36. Tried twice"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "reader_error", "Choose what the reader shows now."),
        ({"reader_error": "99"}, "reader_error", "Select a valid choice"),
        ({"reader_error": "other"}, "note", "Say what the reader shows."),
        ({"reader_error": "15", "note": "pin 4821"}, "note", "Remove the PIN"),
    ],
)
def test_still_fails_needs_a_reason(
    agent_client, provider_agent, specialist, data, field, message
):
    card_request = resolved_request(provider_agent, specialist)

    response = agent_client.post(
        f"/requests/{card_request.reference}/confirm/", {"works": "no", **data}
    )

    assert response.status_code == 400
    assert message in " ".join(response.context["still_fails_form"].errors[field])
    assert '<details class="still-fails" open>' in page_of(response)
    card_request.refresh_from_db()
    assert card_request.status == Status.RESOLVED


def test_still_fails_for_another_reason_keeps_the_agents_words(
    agent_client, provider_agent, specialist
):
    card_request = resolved_request(provider_agent, specialist)
    agent_client.post(
        f"/requests/{card_request.reference}/confirm/",
        {"works": "no", "reader_error": "other", "note": "Reader shows nothing"},
    )
    event = card_request.events.last()
    assert (event.kind, event.text) == (EventKind.REOPENED, "Reader shows nothing")


def test_confirming_a_request_not_resolved_says_why(agent_client, provider_agent):
    card_request = CardRequestFactory(filed_by=provider_agent)

    response = agent_client.post(
        f"/requests/{card_request.reference}/confirm/", {"works": "yes"}, follow=True
    )

    assert "cannot be confirmed now" in page_of(response)
    card_request.refresh_from_db()
    assert card_request.status == Status.NEW


def test_transitions_are_post_only(agent_client, provider_agent, specialist):
    card_request = resolved_request(provider_agent, specialist)
    for suffix in ("confirm/", "answer/"):
        response = agent_client.get(f"/requests/{card_request.reference}/{suffix}")
        assert response.status_code == 405
    card_request.refresh_from_db()
    assert card_request.status == Status.RESOLVED


@pytest.fixture
def asked(provider_agent, specialist):
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    return services.card_request_ask_info(
        actor=specialist,
        card_request=card_request,
        question="Is the card's house on the letter CJ or TM?",
    )


def test_the_cas_question_is_answered_in_place(agent_client, asked):
    page = page_of(agent_client.get(f"/requests/{asked.reference}/"))
    assert "Is the card&#x27;s house on the letter CJ or TM?" in page
    assert f'action="/requests/{asked.reference}/answer/"' in page

    response = agent_client.post(
        f"/requests/{asked.reference}/answer/", {"answer": "TM"}, follow=True
    )

    asked.refresh_from_db()
    assert asked.status == Status.NEW
    assert asked.events.last().kind == EventKind.INFO_GIVEN
    assert "Your answer was sent" in page_of(response)


@pytest.mark.parametrize(
    ("answer", "message"),
    [("", "Write the answer."), ("PIN: 4821", "Remove the PIN")],
)
def test_an_answer_is_checked(agent_client, asked, answer, message):
    response = agent_client.post(
        f"/requests/{asked.reference}/answer/", {"answer": answer}
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["answer_form"].errors["answer"])
    asked.refresh_from_db()
    assert asked.status == Status.NEEDS_INFO


def test_a_rejected_request_shows_the_reason(agent_client, provider_agent, specialist):
    card_request = CardRequestFactory(filed_by=provider_agent)
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_reject(
        actor=specialist, card_request=card_request, reason="The card is from CJ."
    )
    page = page_of(agent_client.get(f"/requests/{card_request.reference}/"))
    assert "Why the CAS rejected it" in page
    assert "The card is from CJ." in page


# The printable sheet --------------------------------------------------------------


def test_the_printable_sheet_has_the_steps_the_last_4_and_signature_lines(
    agent_client, provider_agent, specialist
):
    card_request = resolved_request(provider_agent, specialist, identifier=CID)

    page = page_of(agent_client.get(f"/requests/{card_request.reference}/print/"))

    assert CID not in page
    assert "CID ending in 5678" in page
    assert card_request.reference in page
    assert provider_agent.provider.name in page
    assert (
        re.search(r'<ol class="sheet-steps">(.*?)</ol>', page, re.S)
        .group(1)
        .count("<li>")
        == 8
    )
    assert "Patient's signature" in page and "Agent's name and signature" in page
    assert "data-print" in page


@pytest.mark.parametrize("kind", [Kind.BLOCKED, Kind.INVALID])
def test_the_printable_sheet_waits_for_an_unblocked_card(
    agent_client, provider_agent, specialist, kind
):
    if kind == Kind.BLOCKED:
        card_request = CardRequestFactory(filed_by=provider_agent)
    else:
        card_request = resolved_request(
            provider_agent, specialist, kind=Kind.INVALID, identifier=CARD_NUMBER
        )
    response = agent_client.get(f"/requests/{card_request.reference}/print/")
    assert response.status_code == 302
    assert response.url == f"/requests/{card_request.reference}/"


# Messages -------------------------------------------------------------------------


@pytest.fixture
def inbox(provider_agent, specialist):
    """Two in-app messages for the agent: a question, then the resolution."""
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_ask_info(
        actor=specialist, card_request=card_request, question="Which house?"
    )
    services.card_request_give_info(
        actor=provider_agent, card_request=card_request, answer="TM"
    )
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )
    return card_request


def in_app(person):
    return Notification.objects.filter(recipient=person, channel=Channel.IN_APP)


def menu_of(page: str) -> str:
    return page[
        page.index('<ul class="nav">') : page.index(
            "</ul>", page.index('<ul class="nav">')
        )
    ]


def test_the_menu_is_each_roles_own_and_marks_the_page(
    client, provider_agent, supervisor
):
    client.force_login(provider_agent)
    agents = menu_of(page_of(client.get("/messages/")))
    client.force_login(supervisor)
    supervisors = menu_of(page_of(client.get("/messages/")))
    client.force_login(provider_agent)
    again = menu_of(page_of(client.get("/messages/")))
    mine = menu_of(page_of(client.get("/requests/")))

    assert 'href="/requests/"' in agents and 'href="/queue/"' not in agents
    assert 'href="/queue/"' in supervisors and 'href="/reports/"' in supervisors
    assert 'href="/requests/"' not in supervisors
    assert again == agents
    assert 'href="/requests/" aria-current="page"' in mine
    assert 'aria-current="page"' not in again


def test_messages_list_the_users_in_app_messages_newest_first_and_unread(
    agent_client, provider_agent, other_agent, inbox
):
    theirs = CardRequestFactory(filed_by=other_agent)
    services.notifications_queue(card_request=theirs, template="rejected")

    response = agent_client.get("/messages/")

    page = page_of(response)
    assert page.index("The card was unblocked: run the PIN reset") < page.index(
        "The CAS needs information"
    )
    assert page.count('class="inbox-item unread"') == 2
    assert theirs.reference not in page
    assert f'action="/messages/{in_app(provider_agent).first().pk}/open/"' in page
    assert '<span class="count"' in page
    # Reading the list changes nothing.
    assert in_app(provider_agent).filter(read_at__isnull=True).count() == 2


def test_following_a_message_marks_it_read_and_opens_its_request(
    agent_client, provider_agent, inbox
):
    notification = in_app(provider_agent).last()

    response = agent_client.post(f"/messages/{notification.pk}/open/")

    assert response.status_code == 302
    assert response.url == f"/requests/{inbox.reference}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert in_app(provider_agent).filter(read_at__isnull=True).count() == 1
    page = page_of(agent_client.get("/messages/"))
    assert page.count('class="inbox-item unread"') == 1
    assert f'<a class="inbox-subject" href="/requests/{inbox.reference}/">' in page


def test_someone_elses_message_cannot_be_opened(
    client, other_agent, provider_agent, inbox
):
    notification = in_app(provider_agent).first()
    client.force_login(other_agent)
    assert client.post(f"/messages/{notification.pk}/open/").status_code == 404
    assert client.get(f"/messages/{notification.pk}/open/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_as_read_clears_the_unread_badge(agent_client, provider_agent, inbox):
    assert ">2</span>" in page_of(agent_client.get("/messages/"))

    response = agent_client.post("/messages/read/", follow=True)

    assert in_app(provider_agent).filter(read_at__isnull=True).count() == 0
    page = page_of(response)
    assert '<span class="count"' not in page
    assert "Mark all as read" not in page
    assert agent_client.get("/messages/read/").status_code == 405


def test_cas_staff_read_their_messages_too(client, specialist, provider_agent, asked):
    services.card_request_give_info(
        actor=provider_agent, card_request=asked, answer="TM"
    )
    client.force_login(specialist)

    page = page_of(client.get("/messages/"))

    assert f"[{asked.reference}] The provider answered" in page
    notification = in_app(specialist).get()
    response = client.post(f"/messages/{notification.pk}/open/")
    assert response.url == f"/requests/{asked.reference}/"
    assert client.get(response.url).url == f"/queue/{asked.reference}/"


def test_no_messages_says_so(agent_client):
    assert "No messages yet." in page_of(agent_client.get("/messages/"))


UNREAD = re.compile(r'<span class="count">(\d+)</span>')


def unread_shown(client, path="/requests/") -> int:
    """The unread count the header shows (0: none shown)."""
    found = UNREAD.search(page_of(client.get(path)))
    return int(found.group(1)) if found else 0


@pytest.fixture
def kept_counts(settings):
    """Unread counts kept, none from an earlier test (list it after the people)."""
    settings.UNREAD_COUNT_SECONDS = 60
    inbox_versions_bump(*Person.objects.values_list("pk", flat=True))


def test_the_unread_count_is_kept_until_a_message_arrives_or_is_read(
    agent_client, provider_agent, inbox, kept_counts
):
    assert unread_shown(agent_client) == 2
    with CaptureQueriesContext(connection) as captured:
        assert unread_shown(agent_client) == 2
    assert not any("cards_notification" in q["sql"] for q in captured)

    services.notifications_queue(card_request=inbox, template="rejected")
    assert unread_shown(agent_client) == 3
    agent_client.post(f"/messages/{in_app(provider_agent).first().pk}/open/")
    assert unread_shown(agent_client) == 2
    agent_client.post("/messages/read/")
    assert unread_shown(agent_client) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_count_made_before_a_message_commits_is_not_kept_after_it(
    provider_agent, inbox, kept_counts
):
    assert unread_in_app_count(provider_agent) == 2
    with transaction.atomic():
        services.notifications_queue(card_request=inbox, template="rejected")
        # A page drawn meanwhile, elsewhere, still counts the messages as they were.
        assert kept_for_inbox(provider_agent.pk, "unread", lambda: 2) == 2
    assert unread_in_app_count(provider_agent) == 3


def test_the_unread_count_is_counted_when_the_cache_fails(
    agent_client, inbox, kept_counts, monkeypatch
):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("get", "add", "set", "set_many", "delete_many"):
        monkeypatch.setattr(cache, name, down)
    assert unread_shown(agent_client) == 2
    agent_client.post("/messages/read/")
    assert unread_shown(agent_client) == 0


@pytest.mark.parametrize("kept", [False, True], ids=["counted", "kept"])
def test_messages_about_a_request_out_of_reach_are_not_counted_or_marked(
    request, client, specialist, provider_agent, asked, kept
):
    if kept:
        request.getfixturevalue("kept_counts")
    services.card_request_give_info(
        actor=provider_agent, card_request=asked, answer="TM"
    )
    client.force_login(specialist)
    assert unread_shown(client, "/queue/") == 1

    # The request goes to the hospital office, which the specialist does not work.
    CardRequest.objects.filter(pk=asked.pk).update(
        office=asked.house.offices.get(kind="hospital")
    )
    if kept:  # shown as it was for UNREAD_COUNT_SECONDS at most
        assert unread_shown(client, "/queue/") == 1
        inbox_versions_bump(specialist.pk)
    assert unread_shown(client, "/queue/") == 0
    client.post("/messages/read/")
    assert in_app(specialist).get().read_at is None
