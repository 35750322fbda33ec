"""The specialist queue pages: who may open them, what they list and how, the
polled rows (304 while nothing changed), and the actions on a request's page."""

import re
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards import services
from cards.forms.queue import QueueFilterForm
from cards.models import (
    Event,
    EventKind,
    Kind,
    Notification,
    Outcome,
    Priority,
    Source,
    Status,
)
from cards.services.versions import queue_version_of
from cards.templatetags import queue_tags
from providers.models import Category
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import (
    AgentFactory,
    ProviderFactory,
    SpecialistFactory,
    house,
)

CID = "80642000350012345678"
MASKED = "•" * 16 + "5678"


def hospital_request(**kwargs):
    agent = AgentFactory(provider=ProviderFactory(category=Category.SPT))
    return CardRequestFactory(filed_by=agent, priority=Priority.URGENT, **kwargs)


def page(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def card_request(provider_agent):
    return CardRequestFactory(filed_by=provider_agent, identifier=CID)


# Who may open what -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/queue/", "/queue/rows/", "/queue/TM-2611-00001/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_anonymous_actions_are_sent_to_sign_in(client, card_request):
    response = client.post(f"/queue/{card_request.reference}/claim/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
    card_request.refresh_from_db()
    assert card_request.status == Status.NEW


@pytest.mark.parametrize("role", ["provider_agent", "operator"])
@pytest.mark.parametrize("url", ["/queue/", "/queue/rows/"])
def test_roles_that_do_not_work_queues_are_refused_the_list(
    request, client, db, role, url
):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url).status_code == 403


def test_a_provider_agent_gets_404_for_any_request_page_even_its_own(
    client, provider_agent, card_request
):
    client.force_login(provider_agent)
    assert client.get(f"/queue/{card_request.reference}/").status_code == 404
    response = client.post(f"/queue/{card_request.reference}/claim/")
    assert response.status_code == 404
    card_request.refresh_from_db()
    assert card_request.status == Status.NEW


@pytest.mark.parametrize(
    "role", ["specialist", "supervisor", "national_admin", "operator"]
)
def test_cas_staff_who_see_a_request_open_its_page(request, client, card_request, role):
    client.force_login(request.getfixturevalue(role))
    assert card_request.reference in page(client, f"/queue/{card_request.reference}/")


@pytest.mark.parametrize("role", ["cj_specialist", "hospital_specialist"])
def test_a_request_outside_the_scope_is_a_404(request, client, card_request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(f"/queue/{card_request.reference}/").status_code == 404
    assert client.post(f"/queue/{card_request.reference}/claim/").status_code == 404


def test_an_operator_reads_a_request_without_actions_or_the_full_cid(
    client, operator, card_request
):
    client.force_login(operator)
    html = page(client, f"/queue/{card_request.reference}/")
    assert MASKED in html.replace("</span><span>", "")
    assert CID not in html.replace("</span><span>", "")
    assert "/claim/" not in html
    assert "resolve-form" not in html


def test_action_urls_refuse_get(client, specialist, card_request):
    client.force_login(specialist)
    assert client.get(f"/queue/{card_request.reference}/claim/").status_code == 405


# The list --------------------------------------------------------------------------


def test_a_specialist_sees_the_open_work_of_their_offices_most_urgent_first(
    client, specialist, cj_specialist
):
    now = timezone.now()
    late = CardRequestFactory(due_at=now + timedelta(hours=3))
    soon = CardRequestFactory(due_at=now + timedelta(hours=1))
    needs_info = CardRequestFactory(status=Status.NEEDS_INFO)
    resolved = CardRequestFactory(status=Status.RESOLVED)
    hospital = hospital_request()
    elsewhere = CardRequestFactory(house=house("CJ"), reference="CJ-2611-00001")
    client.force_login(specialist)

    html = page(client, "/queue/")

    shown = [soon.reference, late.reference, needs_info.reference]
    positions = [html.index(f'id="row-{ref}"') for ref in shown]
    assert positions == sorted(positions)
    for hidden in (resolved, hospital, elsewhere):
        assert f'id="row-{hidden.reference}"' not in html


def test_a_supervisor_sees_every_office_urgent_first_with_tabs(client, supervisor):
    normal = CardRequestFactory(due_at=timezone.now() + timedelta(minutes=10))
    urgent = hospital_request(due_at=timezone.now() + timedelta(hours=5))
    client.force_login(supervisor)

    html = page(client, "/queue/")

    assert html.index(f"row-{urgent.reference}") < html.index(f"row-{normal.reference}")
    assert 'id="tab-office-all"' in html
    assert 'id="tab-office-hospital"' in html
    assert "Urgent" in html


def test_a_specialist_of_one_office_gets_no_office_filter(client, specialist):
    client.force_login(specialist)
    html = page(client, "/queue/")
    assert 'name="office"' not in html
    assert 'name="house"' not in html


def test_the_status_filter_reaches_finished_requests(client, specialist):
    resolved = CardRequestFactory(status=Status.RESOLVED)
    rejected = CardRequestFactory(status=Status.REJECTED)
    client.force_login(specialist)
    html = page(client, "/queue/?status=resolved")
    assert f"row-{resolved.reference}" in html
    assert f"row-{rejected.reference}" not in html


def test_transferred_away_requests_show_only_under_their_own_filter(
    client, specialist, supervisor, card_request
):
    services.card_request_transfer(
        actor=supervisor, card_request=card_request, house=house("CJ")
    )
    client.force_login(specialist)

    assert f"row-{card_request.reference}" not in page(client, "/queue/")
    html = page(client, "/queue/?status=transferred")
    assert f"row-{card_request.reference}" in html
    assert "CAS Cluj" in html
    assert f"claim-{card_request.reference}" not in html

    detail = page(client, f"/queue/{card_request.reference}/")
    assert "resolve-form" not in detail
    assert "/claim/" not in detail
    assert "CJAS Timiș → CAS Cluj" in detail


def test_filters_kind_age_and_assignee(client, specialist, other_specialist):
    old = CardRequestFactory()
    CardRequestFactory._meta.model.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    invalid = CardRequestFactory(kind=Kind.INVALID)
    mine = CardRequestFactory()
    theirs = CardRequestFactory()
    services.card_request_claim(actor=specialist, card_request=mine)
    services.card_request_claim(actor=other_specialist, card_request=theirs)
    client.force_login(specialist)

    def listed(query):
        html = page(client, f"/queue/?{query}")
        return {
            r.reference
            for r in (old, invalid, mine, theirs)
            if f"row-{r.reference}" in html
        }

    assert listed("kind=invalid") == {invalid.reference}
    assert listed("age=1h") == {old.reference}
    assert listed("assignee=mine") == {mine.reference}
    assert listed("assignee=none") == {old.reference, invalid.reference}
    assert listed("") == {
        old.reference,
        invalid.reference,
        mine.reference,
        theirs.reference,
    }


def test_bad_filter_values_fall_back_to_the_defaults(client, specialist, card_request):
    client.force_login(specialist)
    html = page(client, "/queue/?status=bogus&age=7y&assignee=x&kind=&page=zz")
    assert f"row-{card_request.reference}" in html
    assert "errorlist" not in html
    assert '<option value="" selected>Open work</option>' in html


def test_an_admin_filters_by_house(client, national_admin, card_request):
    elsewhere = CardRequestFactory(house=house("CJ"), reference="CJ-2611-00001")
    client.force_login(national_admin)

    everything = page(client, "/queue/")
    assert f"row-{card_request.reference}" in everything
    assert f"row-{elsewhere.reference}" in everything
    assert "All houses" in everything

    cluj = page(client, "/queue/?house=CJ")
    assert f"row-{elsewhere.reference}" in cluj
    assert f"row-{card_request.reference}" not in cluj
    assert '<option value="CJ" selected>CAS Cluj (CJ)</option>' in cluj


def test_counts_per_office_and_status_with_overdue(client, supervisor, specialist):
    past = timezone.now() - timedelta(minutes=5)
    CardRequestFactory(due_at=past)
    claimed = CardRequestFactory()
    services.card_request_claim(actor=specialist, card_request=claimed)
    hospital_request()
    CardRequestFactory(status=Status.CLOSED)
    client.force_login(supervisor)

    response = client.get("/queue/")
    summary = response.context["summary"]

    tabs = {tab["id"]: (tab["total"], tab["overdue"]) for tab in summary["tabs"]}
    assert tabs == {
        "all": (3, 1),
        "primary": (2, 1),
        "clinical": (0, 0),
        "hospital": (1, 0),
    }
    statuses = {s["id"]: s["total"] for s in summary["statuses"]}
    assert statuses == {"all": 3, "new": 2, "in_progress": 1, "needs_info": 0}
    office = client.get("/queue/?office=primary").context["summary"]
    assert {s["id"]: s["total"] for s in office["statuses"]}["new"] == 1


def test_sla_badges_say_overdue_due_soon_and_due_later(client, specialist):
    now = timezone.now()
    CardRequestFactory(due_at=now - timedelta(minutes=12, seconds=30))
    CardRequestFactory(due_at=now + timedelta(minutes=20, seconds=30))
    CardRequestFactory(due_at=now + timedelta(hours=2, minutes=5, seconds=30))
    client.force_login(specialist)

    html = page(client, "/queue/")

    assert 'class="badge badge-overdue"' in html
    assert "overdue by 12 min" in html
    assert 'class="badge badge-due"' in html
    assert "due in 20 min" in html
    assert "due in 2 h 5 min" in html


def within_one_minute():
    """Wait for a new minute if this one is about to end: rows are drawn, and
    their ETag changes, once a minute."""
    now = timezone.now()
    if now.second >= 55:
        time.sleep(60 - now.second - now.microsecond / 1e6 + 0.05)


def row_of(html: str, reference: str) -> str:
    start = html.index(f'<tr id="row-{reference}"')
    return html[start : html.index("</tr>", start)]


CLAIM_FORM = re.compile(
    r'<form method="post" action="([^"]+)" hx-post="([^"]+)">'
    r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">'
)


def test_a_new_rows_claim_button_claims_it_with_the_pages_token(
    specialist, card_request
):
    desk = Client(enforce_csrf_checks=True)
    desk.force_login(specialist)
    row = row_of(page(desk, "/queue/"), card_request.reference)
    action, htmx_action, token = CLAIM_FORM.search(row).groups()
    assert action == htmx_action == f"/queue/{card_request.reference}/claim/"
    assert f'id="claim-{card_request.reference}"' in row

    assert desk.post(action, {"csrfmiddlewaretoken": token}).status_code == 302
    card_request.refresh_from_db()
    assert card_request.status == Status.IN_PROGRESS
    assert card_request.assignee == specialist
    # Claimed: no button on its row any more.
    row = row_of(page(desk, "/queue/"), card_request.reference)
    assert "claim-" not in row
    assert "<form" not in row


def test_a_row_is_drawn_once_a_minute_for_every_reader(
    client, specialist, other_specialist, card_request, monkeypatch
):
    drawn = []
    duration = queue_tags.duration
    monkeypatch.setattr(
        queue_tags, "duration", lambda delta: drawn.append(delta) or duration(delta)
    )
    within_one_minute()
    client.force_login(specialist)
    first = row_of(page(client, "/queue/"), card_request.reference)
    assert drawn  # its due time (and its age, after a minute)
    once = len(drawn)

    client.force_login(other_specialist)
    second = row_of(page(client, "/queue/"), card_request.reference)
    assert len(drawn) == once  # not drawn again
    # Each reader's own claim form (and token) all the same.
    assert first != second
    assert f'id="claim-{card_request.reference}"' in second


def test_a_row_is_drawn_again_as_soon_as_its_request_changes(
    client, specialist, other_specialist, card_request
):
    within_one_minute()
    client.force_login(specialist)
    before = row_of(page(client, "/queue/"), card_request.reference)
    assert ">New<" in before

    services.card_request_claim(actor=other_specialist, card_request=card_request)

    theirs = row_of(page(client, "/queue/"), card_request.reference)
    assert ">In progress<" in theirs
    assert str(other_specialist) in theirs
    assert "You" not in theirs
    client.force_login(other_specialist)
    mine = row_of(page(client, "/queue/"), card_request.reference)
    assert ">You<" in mine


def test_a_row_is_drawn_in_its_readers_language(client, specialist, card_request):
    within_one_minute()
    client.force_login(specialist)
    english = row_of(page(client, "/queue/"), card_request.reference)
    romanian = row_of(
        page(client, "/queue/", HTTP_ACCEPT_LANGUAGE="ro"), card_request.reference
    )
    assert ">New<" in english
    assert ">Nouă<" in romanian


def filters_of(html: str) -> str:
    start = html.index('<form id="queue-filters"')
    return html[start : html.index("</form>", start)]


def test_the_filters_are_drawn_once_for_every_reader_who_sees_the_same_ones(
    client, specialist, other_specialist, supervisor, monkeypatch
):
    drawn = []
    iterate = QueueFilterForm.__iter__
    monkeypatch.setattr(
        QueueFilterForm, "__iter__", lambda form: drawn.append(1) or iterate(form)
    )
    client.force_login(specialist)
    first = filters_of(page(client, "/queue/?status=new&age=1h"))
    assert len(drawn) == 1
    assert '<option value="new" selected>' in first
    assert '<option value="1h" selected>' in first

    client.force_login(other_specialist)
    # The same filters, spelt in another order and with an empty one.
    assert filters_of(page(client, "/queue/?age=1h&kind=&status=new")) == first
    assert len(drawn) == 1

    other = filters_of(page(client, "/queue/?status=needs_info"))
    assert '<option value="needs_info" selected>' in other
    romanian = filters_of(
        page(client, "/queue/?status=new&age=1h", HTTP_ACCEPT_LANGUAGE="ro")
    )
    assert "Stare" in romanian
    # A supervisor works every office: theirs has the office filter too.
    client.force_login(supervisor)
    theirs = filters_of(page(client, "/queue/?status=new&age=1h"))
    assert 'name="office"' in theirs
    assert 'name="office"' not in first
    assert len(drawn) == 4


def test_the_list_is_capped_with_a_link_to_the_next_page(
    client, specialist, settings, monkeypatch
):
    monkeypatch.setattr("cards.views.queue.PAGE_SIZE", 2)
    requests = CardRequestFactory.create_batch(3)
    client.force_login(specialist)

    first = page(client, "/queue/?kind=blocked")
    assert "Showing 1–2 of 3 requests" in first
    assert 'href="?kind=blocked&amp;page=2"' in first
    second = page(client, "/queue/?kind=blocked&page=2")
    assert f"row-{requests[2].reference}" in second
    assert f"row-{requests[0].reference}" not in second


def test_a_kept_page_is_the_page_its_readers_ask_for(
    client, specialist, other_specialist, settings, monkeypatch
):
    settings.QUEUE_VERSIONS = True
    monkeypatch.setattr("cards.views.queue.PAGE_SIZE", 2)
    requests = CardRequestFactory.create_batch(5)
    within_one_minute()
    client.force_login(specialist)
    # A page number that is no page reads as the first, as the polling's does.
    nonsense = page(client, "/queue/rows/?page=0")
    assert f"row-{requests[0].reference}" in nonsense
    last = page(client, "/queue/rows/?page=9")
    assert f"row-{requests[4].reference}" in last

    client.force_login(other_specialist)
    first = page(client, "/queue/rows/")
    assert f"row-{requests[0].reference}" in first
    assert f"row-{requests[4].reference}" not in first
    assert "Showing 1–2 of 5 requests" in first


@pytest.mark.parametrize(
    "query, listed",
    [
        ("", 5),  # open work: not the closed one
        ("?status=new", 4),
        ("?status=in_progress", 1),
        ("?office=primary", 4),
        ("?office=hospital&status=new", 1),
        ("?office=hospital&status=needs_info", 0),
        ("?status=closed", 1),
        ("?kind=invalid", 1),
        ("?assignee=mine", 1),
        ("?assignee=none&office=primary", 3),
    ],
)
def test_the_list_says_how_many_it_holds_under_any_filter(
    client, supervisor, specialist, monkeypatch, query, listed
):
    monkeypatch.setattr("cards.views.queue.PAGE_SIZE", 2)
    CardRequestFactory.create_batch(2)
    CardRequestFactory(kind=Kind.INVALID)
    services.card_request_claim(actor=supervisor, card_request=CardRequestFactory())
    hospital_request()
    CardRequestFactory(status=Status.CLOSED)
    client.force_login(supervisor)

    html = page(client, "/queue/" + query)

    shown = min(listed, 2)
    if listed > 1:
        assert f"Showing 1–{shown} of {listed} requests" in html
    elif listed == 1:
        assert "1 request" in html
    assert html.count('id="row-') == shown


@pytest.mark.parametrize("url", ["/queue/", "/queue/rows/"])
def test_the_list_runs_the_same_queries_for_3_or_30_rows(
    client, supervisor, specialist, url
):
    client.force_login(supervisor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    CardRequestFactory.create_batch(2)
    services.card_request_claim(actor=specialist, card_request=CardRequestFactory())
    few = queries()
    CardRequestFactory.create_batch(20)
    hospital_request()
    for card_request in CardRequestFactory.create_batch(6):
        services.card_request_claim(actor=specialist, card_request=card_request)
    assert queries() == few


def test_a_specialists_list_runs_a_bounded_number_of_queries(
    client, specialist, django_assert_max_num_queries
):
    CardRequestFactory.create_batch(30)
    client.force_login(specialist)
    with django_assert_max_num_queries(12):
        client.get("/queue/")


# The polled rows -------------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["fingerprint", "versions"])
def queue_versions(request, settings):
    """The polling told by the database's fingerprint, and by the queue versions
    in the cache (on wherever the cache is shared)."""
    settings.QUEUE_VERSIONS = request.param
    return request.param


def test_unchanged_rows_answer_304_from_one_cheap_check(
    client, specialist, card_request, queue_versions
):
    client.force_login(specialist)
    first = client.get("/queue/rows/")
    assert first.status_code == 200
    assert first["Cache-Control"] == "no-cache, private"
    etag = first["ETag"]

    with CaptureQueriesContext(connection) as captured:
        again = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["Cache-Control"] == "no-cache, private"
    counts = sum("COUNT(" in q["sql"].upper() for q in captured)
    if queue_versions:
        # The session, and the user with their authentication device (the
        # session is verified with a code); the requests are not read at all.
        assert len(captured) <= 2
        assert counts == 0
        assert not any("cards_cardrequest" in q["sql"] for q in captured)
    else:
        # ... and their offices and the fingerprint: nothing per row.
        assert len(captured) <= 4
        assert counts == 1


def test_the_page_hands_the_polling_its_etag(client, specialist, card_request):
    client.force_login(specialist)
    html = page(client, "/queue/")
    etag = client.get("/queue/rows/")["ETag"]
    assert f'data-etag="{etag.replace(chr(34), "&quot;")}"' in html


def test_a_change_while_the_page_is_drawn_reaches_the_polling(
    client, settings, specialist, card_request, monkeypatch
):
    """The version moves on between the page's list and its ETag: the ETag must
    stand for the list shown, so that the next poll brings the change."""
    settings.QUEUE_VERSIONS = True
    versions = iter(["drawn", "changed", "changed"])
    for module in ("cards.views.queue", "cards.services.versions"):
        monkeypatch.setattr(
            f"{module}.queue_version_of", lambda house_id: next(versions)
        )
    client.force_login(specialist)
    etag = re.search(r'data-etag="([^"]+)"', page(client, "/queue/"))[1]

    poll = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag.replace("&quot;", '"'))

    assert poll.status_code == 200


def test_rows_change_when_a_request_is_filed_claimed_or_filtered(
    client, specialist, other_specialist, provider_agent, card_request, queue_versions
):
    client.force_login(specialist)
    etag = client.get("/queue/rows/")["ETag"]

    new = CardRequestFactory(filed_by=provider_agent)
    filed = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag)
    assert filed.status_code == 200
    assert f"row-{new.reference}" in filed.content.decode()

    services.card_request_claim(actor=other_specialist, card_request=new)
    claimed = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=filed["ETag"])
    assert claimed.status_code == 200
    assert f"claim-{new.reference}" not in claimed.content.decode()

    filtered = client.get(
        "/queue/rows/?kind=invalid", HTTP_IF_NONE_MATCH=claimed["ETag"]
    )
    assert filtered.status_code == 200


