"""Filing through the API: validation, routing, duplicates and idempotency."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import CardRequest, Event, EventKind, Kind, Priority, Source, Status
from providers.models import Category, CategoryRoute, OfficeKind
from tests.providers.factories import AgentFactory, ProviderFactory, house, valid_cui

CID = "80642000350012345678"
CARD_NUMBER = "RO1A2B3C4D5E6F70"
CNP = "1800101420010"


def file(client, **body):
    return client.post("/api/v1/requests/", body, format="json")


@pytest.fixture
def agent_client(api, provider_agent):
    return api(provider_agent)


def test_blocked_card_is_filed_into_the_cards_house_queue(agent_client, provider_agent):
    response = file(agent_client, kind="blocked", insurer_house="TM", cid=CID)

    assert response.status_code == 201, response.json()
    data = response.json()
    assert re.fullmatch(r"TM-\d{4}-\d{5}", data["reference"])
    assert data["status"] == "new"
    assert data["house"] == "TM"
    assert data["office"] == "primary"
    assert data["error_code"] == 15
    assert data["source"] == "api"
    assert data["cid"] == CID  # the filer's own request shows the identifier
    assert data["card_number"] is None
    assert data["provider"] == {
        "name": provider_agent.provider.name,
        "fiscal_code": provider_agent.provider.fiscal_code,
    }
    assert [e["kind"] for e in data["events"]] == ["filed"]
    card_request = CardRequest.objects.get(reference=data["reference"])
    assert card_request.filed_by == provider_agent
    assert card_request.location == provider_agent.location


@pytest.mark.parametrize("who", ["provider_agent", "operator"])
def test_the_filing_answers_what_reading_the_request_answers(api, db, request, who):
    """The answer to a filing is built from the request as it was filed: it must
    say exactly what the request's own address says afterwards."""
    person = request.getfixturevalue(who)
    client = api(person)
    body = {"kind": "blocked", "cid": CID, "note": "La recepție"}
    if who == "operator":
        body["provider"] = "RO" + ProviderFactory(house=person.house).fiscal_code
    filed = file(client, **body)
    assert filed.status_code == 201, filed.json()

    read = client.get(f"/api/v1/requests/{filed.json()['reference']}/")
    assert read.status_code == 200
    assert filed.json() == read.json()


def test_references_count_up_per_house_and_month(agent_client):
    first = file(agent_client, kind="blocked", cid=CID).json()["reference"]
    second = file(agent_client, kind="blocked", cid="8064200035001234567" + "9").json()[
        "reference"
    ]
    assert int(second[-5:]) == int(first[-5:]) + 1
    assert first[:-5] == second[:-5]


