"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis).

Every operation of `/api/v1/schema/` is called, in process through the WSGI app,
with 100 generated examples (valid and invalid inputs: positive and negative
generation), as a role that may reach it: a provider agent with its DRF token,
CAS staff with a signed-in (two-factor verified) session and its CSRF token, as
staff tokens are refused. Each answer must not be a server error (5xx) and must
match the schema the API documents for it. Hypothesis is derandomized and keeps
no example database, so a run is repeatable; a few valid bodies (a real CID, phone
number, house code, password) are tried first so that every operation is also
seen succeeding.

`tests.security.test_fuzz.TOTALS` counts what was sent; the terminal summary
prints "api fuzz: N operations x 100 examples, ...".
"""

import functools
from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cards import services
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import (
    AgentFactory,
    OperatorFactory,
    ProviderFactory,
    SpecialistFactory,
    SupervisorFactory,
    house,
)

EXAMPLES = 100
CHECKS = [not_a_server_error, response_schema_conformance]
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    print_blob=False,
)

TOTALS = {
    "operations": set(),
    "runs": 0,
    "examples": 0,
    "server_errors": 0,
    "failures": 0,
    "statuses": Counter(),
}

APP = get_wsgi_application()


@functools.cache
def operations() -> dict:
    """The API's operations, by label, from the schema the app serves."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", APP)
    return {
        operation.ok().label: operation.ok()
        for operation in schema.get_all_operations()
    }


# Who calls each operation: a provider agent for what providers do, a specialist
# for the queue's work, a phone operator for calls and lookups. Reading operations
# run as two roles (their scoping differs).
AGENT, SPECIALIST, OPERATOR, SUPERVISOR = (
    "provider_agent",
    "specialist",
    "phone_operator",
    "supervisor",
)
ROLES_FOR = {
    "POST /api/v1/auth/token/": [AGENT],
    "GET /api/v1/houses/": [AGENT],
    "GET /api/v1/providers/": [OPERATOR],
    "GET /api/v1/calls/": [OPERATOR, SUPERVISOR],
    "POST /api/v1/calls/": [OPERATOR],
    "GET /api/v1/requests/": [AGENT, SPECIALIST],
    "POST /api/v1/requests/": [AGENT, OPERATOR],
    "GET /api/v1/requests/{reference}/": [AGENT, SPECIALIST],
    "POST /api/v1/requests/{reference}/claim/": [SPECIALIST],
    "POST /api/v1/requests/{reference}/unclaim/": [SPECIALIST],
    "POST /api/v1/requests/{reference}/resolve/": [SPECIALIST],
    "POST /api/v1/requests/{reference}/reject/": [SPECIALIST],
    "POST /api/v1/requests/{reference}/transfer/": [SPECIALIST],
    "POST /api/v1/requests/{reference}/ask-info/": [SPECIALIST],
    "POST /api/v1/requests/{reference}/info/": [AGENT],
    "POST /api/v1/requests/{reference}/confirm/": [AGENT],
}


# Inputs that random text rarely hits (a valid CID, phone number, house code, a
# user's password): tried first, so that every operation is also seen succeeding.
# (body, index of the world's reference to call it on or None)
VALID_BODIES = {
    "POST /api/v1/auth/token/": [
        ({"username": "fuzz.agent", "password": "correct horse battery"}, None)
    ],
    "POST /api/v1/requests/": [
        ({"kind": "blocked", "cid": "80642000350012345678"}, None),
        (
            {
                "kind": "invalid",
                "card_number": "RO12 3456 7890 1234",
                "provider": "13548146",
            },
            None,
        ),
    ],
    "POST /api/v1/requests/{reference}/transfer/": [({"house": "CJ"}, 0)],
    "POST /api/v1/requests/{reference}/claim/": [({}, 0)],
    "POST /api/v1/requests/{reference}/unclaim/": [({}, 1)],
    "POST /api/v1/requests/{reference}/info/": [({"answer": "Room 2 reader."}, 2)],
    "POST /api/v1/requests/{reference}/resolve/": [({"outcome": "unblocked"}, 1)],
    "POST /api/v1/requests/{reference}/reject/": [({"reason": "Not our card."}, 5)],
    "POST /api/v1/requests/{reference}/ask-info/": [
        ({"question": "Which house issued the card?"}, 5)
    ],
    "POST /api/v1/calls/": [({"caller_phone": "0736 203 666"}, None)],
    "POST /api/v1/requests/{reference}/confirm/": [
        ({"works": False, "reader_error": 15}, 3),
        ({"works": True}, 4),
    ],
}