def test_rows_change_in_both_houses_when_a_request_is_transferred(
    client, specialist, cj_specialist, cj, card_request, queue_versions
):
    client.force_login(specialist)
    etag = client.get("/queue/rows/")["ETag"]
    receiving = Client()
    receiving.force_login(cj_specialist)
    receiving_etag = receiving.get("/queue/rows/")["ETag"]

    services.card_request_transfer(
        actor=specialist, card_request=card_request, house=cj
    )

    moved = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200
    assert f"row-{card_request.reference}" not in moved.content.decode()
    transferred = client.get(
        "/queue/rows/?status=transferred", HTTP_IF_NONE_MATCH=moved["ETag"]
    )
    assert f"row-{card_request.reference}" in transferred.content.decode()
    arrived = receiving.get("/queue/rows/", HTTP_IF_NONE_MATCH=receiving_etag)
    assert arrived.status_code == 200
    assert f"row-{card_request.reference}" in arrived.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_filing_replaces_its_houses_and_providers_versions_once_it_commits(
    settings, monkeypatch
):
    settings.QUEUE_VERSIONS = True
    agent, house_tm = AgentFactory(), house("TM")
    written = []
    set_many = cache.set_many

    def noted(data, **kw):
        written.append((set(data), connection.in_atomic_block))
        return set_many(data, **kw)

    monkeypatch.setattr(cache, "set_many", noted)
    services.card_request_file(
        actor=agent,
        source=Source.WEB,
        house=house_tm,
        kind="blocked",
        cid="80642000350012345678",
    )
    versions = {
        f"queue-version:{house_tm.pk}",
        f"provider-version:{agent.provider_id}",
    }
    assert written == [(versions, False)]  # once, after the commit