def test_invalid_card_number_ignores_spaces_and_case(agent_client):
    response = file(
        agent_client,
        error_code=17,
        card_number="ro1a 2b3c 4d5e 6f70",
        insurer_house="tm",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["kind"] == "invalid"
    assert data["error_code"] == 17
    assert data["card_number"] == CARD_NUMBER
    assert data["cid"] is None


def test_house_defaults_to_the_providers_own(agent_client):
    response = file(agent_client, kind="invalid", card_number=CARD_NUMBER)
    assert response.status_code == 201
    assert response.json()["house"] == "TM"


@pytest.mark.parametrize(
    ("category", "office", "priority"),
    [
        (Category.MF, OfficeKind.PRIMARY, Priority.NORMAL),
        (Category.PRM, OfficeKind.PRIMARY, Priority.NORMAL),
        (Category.CLIN, OfficeKind.CLINICAL, Priority.NORMAL),
        (Category.STOM, OfficeKind.CLINICAL, Priority.NORMAL),
        (Category.PARA, OfficeKind.CLINICAL, Priority.NORMAL),
        (Category.FARMD, OfficeKind.CLINICAL, Priority.NORMAL),
        (Category.SPT, OfficeKind.HOSPITAL, Priority.URGENT),
        (Category.AMB, OfficeKind.HOSPITAL, Priority.URGENT),
        (Category.DIA, OfficeKind.HOSPITAL, Priority.URGENT),
    ],
)
def test_office_follows_the_providers_category(api, db, category, office, priority):
    agent = AgentFactory(provider=ProviderFactory(category=category))

    response = file(api(agent), kind="blocked", cid=CID)

    assert response.status_code == 201
    assert response.json()["office"] == office
    assert response.json()["priority"] == priority


def test_card_of_another_house_goes_to_that_houses_office(agent_client):
    response = file(agent_client, kind="blocked", insurer_house="CJ", cid=CID)

    assert response.status_code == 201
    card_request = CardRequest.objects.get(reference=response.json()["reference"])
    assert card_request.house.code == "CJ"
    assert card_request.office.house.code == "CJ"
    assert card_request.office.kind == OfficeKind.PRIMARY
    assert card_request.reference.startswith("CJ-")


def test_a_house_can_route_a_category_to_another_office(api, db):
    tm = house("TM")
    CategoryRoute.objects.filter(house=tm, category=Category.FARMD).update(
        office_kind=OfficeKind.PRIMARY
    )
    agent = AgentFactory(provider=ProviderFactory(category=Category.FARMD))

    response = file(api(agent), kind="blocked", cid=CID, insurer_house="TM")
    other_house = file(
        api(agent), kind="invalid", card_number=CARD_NUMBER, insurer_house="CJ"
    )

    assert response.json()["office"] == "primary"
    assert other_house.json()["office"] == "clinical"  # CJ keeps the default


def routing_read(captured) -> list[str]:
    """The reads of houses, offices and category mappings among `captured`."""
    read = re.compile(r'^SELECT .* FROM "providers_(house|office|categoryroute)" ')
    return [q["sql"] for q in captured if read.match(q["sql"])]


def test_a_filings_house_and_office_are_kept_until_the_routing_changes(
    api, db, settings
):
    settings.QUEUE_VERSIONS = True
    agent = AgentFactory(provider=ProviderFactory(category=Category.FARMD))
    client = api(agent)
    numbers = iter(f"RO0000000000{n:04d}" for n in range(100))

    def filed(**body) -> dict:
        response = file(client, kind="invalid", card_number=next(numbers), **body)
        assert response.status_code == 201, response.json()
        return response.json()

    filed(insurer_house="cj")
    with CaptureQueriesContext(connection) as captured:
        assert filed(insurer_house="CJ")["office"] == "clinical"
    assert routing_read(captured) == []

    # Each change reaches the next filing.
    cj = house("CJ")
    route = CategoryRoute.objects.get(house=cj, category=Category.FARMD)
    route.office_kind = OfficeKind.PRIMARY
    route.save()
    assert filed(insurer_house="CJ")["office"] == "primary"
    route.delete()
    assert filed(insurer_house="CJ")["office"] == "clinical"  # the default
    office = cj.offices.get(kind=OfficeKind.CLINICAL)
    office.sla_minutes = 60 * 24 * 5
    office.save()
    request = CardRequest.objects.get(reference=filed(insurer_house="CJ")["reference"])
    assert request.due_at - request.created_at >= timedelta(days=5)
    cj.is_active = False
    cj.save()
    response = file(
        client, kind="invalid", card_number=next(numbers), insurer_house="CJ"
    )
    assert response.status_code == 400
    assert "insurer_house" in response.json()


def test_the_routing_is_read_every_time_without_a_shared_cache(api, db, settings):
    settings.QUEUE_VERSIONS = False
    client = api(AgentFactory())
    file(client, kind="blocked", cid=CID, insurer_house="CJ")
    with CaptureQueriesContext(connection) as captured:
        response = file(client, kind="invalid", card_number=CARD_NUMBER)
    assert response.status_code == 201
    assert len(routing_read(captured)) == 1  # the office; the house came with the token


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "blocked", "cid": CNP}, "cid", "CNP"),
        ({"kind": "blocked", "cid": "8064200035001234567A"}, "cid", "digits only"),
        ({"kind": "blocked", "cid": "806420003500123456"}, "cid", "exactly 20 digits"),
        ({"kind": "blocked", "cid": ""}, "cid", "Enter the CID"),
        (
            {"kind": "blocked", "card_number": CARD_NUMBER},
            "cid",
            "not by the card number",
        ),
        ({"kind": "invalid", "card_number": CID}, "card_number", "20 digits is a CID"),
        ({"kind": "invalid", "card_number": CNP}, "card_number", "CNP"),
        (
            {"kind": "invalid", "card_number": "RO1A2B3C4D5E6F7"},
            "card_number",
            "exactly 16 characters",
        ),
        (
            {"kind": "invalid", "card_number": "RO1A2B3C4D5E6F7Ș"},
            "card_number",
            "letters and digits only",
        ),
        ({"kind": "invalid", "cid": CID}, "card_number", "not by the CID"),
        ({"error_code": 14, "cid": CID}, "error_code", "tries"),
        ({"error_code": 21, "cid": CID}, "error_code", "transport PIN"),
        ({"error_code": 36, "cid": CID}, "error_code", "has not unblocked"),
        ({"error_code": 99, "cid": CID}, "error_code", "only 15"),
        (
            {"kind": "blocked", "error_code": 5, "cid": CID},
            "error_code",
            "5 and 17 an invalid card",
        ),
        ({"cid": CID}, "kind", "Choose blocked"),
        ({"kind": "lost", "cid": CID}, "kind", "not a valid choice"),
        (
            {"kind": "blocked", "cid": CID, "insurer_house": "XX"},
            "insurer_house",
            "No house has the code XX",
        ),
        (
            {"kind": "blocked", "cid": CID, "note": "PIN 4821, pacientul e aici"},
            "note",
            "Remove the PIN",
        ),
        (
            {"kind": "blocked", "cid": CID, "status": "resolved"},
            "status",
            "Unknown field",
        ),
        (
            {"kind": "blocked", "cid": CID, "assignee": "tm.primary"},
            "assignee",
            "Unknown field",
        ),
    ],
)
def test_bad_input_is_refused_with_a_field_message(agent_client, body, field, message):
    response = file(agent_client, **body)

    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not CardRequest.objects.exists()


