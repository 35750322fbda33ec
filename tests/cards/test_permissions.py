"""Role × action over HTTP: who may, and the refusals (404 out of scope, 403 wrong
role, 401 anonymous)."""

import pytest

from cards import services
from cards.models import Outcome
from tests.cards.factories import CardRequestFactory

ROLES = [
    "provider_agent",  # the provider that filed it
    "other_agent",  # another provider
    "operator",  # same house
    "specialist",  # same house and office; the assignee once claimed
    "other_specialist",  # same house and office, not the assignee
    "hospital_specialist",  # same house, another office
    "supervisor",  # same house
    "cj_specialist",  # another house
    "national_admin",
    "anonymous",
]

# The state each action needs, its body, and the expected status per role.
ACTIONS = {
    "view": ("new", None, None),
    "claim": ("new", "claim", {}),
    "unclaim": ("in_progress", "unclaim", {}),
    "ask-info": ("in_progress", "ask-info", {"question": "Cine e pacientul?"}),
    "resolve": ("in_progress", "resolve", {"outcome": "unblocked"}),
    "reject": ("in_progress", "reject", {"reason": "Card al altei case."}),
    "transfer": ("in_progress", "transfer", {"house": "CJ"}),
    "info": ("needs_info", "info", {"answer": "Pacientul e de față."}),
    "confirm": ("resolved", "confirm", {"works": True}),
}
OUT_OF_SCOPE = {
    "other_agent": 404,
    "hospital_specialist": 404,
    "cj_specialist": 404,
    "anonymous": 401,
}
EXPECTED = {
    "view": {
        "provider_agent": 200,
        "operator": 200,
        "specialist": 200,
        "other_specialist": 200,
        "supervisor": 200,
        "national_admin": 200,
    },
    "claim": {
        "provider_agent": 403,
        "operator": 403,
        "specialist": 200,
        "other_specialist": 200,
        "supervisor": 200,
        "national_admin": 200,
    },
    "info": {
        "provider_agent": 200,
        "operator": 200,
        "specialist": 403,
        "other_specialist": 403,
        "supervisor": 403,
        "national_admin": 200,
    },
    "confirm": {
        "provider_agent": 200,
        "operator": 403,
        "specialist": 403,
        "other_specialist": 403,
        "supervisor": 403,
        "national_admin": 200,
    },
}
ASSIGNEE_ONLY = {
    "provider_agent": 403,
    "operator": 403,
    "specialist": 200,
    "other_specialist": 403,
    "supervisor": 200,
    "national_admin": 200,
}
for name in ("unclaim", "ask-info", "resolve", "reject", "transfer"):
    EXPECTED[name] = ASSIGNEE_ONLY

MATRIX = [
    (action, role, OUT_OF_SCOPE.get(role) or EXPECTED[action][role])
    for action in ACTIONS
    for role in ROLES
]


def _in_state(state, agent, specialist):
    card_request = CardRequestFactory(filed_by=agent)
    if state == "new":
        return card_request
    services.card_request_claim(actor=specialist, card_request=card_request)
    if state == "needs_info":
        services.card_request_ask_info(
            actor=specialist, card_request=card_request, question="?"
        )
    if state == "resolved":
        services.card_request_resolve(
            actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
        )
    return card_request


@pytest.mark.parametrize(("action", "role", "expected"), MATRIX)
def test_role_action_matrix(
    request, api, provider_agent, specialist, action, role, expected
):
    state, path, body = ACTIONS[action]
    card_request = _in_state(state, provider_agent, specialist)
    person = None if role == "anonymous" else request.getfixturevalue(role)
    client = api(person)
    url = f"/api/v1/requests/{card_request.reference}/"

    if path is None:
        response = client.get(url)
    else:
        response = client.post(f"{url}{path}/", body, format="json")

    assert response.status_code == expected, response.content
    if expected == 404:
        assert response.json() == {"detail": "No such request."}
        assert card_request.reference not in response.content.decode()