def test_another_houses_requests_leave_the_rows_unchanged(
    client, specialist, cj_specialist, card_request, queue_versions
):
    elsewhere = CardRequestFactory(house=cj_specialist.house)
    client.force_login(specialist)
    etag = client.get("/queue/rows/")["ETag"]

    services.card_request_claim(actor=cj_specialist, card_request=elsewhere)
    CardRequestFactory(house=cj_specialist.house)

    assert client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def requests_read(captured) -> int:
    return sum("cards_cardrequest" in q["sql"] for q in captured)


def test_readers_of_the_same_queue_share_one_read_of_its_list(
    client, settings, specialist, other_specialist, provider_agent, card_request
):
    settings.QUEUE_VERSIONS = True
    within_one_minute()
    client.force_login(specialist)
    first = page(client, "/queue/rows/")
    assert f"row-{card_request.reference}" in first

    client.force_login(other_specialist)
    with CaptureQueriesContext(connection) as captured:
        second = page(client, "/queue/rows/")
    assert requests_read(captured) == 0
    assert f"row-{card_request.reference}" in second
    assert "1 request" in second

    # A request filed in the house is listed on the next read, counted too.
    new = CardRequestFactory(filed_by=provider_agent)
    with CaptureQueriesContext(connection) as captured:
        third = page(client, "/queue/rows/")
    assert requests_read(captured) == 2  # the counts and the list
    assert f"row-{new.reference}" in third
    assert "2 requests" in third


