"""Calls and the provider lookup used by phone operators."""

import pytest

from tests.cards.factories import CallFactory, CardRequestFactory
from tests.providers.factories import LocationFactory, OperatorFactory, ProviderFactory


def log(client, **body):
    return client.post("/api/v1/calls/", body, format="json")


def test_a_call_needs_only_the_callers_number(api, operator):
    response = log(api(operator), caller_phone="0256 201 234")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["caller_phone"] == "+40256201234"
    assert data["house"] == "TM"
    assert data["operator"] == str(operator)
    assert data["reason"] == "other"


def test_a_call_links_a_provider_and_requests_in_scope(api, operator, provider_agent):
    card_request = CardRequestFactory(filed_by=provider_agent)

    response = log(
        api(operator),
        caller_phone="+40 256 201 234",
        provider=provider_agent.provider.fiscal_code,
        office="primary",
        reason="blocked_card",
        outcome="request_filed",
        note="A sunat recepția.",
        started_at="2026-11-20T09:00:00+02:00",
        ended_at="2026-11-20T09:03:30+02:00",
        card_requests=[card_request.reference.lower()],
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["provider"]["fiscal_code"] == provider_agent.provider.fiscal_code
    assert data["office"] == "primary"
    assert data["duration_seconds"] == 210
    assert data["card_requests"] == [card_request.reference]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"caller_phone": "12"}, "caller_phone"),
        ({}, "caller_phone"),
        ({"caller_phone": "0256201234", "reason": "chat"}, "reason"),
        ({"caller_phone": "0256201234", "provider": "123"}, "provider"),
        ({"caller_phone": "0256201234", "note": "PIN 4821"}, "note"),
        (
            {
                "caller_phone": "0256201234",
                "started_at": "2026-11-20T10:00:00Z",
                "ended_at": "2026-11-20T09:00:00Z",
            },
            "ended_at",
        ),
        (
            {"caller_phone": "0256201234", "card_requests": ["CJ-2611-00001"]},
            "card_requests",
        ),
        ({"caller_phone": "0256201234", "operator": "x"}, "operator"),
    ],
)
def test_bad_call_input_is_refused_per_field(api, operator, body, field):
    response = log(api(operator), **body)
    assert response.status_code == 400
    assert field in response.json()


def test_a_call_cannot_link_another_houses_request(api, cj):
    cj_operator = OperatorFactory(house=cj)
    tm_request = CardRequestFactory()
    response = log(
        api(cj_operator),
        caller_phone="0256201234",
        card_requests=[tm_request.reference],
    )
    assert response.status_code == 400


def test_calls_are_listed_per_house(api, operator, supervisor, cj):
    mine = CallFactory(operator=operator)
    CallFactory(operator=OperatorFactory(house=cj))

    for person in (operator, supervisor):
        rows = api(person).get("/api/v1/calls/").json()["results"]
        assert [row["id"] for row in rows] == [mine.pk]


@pytest.mark.parametrize(
    "query",
    [
        "Ionescu",
        "ionescu",
        "RO{cui}",
        "{cui}",
        "{contract}",
        "0256 555 123",
        "256555123",
        "0356 777 888",
    ],
)
def test_the_lookup_finds_a_provider_by_name_code_contract_or_phone(
    api, operator, query
):
    provider = ProviderFactory(name="Cabinet Dr. Ionescu", phone="+40256555123")
    LocationFactory(provider=provider, phone="+40356777888")
    ProviderFactory(name="Alt furnizor")
    q = query.format(cui=provider.fiscal_code, contract=provider.contract_number)

    rows = api(operator).get("/api/v1/providers/", {"q": q}).json()

    assert [row["fiscal_code"] for row in rows] == [provider.fiscal_code]
    assert rows[0]["house"] == "TM"
    assert rows[0]["office"] == "primary"


def test_the_lookup_needs_two_characters(api, operator):
    ProviderFactory(name="A")
    assert api(operator).get("/api/v1/providers/", {"q": "A"}).json() == []


def test_houses_are_public_with_their_office_lines(api, db):
    houses = api().get("/api/v1/houses/").json()
    assert len(houses) == 43
    tm = next(h for h in houses if h["code"] == "TM")
    assert {o["kind"]: o["phones"] for o in tm["offices"]}["hospital"] == [
        "0736 110 006"
    ]


def test_the_lookup_costs_the_same_queries_for_many_results(
    api, operator, django_assert_max_num_queries
):
    for n in range(8):
        ProviderFactory(name=f"Cabinet Ionescu {n}")
    client = api(operator)
    with django_assert_max_num_queries(6):
        rows = client.get("/api/v1/providers/", {"q": "Ionescu"}).json()
    assert len(rows) == 8