@pytest.mark.parametrize("key", ["pin", "PIN", "new_pin", "pin_code"])
def test_a_pin_is_refused_never_stored_nor_echoed(agent_client, key):
    response = agent_client.post(
        "/api/v1/requests/", {"kind": "blocked", "cid": CID, key: "4821"}, format="json"
    )

    assert response.status_code == 400
    assert "Never send a PIN" in response.json()[key][0]
    assert "4821" not in response.content.decode()
    assert not CardRequest.objects.exists()


def test_the_identifier_is_not_echoed_in_error_messages(agent_client):
    response = file(agent_client, kind="blocked", cid=CNP)
    assert CNP not in response.content.decode()


@pytest.mark.parametrize(
    "payload", ['{"kind": "blocked", "cid": ', "[1, 2]", '"text"', "null"]
)
def test_malformed_json_is_a_400_not_a_500(agent_client, payload):
    response = agent_client.post(
        "/api/v1/requests/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert (
        body == {"detail": "The request body is not valid JSON."}
        or "non_field_errors" in body
    )


def test_errors_speak_romanian_by_default(api, provider_agent, settings):
    settings.LANGUAGE_CODE = "ro"
    response = file(api(provider_agent), kind="blocked", cid=CNP)
    assert response.status_code == 400
    assert "CNP" in response.json()["cid"][0]
    assert (
        "CID-ul are"
        in file(api(provider_agent), kind="blocked", cid="123").json()["cid"][0]
    )


def test_second_request_for_the_same_open_card_returns_the_first(agent_client):
    first = file(agent_client, kind="blocked", cid=CID)
    second = file(agent_client, kind="blocked", cid=CID, note="again")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["reference"] == first.json()["reference"]
    assert CardRequest.objects.count() == 1
    assert Event.objects.filter(kind=EventKind.FILED).count() == 1
    # The second filing was undone whole: the next request takes the next number.
    third = file(agent_client, kind="invalid", card_number="RO00000000000777")
    assert (
        third.json()["reference"][-5:]
        == f"{int(first.json()['reference'][-5:]) + 1:05d}"
    )