def test_a_kept_list_goes_only_to_readers_of_the_same_scope(
    client, settings, specialist, hospital_specialist, supervisor, card_request
):
    settings.QUEUE_VERSIONS = True
    urgent = hospital_request()
    within_one_minute()
    client.force_login(specialist)
    primary = page(client, "/queue/rows/")
    assert card_request.reference in primary
    assert urgent.reference not in primary

    client.force_login(hospital_specialist)
    hospital = page(client, "/queue/rows/")
    assert urgent.reference in hospital
    assert card_request.reference not in hospital

    client.force_login(supervisor)
    everything = page(client, "/queue/rows/")
    assert urgent.reference in everything
    assert card_request.reference in everything

    # A specialist given another office sees its work at once.
    specialist.offices.add(urgent.office)
    client.force_login(specialist)
    both = page(client, "/queue/rows/")
    assert urgent.reference in both
    assert card_request.reference in both


def offices_read(captured) -> int:
    """Reads of a person's offices (not the subqueries that scope requests)."""
    return sum(
        q["sql"].startswith('SELECT ("providers_person_offices"."person_id")')
        for q in captured
    )


def test_a_specialists_offices_are_read_once_until_they_change(
    client, settings, specialist, card_request
):
    settings.QUEUE_VERSIONS = True
    client.force_login(specialist)
    page(client, "/queue/")
    with CaptureQueriesContext(connection) as captured:
        assert card_request.reference in page(client, "/queue/")
    assert offices_read(captured) == 0

    # Taken out of the request's office: out of reach on the next request.
    specialist.offices.remove(card_request.office)
    assert client.post(f"/queue/{card_request.reference}/claim/").status_code == 404
    assert card_request.reference not in page(client, "/queue/")
    card_request.refresh_from_db()
    assert card_request.status == Status.NEW