def test_out_of_scope_and_missing_look_the_same(api, cj_specialist, provider_agent):
    card_request = CardRequestFactory(filed_by=provider_agent)
    client = api(cj_specialist)

    hidden = client.get(f"/api/v1/requests/{card_request.reference}/")
    missing = client.get("/api/v1/requests/TM-2611-99999/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("provider_agent", {"own"}),
        ("other_agent", set()),
        ("operator", {"own", "hospital"}),
        ("specialist", {"own"}),
        ("hospital_specialist", {"hospital"}),
        ("supervisor", {"own", "hospital"}),
        ("cj_specialist", {"cj"}),
        ("national_admin", {"own", "hospital", "cj"}),
    ],
)
def test_lists_show_exactly_what_each_role_may_open(
    request, api, provider_agent, role, visible
):
    from providers.models import Category
    from tests.providers.factories import AgentFactory, ProviderFactory, house

    hospital_agent = AgentFactory(provider=ProviderFactory(category=Category.SPT))
    refs = {
        "own": CardRequestFactory(filed_by=provider_agent).reference,
        "hospital": CardRequestFactory(filed_by=hospital_agent).reference,
        "cj": CardRequestFactory(
            filed_by=AgentFactory(provider=ProviderFactory(house=house("CJ"))),
            house=house("CJ"),
        ).reference,
    }
    client = api(request.getfixturevalue(role))

    listed = {
        row["reference"] for row in client.get("/api/v1/requests/").json()["results"]
    }

    assert listed == {refs[name] for name in visible}
    for name, reference in refs.items():
        status = client.get(f"/api/v1/requests/{reference}/").status_code
        assert status == (200 if name in visible else 404)


def test_a_house_keeps_read_only_sight_of_what_it_transferred(
    api, provider_agent, specialist, cj_specialist
):
    from tests.providers.factories import house

    card_request = CardRequestFactory(filed_by=provider_agent)
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_transfer(
        actor=specialist, card_request=card_request, house=house("CJ")
    )
    tm = api(specialist)
    url = f"/api/v1/requests/{card_request.reference}/"

    assert tm.get(url).status_code == 200
    assert tm.post(f"{url}claim/").status_code == 403
    assert api(cj_specialist).post(f"{url}claim/").status_code == 200


def test_a_lost_claim_is_a_409_naming_the_winner(
    api, provider_agent, specialist, other_specialist
):
    card_request = CardRequestFactory(filed_by=provider_agent)
    url = f"/api/v1/requests/{card_request.reference}/claim/"

    assert api(specialist).post(url).status_code == 200
    response = api(other_specialist).post(url)

    assert response.status_code == 409
    assert response.json()["code"] == "already_claimed"
    assert response.json()["claimed_by"] == str(specialist)
    assert str(specialist) in response.json()["detail"]


def test_a_transition_the_state_forbids_is_a_409(api, provider_agent, specialist):
    card_request = CardRequestFactory(filed_by=provider_agent)
    response = api(specialist).post(
        f"/api/v1/requests/{card_request.reference}/resolve/",
        {"outcome": "unblocked"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"


@pytest.mark.parametrize(
    ("role", "list_calls", "log_call", "lookup"),
    [
        ("provider_agent", 403, 403, 403),
        ("operator", 200, 201, 200),
        ("specialist", 403, 403, 200),
        ("supervisor", 200, 201, 200),
        # An admin belongs to no house, so a call must name the office line.
        ("national_admin", 200, 400, 200),
    ],
)
def test_calls_and_provider_lookup_by_role(
    request, api, db, role, list_calls, log_call, lookup
):
    client = api(request.getfixturevalue(role))
    logged = client.post(
        "/api/v1/calls/", {"caller_phone": "0256 201 234"}, format="json"
    )

    assert client.get("/api/v1/calls/").status_code == list_calls
    assert logged.status_code == log_call
    assert client.get("/api/v1/providers/?q=Cabinet").status_code == lookup


def test_anonymous_gets_401_everywhere_but_public_endpoints(api, db):
    client = api()
    assert client.get("/api/v1/requests/").status_code == 401
    assert client.get("/api/v1/calls/").status_code == 401
    assert client.get("/api/v1/providers/?q=ab").status_code == 401
    assert client.get("/api/v1/houses/").status_code == 200
    assert client.get("/api/v1/schema/").status_code == 200
