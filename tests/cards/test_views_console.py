"""The phone operator console: lookup, the call form that can file a request,
today's calls and other houses' numbers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.models import Call, CallOutcome, CardRequest, Source, Status
from providers.models import Category
from tests.cards.factories import CallFactory, CardRequestFactory
from tests.providers.factories import (
    LocationFactory,
    OperatorFactory,
    ProviderFactory,
    house,
)

CID = "80642000350012345678"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def caller(db):
    """A Timiș family practice that phones the operator."""
    return ProviderFactory(
        name="Cabinet Medical Dr. Vlase",
        contract_number="MF-1234",
        phone="+40256201234",
    )


def page(client, person, url="/console/", **kwargs):
    client.force_login(person)
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def post_call(client, person, **fields):
    client.force_login(person)
    data = {
        "caller_phone": "0256 201 234",
        "reason": "blocked_card",
        "outcome": "answered",
        "started_at": (timezone.localtime() - timedelta(minutes=3)).strftime(
            "%Y-%m-%dT%H:%M:%S"
        ),
        **fields,
    }
    return client.post("/console/", data)


# Access -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/console/", "/console/lookup/?q=ab", "/console/houses/?house=CJ"]
)
def test_the_console_needs_a_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize("person", ["operator", "supervisor", "national_admin"])
def test_operators_supervisors_and_admins_open_the_console(client, db, request, person):
    html = page(client, request.getfixturevalue(person))
    assert "Phone console" in html
    assert 'id="call-form"' in html


@pytest.mark.parametrize("person", ["provider_agent", "specialist"])
def test_other_roles_are_refused_the_console(client, db, request, person):
    client.force_login(request.getfixturevalue(person))
    assert client.get("/console/").status_code == 403
    assert client.post("/console/", {"caller_phone": "0256201234"}).status_code == 403
    assert client.get("/console/houses/?house=CJ").status_code == 403
    assert not Call.objects.exists()


def test_a_provider_agent_cannot_look_providers_up(client, provider_agent):
    client.force_login(provider_agent)
    assert client.get("/console/lookup/?q=Cabinet").status_code == 403


def test_the_console_page_has_no_inline_script_or_style(client, operator):
    html = page(client, operator)
    assert "<script>" not in html
    assert " style=" not in html
    assert " onclick=" not in html
    assert "hx-on" not in html


# Lookup -------------------------------------------------------------------------


def test_the_lookup_shows_the_provider_its_house_category_and_office(
    client, operator, caller
):
    LocationFactory(provider=caller, phone="+40356300999")

    html = page(client, operator, "/console/lookup/?q=vlase", headers=HTMX)

    assert "Cabinet Medical Dr. Vlase" in html
    assert caller.fiscal_code in html
    assert "MF-1234" in html
    assert "0256 201 234" in html  # the provider's number, read out nationally
    assert "0356 300 999" in html  # a location's number
    assert "CJAS Timiș · Family medicine" in html
    assert "Primary care" in html
    assert 'href="tel:+40736203666"' in html  # the primary-care office's line
    assert f'data-provider="{caller.pk}"' in html
    assert f"/console/?provider={caller.pk}&amp;q=vlase" in html


@pytest.mark.parametrize("query", ["0256 201 234", "MF-1234", "Vlase"])
def test_the_lookup_finds_the_caller_by_phone_contract_or_name(
    client, operator, caller, query
):
    html = page(client, operator, "/console/lookup/", data={"q": query})
    assert "Cabinet Medical Dr. Vlase" in html


def test_the_lookup_finds_by_fiscal_code_prefix(client, operator, caller):
    html = page(
        client, operator, "/console/lookup/", data={"q": caller.fiscal_code[:5]}
    )
    assert "Cabinet Medical Dr. Vlase" in html


def test_the_lookup_says_when_nothing_matches_or_too_little_is_typed(
    client, operator, caller
):
    assert "No provider matches “zzzz”" in page(
        client, operator, "/console/lookup/?q=zzzz"
    )
    assert "Type at least 2 characters" in page(
        client, operator, "/console/lookup/?q=V"
    )


def test_the_lookup_also_works_without_scripts_on_the_console_page(
    client, operator, caller
):
    html = page(client, operator, "/console/?q=vlase")
    assert 'value="vlase"' in html
    assert f"/console/?provider={caller.pk}" in html


def test_a_lookup_costs_the_same_queries_for_one_or_many_results(
    client, operator, caller
):
    client.force_login(operator)
    with CaptureQueriesContext(connection) as one:
        client.get("/console/lookup/?q=vlase")
    for n in range(5):
        ProviderFactory(name=f"Cabinet Vlase {n}", category=Category.PARA)
    ProviderFactory(name="Cabinet Vlase Cluj", house=house("CJ"))
    with CaptureQueriesContext(connection) as many:
        html = client.get("/console/lookup/?q=vlase").content.decode()
    assert html.count("data-provider=") == 7
    assert len(many) == len(one)


def test_a_provider_chosen_without_scripts_is_preselected(client, operator, caller):
    html = page(client, operator, f"/console/?provider={caller.pk}")
    assert f'name="provider" value="{caller.pk}"' in html
    assert "Cabinet Medical Dr. Vlase" in html
    assert "Clear the provider" in html


def test_the_console_says_a_phone_number_is_no_proof(client, operator):
    html = page(client, operator)
    assert "A phone number only helps find the caller" in html
    assert "fiscal code and the contract number" in html


# Logging a call -----------------------------------------------------------------


def test_a_call_is_logged_on_the_operators_house(client, operator, caller):
    response = post_call(client, operator, provider=caller.pk, note="Întreba de card.")

    assert response.status_code == 302
    assert response.url == "/console/"
    call = Call.objects.get()
    assert call.house == operator.house
    assert call.operator == operator
    assert call.caller_phone == "+40256201234"
    assert call.provider == caller
    assert call.outcome == CallOutcome.ANSWERED
    assert call.ended_at is not None
    assert 170 <= call.duration_seconds <= 200
    html = client.get(response.url).content.decode()
    assert "Call logged." in html
    assert "Cabinet Medical Dr. Vlase" in html
    assert "0256 201 234" in html


def test_a_call_files_a_blocked_card_request_in_the_same_step(client, operator, caller):
    response = post_call(
        client,
        operator,
        provider=caller.pk,
        file_request="on",
        error_code="15",
        house="TM",
        cid="8064 2000 3500 1234 5678",
        request_note="Pacientul așteaptă.",
    )

    assert response.status_code == 302
    card_request = CardRequest.objects.get()
    assert card_request.kind == "blocked"
    assert card_request.identifier == CID
    assert card_request.source == Source.PHONE
    assert card_request.provider == caller
    assert card_request.house.code == "TM"
    assert card_request.office.kind == "primary"
    assert card_request.filed_by == operator
    assert card_request.note == "Pacientul așteaptă."
    call = Call.objects.get()
    assert call.outcome == CallOutcome.REQUEST_FILED
    assert list(call.card_requests.all()) == [card_request]
    html = client.get("/console/").content.decode()
    ref = card_request.reference
    assert f'<a href="/queue/{ref}/">{ref}</a> filed in the queue of CJAS Timiș' in html
    assert f'<a class="mono" href="/queue/{ref}/">{ref}</a>' in html  # today's calls


def test_an_invalid_card_is_filed_with_its_card_number(client, operator, caller):
    post_call(
        client,
        operator,
        provider=caller.pk,
        file_request="on",
        error_code="17",
        card_number="ro12 3456 7890 1234",
    )
    card_request = CardRequest.objects.get()
    assert (card_request.kind, card_request.error_code) == ("invalid", 17)
    assert card_request.identifier == "RO12345678901234"


def test_filing_an_open_card_again_links_the_call_to_the_open_request(
    client, operator, provider_agent
):
    existing = CardRequestFactory(filed_by=provider_agent, identifier=CID)

    response = post_call(
        client,
        operator,
        provider=provider_agent.provider.pk,
        file_request="on",
        error_code="15",
        cid=CID,
    )

    assert response.status_code == 302
    assert CardRequest.objects.get() == existing
    assert list(Call.objects.get().card_requests.all()) == [existing]
    html = client.get("/console/").content.decode()
    assert "already had an open request" in html
    assert existing.reference in html


def test_a_card_open_at_another_provider_is_refused_and_nothing_is_saved(
    client, operator, provider_agent, caller
):
    CardRequestFactory(filed_by=provider_agent, identifier=CID)

    response = post_call(
        client,
        operator,
        provider=caller.pk,
        file_request="on",
        error_code="15",
        cid=CID,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "already has an open request at CJAS Timiș" in html
    assert 'role="alert"' in html
    assert CardRequest.objects.count() == 1
    assert not Call.objects.exists()


def test_a_code_the_cas_does_not_fix_files_nothing_and_logs_the_advice(
    client, operator, caller
):
    response = post_call(
        client,
        operator,
        provider=caller.pk,
        outcome="request_filed",
        file_request="on",
        error_code="21",
    )

    assert response.status_code == 302
    assert not CardRequest.objects.exists()
    assert Call.objects.get().outcome == CallOutcome.ANSWERED
    html = client.get("/console/").content.decode()
    assert "nothing was filed. Error 21: Card not activated." in html
    assert "transport PIN" in html


def test_a_request_filed_for_another_house_is_shown_without_a_link(
    client, operator, caller
):
    post_call(
        client,
        operator,
        provider=caller.pk,
        file_request="on",
        error_code="15",
        house="CJ",
        cid=CID,
    )

    card_request = CardRequest.objects.get()
    assert card_request.house.code == "CJ"
    html = client.get("/console/").content.decode()
    assert (
        f"<strong>{card_request.reference}</strong> filed in the queue of CAS Cluj"
        in (html)
    )
    assert f"/queue/{card_request.reference}/" not in html


def test_an_unticked_filing_section_files_nothing(client, operator, caller):
    post_call(client, operator, provider=caller.pk, error_code="15", cid=CID)
    assert not CardRequest.objects.exists()
    assert Call.objects.get().outcome == CallOutcome.ANSWERED


# Errors -------------------------------------------------------------------------


def test_errors_of_the_call_and_of_the_request_show_together_and_keep_the_input(
    client, operator, caller
):
    response = post_call(
        client,
        operator,
        caller_phone="12",
        provider=caller.pk,
        note="Sună din nou la 10.",
        file_request="on",
        error_code="15",
        cid="123",
        request_note="Urgent",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "This is not a valid phone number" in html
    assert "The CID has exactly 20 digits; you typed 3." in html
    assert 'aria-invalid="true"' in html
    assert 'value="12"' in html
    assert "Sună din nou la 10." in html
    assert 'value="123"' in html
    assert "Urgent" in html
    assert 'name="file_request" checked' in html or "checked" in html
    assert "Cabinet Medical Dr. Vlase" in html  # the chosen provider stays shown
    assert not Call.objects.exists()
    assert not CardRequest.objects.exists()


def test_filing_needs_a_provider(client, operator):
    response = post_call(client, operator, file_request="on", error_code="15", cid=CID)
    assert response.status_code == 200
    assert "Name the provider the card was read at." in response.content.decode()
    assert not Call.objects.exists()


def test_filing_needs_a_reader_code(client, operator, caller):
    response = post_call(client, operator, provider=caller.pk, file_request="on")
    assert "Choose blocked (error 15) or invalid (error 5 or 17)." in (
        response.content.decode()
    )
    assert not Call.objects.exists()


def test_a_cnp_typed_as_cid_is_refused(client, operator, caller):
    response = post_call(
        client,
        operator,
        provider=caller.pk,
        file_request="on",
        error_code="15",
        cid="1800101350018",
    )
    assert "This is a CNP" in response.content.decode()
    assert not CardRequest.objects.exists()


def test_a_pin_in_the_note_is_refused(client, operator):
    response = post_call(client, operator, note="Clientul are PIN 4821")
    assert response.status_code == 200
    assert "Remove the PIN from the text" in response.content.decode()
    assert not Call.objects.exists()


def test_a_call_cannot_end_before_it_started(client, operator):
    now = timezone.localtime()
    response = post_call(
        client,
        operator,
        started_at=now.strftime("%Y-%m-%dT%H:%M:%S"),
        ended_at=(now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    html = response.content.decode()
    assert "The call cannot end before it started." in html
    assert '<details class="times" open>' in html


def test_the_caller_phone_is_required(client, operator):
    response = post_call(client, operator, caller_phone="")
    assert "This field is required." in response.content.decode()


def test_a_card_of_another_house_shows_that_houses_numbers_on_the_form(
    client, operator
):
    tm = house("TM")
    response = post_call(
        client,
        OperatorFactory(house=house("CJ")),
        file_request="on",
        error_code="15",
        house="TM",
        cid="1",
    )
    html = response.content.decode()
    assert f"This card belongs to {tm.short_name}, not to your house." in html
    assert 'href="tel:+40736203666"' in html


# Roles --------------------------------------------------------------------------


def test_a_supervisor_logs_calls_but_files_nothing(client, supervisor, caller):
    html = page(client, supervisor)
    assert 'name="file_request"' not in html

    response = post_call(
        client,
        supervisor,
        provider=caller.pk,
        file_request="on",
        error_code="15",
        cid=CID,
    )
    assert response.status_code == 302
    assert Call.objects.get().operator == supervisor
    assert not CardRequest.objects.exists()


def test_a_national_admin_names_the_line_that_took_the_call(
    client, national_admin, caller
):
    response = post_call(client, national_admin)
    assert "Name the office whose line took the call." in response.content.decode()
    assert not Call.objects.exists()

    cj_primary = house("CJ").offices.get(kind="primary")
    response = post_call(
        client,
        national_admin,
        office=cj_primary.pk,
        provider=caller.pk,
        file_request="on",
        error_code="15",
        cid=CID,
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.house.code, call.office) == ("CJ", cj_primary)
    assert CardRequest.objects.get().house.code == "TM"  # the provider's house


def test_an_operator_may_only_pick_its_own_houses_lines(client, operator):
    cj_line = house("CJ").offices.get(kind="primary")
    response = post_call(client, operator, office=cj_line.pk)
    assert "Select a valid choice" in response.content.decode()
    assert not Call.objects.exists()


# Today's calls ------------------------------------------------------------------


def test_todays_calls_are_the_houses_calls_of_today_newest_first(
    client, operator, caller
):
    now = timezone.localtime()
    colleague = OperatorFactory()
    CallFactory(operator=operator, caller_phone="+40256111111", started_at=now)
    CallFactory(
        operator=colleague,
        caller_phone="+40256222222",
        provider=caller,
        started_at=now - timedelta(minutes=1),
        ended_at=now - timedelta(seconds=15),
    )
    CallFactory(
        operator=operator,
        caller_phone="+40256333333",
        started_at=now - timedelta(days=1, hours=1),
    )
    CallFactory(
        operator=OperatorFactory(house=house("CJ")), caller_phone="+40264444444"
    )

    html = page(client, operator)

    assert "0256 111 111" in html
    assert "0256 222 222" in html
    assert html.index("0256 111 111") < html.index("0256 222 222")
    assert "0:45" in html
    assert "0256 333 333" not in html  # yesterday
    assert "0264 444 444" not in html  # another house
    assert "Today&#x27;s calls" in html or "Today's calls" in html


def test_todays_calls_cost_the_same_queries_for_one_or_many_calls(
    client, operator, provider_agent
):
    CallFactory(operator=operator)
    client.force_login(operator)
    with CaptureQueriesContext(connection) as one:
        client.get("/console/")
    for _ in range(4):
        call = CallFactory(operator=OperatorFactory(), provider=provider_agent.provider)
        call.card_requests.set([CardRequestFactory(filed_by=provider_agent)])
    with CaptureQueriesContext(connection) as many:
        html = client.get("/console/").content.decode()
    assert html.count("<time datetime=") == 5
    assert len(many) == len(one)


def test_todays_calls_link_only_the_requests_the_operator_may_open(
    client, operator, provider_agent
):
    own = CardRequestFactory(filed_by=provider_agent)
    elsewhere = CardRequestFactory(
        filed_by=provider_agent, house=house("CJ"), reference="CJ-2611-00001"
    )
    call = CallFactory(operator=operator)
    call.card_requests.set([own, elsewhere])

    html = page(client, operator)

    assert f'href="/queue/{own.reference}/"' in html
    # A list never names a request its reader cannot open (tests/security).
    assert "CJ-2611-00001" not in html


def test_no_calls_yet_today_says_so(client, operator):
    assert "No calls logged today yet." in page(client, operator)


# Other houses' numbers ----------------------------------------------------------


def test_the_house_picker_shows_an_office_numbers_partial(client, operator):
    html = page(client, operator, "/console/houses/?house=tm", headers=HTMX)
    assert "CJAS Timiș" in html
    assert '<a class="tel" href="tel:+40736203666">0736 203 666</a>' in html
    assert "<html" not in html


def test_a_house_without_numbers_points_to_the_national_line(client, operator):
    html = page(client, operator, "/console/houses/CJ/", headers=HTMX)
    assert "CAS Cluj" in html
    assert "0800 800 950" in html


def test_without_scripts_the_house_picker_opens_the_contacts_page(client, operator):
    client.force_login(operator)
    response = client.get("/console/houses/?house=CJ")
    assert response.status_code == 302
    assert response.url == "/contacts/#house-CJ"
    assert client.get("/console/houses/XX/").status_code == 404


def test_the_filing_notice_shows_only_for_another_house(client, operator):
    own = page(client, operator, "/console/houses/?house=TM&for=filing", headers=HTMX)
    assert own == ""
    other = page(client, operator, "/console/houses/?house=CJ&for=filing", headers=HTMX)
    assert "This card belongs to CAS Cluj, not to your house." in other


def test_national_staff_get_no_other_house_notice(client, national_admin):
    url = "/console/houses/?house=CJ&for=filing"
    assert page(client, national_admin, url, headers=HTMX) == ""


def test_a_filed_request_appears_in_the_houses_queue_selector(client, operator, caller):
    post_call(
        client,
        operator,
        provider=caller.pk,
        file_request="on",
        error_code="15",
        cid=CID,
    )
    card_request = CardRequest.objects.get()
    assert card_request.status == Status.NEW
    assert card_request.due_at > timezone.now()