def test_the_offices_version_moves_with_any_office_change(specialist, settings):
    from cards.services.versions import OFFICES_KEY

    settings.QUEUE_VERSIONS = True
    office = specialist.offices.get()
    seen = set()

    def moved() -> bool:
        version = cache.get(OFFICES_KEY)
        new = version is not None and version not in seen
        seen.add(version)
        return new

    cache.set(OFFICES_KEY, "first")
    moved()
    office.specialists.remove(specialist)  # from the office's side
    assert moved()
    specialist.offices.add(office)
    assert moved()
    office.sla_minutes += 10
    office.save()
    assert moved()
    assert not moved()


def test_a_kept_list_of_my_work_is_the_readers_own(
    client, settings, specialist, other_specialist, card_request
):
    settings.QUEUE_VERSIONS = True
    services.card_request_claim(actor=specialist, card_request=card_request)
    within_one_minute()
    client.force_login(specialist)
    assert card_request.reference in page(client, "/queue/rows/?assignee=mine")
    client.force_login(other_specialist)
    assert card_request.reference not in page(client, "/queue/rows/?assignee=mine")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_version_is_replaced_once_the_change_commits(settings):
    """A reader before the commit keeps the version it had; one after gets a new
    one. Under a test case's transaction, which never commits, at once."""
    settings.QUEUE_VERSIONS = True
    specialist, card_request = SpecialistFactory(), CardRequestFactory()
    house_id = card_request.house_id
    before = queue_version_of(house_id)
    with transaction.atomic():
        services.card_request_claim(actor=specialist, card_request=card_request)
        assert queue_version_of(house_id) == before
    assert queue_version_of(house_id) != before