def test_every_operation_of_the_schema_is_fuzzed():
    assert set(operations()) == set(ROLES_FOR)


@pytest.fixture
def in_process_app():
    """The WSGI app shares the test's database connection (and its transaction):
    as in Django's test client, requests do not close it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield APP
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, in_process_app, settings):
    """Two Timiș providers, the staff of the Timiș house, and requests in every
    state so that generated calls meet real references (and real conflicts)."""
    # The fuzzer calls far faster than people: no rate limits here.
    settings.RATE_LIMITS = {}
    provider = ProviderFactory(fiscal_code="13548146")
    agent = AgentFactory(provider=provider, username="fuzz.agent")
    specialist = SpecialistFactory()
    people = {
        AGENT: agent,
        SPECIALIST: specialist,
        OPERATOR: OperatorFactory(),
        SUPERVISOR: SupervisorFactory(),
    }
    references = []
    for n in range(6):
        card_request = CardRequestFactory(filed_by=agent)
        references.append(card_request.reference)
        if n >= 1:
            services.card_request_claim(actor=specialist, card_request=card_request)
        if n == 2:
            services.card_request_ask_info(
                actor=specialist, card_request=card_request, question="Which house?"
            )
        if n in (3, 4):
            services.card_request_resolve(
                actor=specialist,
                card_request=card_request,
                outcome=card_request.kind == "blocked" and "unblocked" or "reactivated",
            )
    other = CardRequestFactory(house=house("CJ"))
    references.append(other.reference)
    return {
        "auth": {role: _credentials(person) for role, person in people.items()},
        "references": references,
    }


def _credentials(person) -> dict:
    """Headers and cookies of an API caller: a DRF token for a provider agent
    (tokens are for integrations); a signed-in (verified) web session with its
    CSRF token for CAS staff, as their pages call the API."""
    if person.provider_id is not None:
        token = Token.objects.get_or_create(user=person)[0].key
        return {"headers": {"Authorization": f"Token {token}"}, "cookies": {}}
    client = Client()
    client.force_login(person)
    csrf = get_random_string(32)
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {
            settings.SESSION_COOKIE_NAME: client.cookies[
                settings.SESSION_COOKIE_NAME
            ].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
    }


@pytest.mark.parametrize(
    ("label", "role"),
    [(label, role) for label, roles in ROLES_FOR.items() for role in roles],
)
def test_operation_answers_without_server_error_and_as_documented(world, label, role):
    operation = operations()[label]
    credentials = world["auth"][role]
    modes = [schemathesis.GenerationMode.POSITIVE]
    if operation.body or operation.query or operation.path_parameters:
        modes.append(schemathesis.GenerationMode.NEGATIVE)
    cases = st.one_of(*(operation.as_strategy(generation_mode=m) for m in modes))
    references = st.sampled_from([*world["references"], None])

    statuses = []

    @SETTINGS
    @hypothesis.given(case=cases, reference=references)
    def run(case, reference):
        run_one(case, reference)

    for body, reference in VALID_BODIES.get(label, []):
        run = hypothesis.example(
            case=operation.Case(
                body=body,
                path_parameters=None if reference is None else {"reference": "-"},
                media_type="application/json",
            ),
            reference=None if reference is None else world["references"][reference],
        )(run)

    def run_one(case, reference):
        if reference and case.path_parameters and "reference" in case.path_parameters:
            case.path_parameters["reference"] = reference
        # The caller's own credentials, not generated ones.
        case.headers = {
            key: value
            for key, value in (case.headers or {}).items()
            if key.lower() not in {"authorization", "cookie", "x-csrftoken"}
        }
        case.cookies = dict(credentials["cookies"])
        headers = credentials["headers"]
        response = case.call(app=APP, headers=headers)
        statuses.append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception:
            TOTALS["failures"] += 1
            raise

    run()
    TOTALS["operations"].add(label)
    TOTALS["runs"] += 1
    TOTALS["examples"] += len(statuses)
    TOTALS["server_errors"] += sum(code >= 500 for code in statuses)
    for code in statuses:
        TOTALS["statuses"][f"{code // 100}xx"] += 1
    # Hypothesis stops early only when it has tried every distinct input.
    has_inputs = bool(operation.body or operation.query or operation.path_parameters)
    assert len(statuses) >= EXAMPLES or not has_inputs, len(statuses)
    # The generated calls reach the operation's work, not only its refusals.
    assert any(code < 300 for code in statuses), statuses