def test_same_card_at_another_provider_is_refused_without_revealing_it(
    api, provider_agent, other_agent
):
    first = file(api(provider_agent), kind="blocked", cid=CID)
    response = file(api(other_agent), kind="blocked", cid=CID)

    assert response.status_code == 409
    assert response.json()["code"] == "open_elsewhere"
    assert first.json()["reference"] not in response.content.decode()
    assert CardRequest.objects.count() == 1


def test_a_closed_card_request_does_not_block_a_new_one(agent_client):
    first = file(agent_client, kind="blocked", cid=CID).json()["reference"]
    CardRequest.objects.filter(reference=first).update(status=Status.CLOSED)

    response = file(agent_client, kind="blocked", cid=CID)

    assert response.status_code == 201
    assert response.json()["reference"] != first


def test_idempotency_key_replays_the_first_response(agent_client):
    body = {"kind": "blocked", "cid": CID}
    first = agent_client.post(
        "/api/v1/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1"
    )
    replay = agent_client.post(
        "/api/v1/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1"
    )

    assert first.status_code == replay.status_code == 201
    assert replay.json()["reference"] == first.json()["reference"]
    assert CardRequest.objects.count() == 1


def test_idempotency_key_reused_for_another_body_is_a_conflict(agent_client):
    agent_client.post(
        "/api/v1/requests/",
        {"kind": "blocked", "cid": CID},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    response = agent_client.post(
        "/api/v1/requests/",
        {"kind": "invalid", "card_number": CARD_NUMBER},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert CardRequest.objects.count() == 1


def test_an_operator_files_for_a_provider_named_by_fiscal_code(api, operator):
    provider = ProviderFactory(category=Category.SPT)

    response = file(
        api(operator), kind="blocked", cid=CID, provider="RO" + provider.fiscal_code
    )

    assert response.status_code == 201, response.json()
    card_request = CardRequest.objects.get(reference=response.json()["reference"])
    assert card_request.provider == provider
    assert card_request.filed_by == operator
    assert card_request.office.kind == OfficeKind.HOSPITAL
    assert card_request.source == Source.API


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        (None, "Name the provider"),
        ("12345678", "wrong check digit"),
        (valid_cui(999_999), "No provider under contract"),
    ],
)
def test_an_operator_must_name_a_known_provider(api, operator, provider, message):
    body = {"kind": "blocked", "cid": CID}
    if provider:
        body["provider"] = provider
    response = file(api(operator), **body)
    assert response.status_code == 400
    assert message in response.json()["provider"][0]


def test_an_agent_cannot_file_for_another_provider(api, provider_agent, other_agent):
    response = file(
        api(provider_agent),
        kind="blocked",
        cid=CID,
        provider=other_agent.provider.fiscal_code,
    )
    assert response.status_code == 400
    assert "own provider" in response.json()["provider"][0]
    assert not CardRequest.objects.exists()


@pytest.mark.parametrize("role", ["specialist", "supervisor"])
def test_cas_staff_who_do_not_take_calls_cannot_file(api, db, request, role):
    response = file(api(request.getfixturevalue(role)), kind="blocked", cid=CID)
    assert response.status_code == 403


def test_filing_needs_authentication(api, db):
    assert file(api(), kind="blocked", cid=CID).status_code == 401


def test_kind_is_derived_from_the_error_code(agent_client):
    response = file(agent_client, error_code=15, cid=CID)
    assert response.status_code == 201
    assert response.json()["kind"] == Kind.BLOCKED


def test_each_input_serializer_gets_fields_of_its_own():
    """Its fields are built once per class and copied for each serializer: a copy
    is bound to its own serializer, and one's errors are never another's."""
    from cards.serializers import CardRequestFileSerializer

    good = CardRequestFileSerializer(data={"error_code": 15, "note": "a"})
    bad = CardRequestFileSerializer(data={"error_code": "x", "note": "b" * 2001})
    assert good.fields["note"] is not bad.fields["note"]
    assert good.fields["note"].parent is good and bad.fields["note"].parent is bad
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"error_code", "note"}
    assert good.validated_data == {"error_code": 15, "note": "a"}