def test_under_a_test_cases_transaction_a_version_is_replaced_at_once(
    settings, specialist, card_request
):
    settings.QUEUE_VERSIONS = True
    before = queue_version_of(card_request.house_id)
    services.card_request_claim(actor=specialist, card_request=card_request)
    assert queue_version_of(card_request.house_id) != before


def test_the_polling_falls_back_to_the_database_when_the_cache_fails(
    client, settings, specialist, provider_agent, card_request, monkeypatch
):
    settings.QUEUE_VERSIONS = True
    client.force_login(specialist)
    etag = client.get("/queue/rows/")["ETag"]

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for command in ("get", "get_many", "add", "set_many", "delete_many"):
        monkeypatch.setattr(cache, command, down)
    # The version cannot be read: the fingerprint answers, and a change made
    # while the cache is down is seen.
    fallback = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag)
    assert fallback.status_code == 200
    assert (
        client.get("/queue/rows/", HTTP_IF_NONE_MATCH=fallback["ETag"]).status_code
        == 304
    )
    new = CardRequestFactory(filed_by=provider_agent)
    filed = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=fallback["ETag"])
    assert f"row-{new.reference}" in filed.content.decode()


def test_rows_announce_requests_new_since_the_last_render(
    client, specialist, provider_agent, card_request
):
    client.force_login(specialist)
    since = timezone.localtime().isoformat()
    new = CardRequestFactory(filed_by=provider_agent)

    html = page(client, "/queue/rows/", data={"since": since})

    assert "1 new request" in html
    new_row = f'id="row-{new.reference}" data-reference="{new.reference}"'
    old_row = (
        f'id="row-{card_request.reference}" data-reference="{card_request.reference}"'
    )
    assert f'<tr {new_row} class="is-fresh">' in html
    assert f"<tr {old_row}>" in html
    assert 'id="queue-news" hx-swap-oob="innerHTML"' in html
    assert 'id="queue-summary" hx-swap-oob="true"' in html


def test_a_filter_change_updates_the_address_bar(client, specialist):
    client.force_login(specialist)
    response = client.get(
        "/queue/rows/",
        data={"kind": "invalid", "status": "", "age": "", "assignee": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER="queue-filters",
    )
    assert response["HX-Push-Url"] == "/queue/?kind=invalid"
    polled = client.get(
        "/queue/rows/",
        {"kind": "invalid"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER="queue-list",
    )
    assert "HX-Push-Url" not in polled


# A request's page and its actions --------------------------------------------------


def test_claim_in_one_click_opens_the_request_with_the_full_cid(
    client, specialist, card_request
):
    client.force_login(specialist)
    response = client.post(f"/queue/{card_request.reference}/claim/", follow=True)

    assert response.redirect_chain == [(f"/queue/{card_request.reference}/", 302)]
    html = response.content.decode()
    assert f"You are working on {card_request.reference}." in html
    assert f'data-copy="{CID}"' in html
    assert "<span>8064</span><span>2000</span>" in html
    assert 'id="resolve-form"' in html
    card_request.refresh_from_db()
    assert card_request.assignee == specialist
    assert card_request.status == Status.IN_PROGRESS


def test_claim_from_htmx_redirects_the_browser(client, specialist, card_request):
    client.force_login(specialist)
    response = client.post(
        f"/queue/{card_request.reference}/claim/", HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == f"/queue/{card_request.reference}/"


def test_a_lost_claim_names_the_winner(
    client, specialist, other_specialist, card_request
):
    services.card_request_claim(actor=other_specialist, card_request=card_request)
    client.force_login(specialist)

    response = client.post(f"/queue/{card_request.reference}/claim/", follow=True)

    html = response.content.decode()
    assert f"Already claimed by {other_specialist}." in html
    assert f"{other_specialist} is working on this request." in html
    assert CID not in html
    card_request.refresh_from_db()
    assert card_request.assignee == other_specialist


def test_the_resolve_form_preselects_the_outcome_of_the_kind(
    client, specialist, provider_agent
):
    invalid = CardRequestFactory(
        filed_by=provider_agent, kind=Kind.INVALID, identifier="RO1A2B3C4D5E6F70"
    )
    services.card_request_claim(actor=specialist, card_request=invalid)
    client.force_login(specialist)
    html = page(client, f"/queue/{invalid.reference}/")
    assert '<option value="reactivated" selected>' in html
    assert "Card number" in html


def test_resolve_tells_the_provider(client, specialist, card_request):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(specialist)

    response = client.post(
        f"/queue/{card_request.reference}/resolve/",
        {"resolve-outcome": "unblocked", "resolve-note": "Deblocat."},
        follow=True,
    )

    assert (
        "is resolved: the provider is told what to do next."
        in response.content.decode()
    )
    card_request.refresh_from_db()
    assert card_request.status == Status.RESOLVED
    assert card_request.outcome == Outcome.UNBLOCKED
    assert Notification.objects.filter(card_request=card_request).exists()


def test_a_pin_in_the_note_is_refused_and_the_text_kept(
    client, specialist, card_request
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(specialist)

    response = client.post(
        f"/queue/{card_request.reference}/resolve/",
        {"resolve-outcome": "unblocked", "resolve-note": "PIN 4821 was typed"},
    )
    html = response.content.decode()

    assert "Remove the PIN from the text" in html
    assert "PIN 4821 was typed</textarea>" in html
    assert 'aria-invalid="true"' in html
    card_request.refresh_from_db()
    assert card_request.status == Status.IN_PROGRESS


def test_the_wrong_outcome_for_the_kind_is_a_field_error(
    client, specialist, card_request
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(specialist)
    response = client.post(
        f"/queue/{card_request.reference}/resolve/", {"resolve-outcome": "reactivated"}
    )
    assert response.status_code == 200
    assert "A blocked card is resolved as unblocked." in response.content.decode()


def test_reject_needs_a_reason(client, specialist, card_request):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(specialist)
    url = f"/queue/{card_request.reference}/reject/"

    html = client.post(url, {"reject-reason": "  "}).content.decode()
    assert "Give the reason for rejecting." in html
    assert '<details class="card queue-more" open>' in html
    card_request.refresh_from_db()
    assert card_request.status == Status.IN_PROGRESS

    client.post(url, {"reject-reason": "Not one of our cards."})
    card_request.refresh_from_db()
    assert card_request.status == Status.REJECTED


def test_transfer_offers_the_other_houses_and_moves_it(
    client, specialist, card_request
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(specialist)
    cluj = house("CJ")
    timis = house("TM")

    html = page(client, f"/queue/{card_request.reference}/")
    assert f'<option value="{cluj.pk}">CAS Cluj (CJ)</option>' in html
    assert f'<option value="{timis.pk}">' not in html

    refused = client.post(
        f"/queue/{card_request.reference}/transfer/", {"transfer-house": timis.pk}
    )
    assert "Choose one of the houses listed." in refused.content.decode()

    response = client.post(
        f"/queue/{card_request.reference}/transfer/",
        {"transfer-house": cluj.pk, "transfer-note": "Card issued in Cluj."},
        follow=True,
    )
    assert "is now in the queue of CAS Cluj." in response.content.decode()
    card_request.refresh_from_db()
    assert card_request.house == cluj
    assert card_request.status == Status.NEW


def test_ask_info_sends_the_question(client, specialist, card_request):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(specialist)
    url = f"/queue/{card_request.reference}/ask-info/"

    assert "Write the question." in client.post(url, {}).content.decode()

    client.post(url, {"ask_info-question": "Which reader error now?"})
    card_request.refresh_from_db()
    assert card_request.status == Status.NEEDS_INFO
    assert Event.objects.filter(
        card_request=card_request, kind=EventKind.INFO_REQUESTED
    ).exists()


def test_unclaim_puts_it_back(client, specialist, card_request):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(specialist)
    response = client.post(f"/queue/{card_request.reference}/unclaim/", follow=True)
    assert "is back in the queue, unassigned." in response.content.decode()
    card_request.refresh_from_db()
    assert card_request.status == Status.NEW
    assert card_request.assignee is None


def test_another_specialists_request_cannot_be_resolved_here(
    client, specialist, other_specialist, card_request
):
    services.card_request_claim(actor=other_specialist, card_request=card_request)
    client.force_login(specialist)

    html = page(client, f"/queue/{card_request.reference}/")
    assert "resolve-form" not in html

    response = client.post(
        f"/queue/{card_request.reference}/resolve/",
        {"resolve-outcome": "unblocked"},
        follow=True,
    )
    assert "Your role does not allow this action here." in response.content.decode()
    card_request.refresh_from_db()
    assert card_request.status == Status.IN_PROGRESS


def test_a_transition_the_status_forbids_is_a_message(client, specialist, card_request):
    client.force_login(specialist)
    response = client.post(
        f"/queue/{card_request.reference}/resolve/",
        {"resolve-outcome": "unblocked"},
        follow=True,
    )
    assert "it cannot be resolved now" in response.content.decode()


def test_a_supervisor_may_act_on_a_specialists_claim(
    client, supervisor, specialist, card_request
):
    services.card_request_claim(actor=specialist, card_request=card_request)
    client.force_login(supervisor)
    html = page(client, f"/queue/{card_request.reference}/")
    assert 'id="resolve-form"' in html
    assert CID not in html  # the full number stays with the assignee


def test_the_detail_shows_the_provider_and_the_timeline(
    client, supervisor, provider_agent
):
    card_request, _ = services.card_request_file(
        actor=provider_agent,
        source="web",
        house=None,
        error_code=15,
        cid=CID,
        note="Pacient în așteptare.",
    )
    client.force_login(supervisor)
    html = page(client, f"/queue/{card_request.reference}/")
    provider = provider_agent.provider
    assert provider.name in html
    assert provider.fiscal_code in html
    assert "Pacient în așteptare." in html
    assert "Filed" in html and "Web form" in html


def test_the_pages_are_in_romanian_by_default(
    client, specialist, card_request, settings
):
    settings.LANGUAGE_CODE = "ro"
    client.force_login(specialist)
    assert 'lang="ro"' in page(client, "/queue/")
    assert 'lang="ro"' in page(client, f"/queue/{card_request.reference}/")
