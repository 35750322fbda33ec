"""Concurrent transitions on the configured database (SQLite file by default,
PostgreSQL when DATABASE_URL is set): one winner, one clear loser."""

import threading

import pytest
from django.db import connection

from cards import services
from cards.exceptions import AlreadyClaimed, TransitionNotAllowed
from cards.models import (
    CardRequest,
    Event,
    EventKind,
    Outcome,
    ReferenceSequence,
    Source,
    Status,
)
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import AgentFactory, SpecialistFactory, house

# serialized_rollback: the flush after each test must restore the shipped houses.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def race(*calls):
    """Run the calls at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("round_", range(5))
def test_two_specialists_claiming_at_once_give_one_winner(round_):
    first = SpecialistFactory(office_kinds=["primary"])
    second = SpecialistFactory(office_kinds=["primary"])
    card_request = CardRequestFactory()

    results = race(
        lambda: services.card_request_claim(actor=first, card_request=card_request),
        lambda: services.card_request_claim(actor=second, card_request=card_request),
    )

    winners = [r for r in results if isinstance(r, CardRequest)]
    losers = [r for r in results if isinstance(r, AlreadyClaimed)]
    assert len(winners) == 1 and len(losers) == 1, results
    winner = winners[0].assignee
    assert losers[0].by == str(winner)
    card_request.refresh_from_db()
    assert card_request.assignee == winner
    assert (
        Event.objects.filter(card_request=card_request, kind=EventKind.CLAIMED).count()
        == 1
    )


def test_resolve_and_unclaim_at_once_apply_one_after_the_other():
    specialist = SpecialistFactory(office_kinds=["primary"])
    card_request = CardRequestFactory()
    services.card_request_claim(actor=specialist, card_request=card_request)

    results = race(
        lambda: services.card_request_resolve(
            actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
        ),
        lambda: services.card_request_unclaim(
            actor=specialist, card_request=card_request
        ),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], TransitionNotAllowed), results
    card_request.refresh_from_db()
    assert card_request.status in (Status.RESOLVED, Status.NEW)
    kinds = set(
        Event.objects.filter(card_request=card_request).values_list("kind", flat=True)
    )
    assert len(kinds & {EventKind.RESOLVED, EventKind.UNCLAIMED}) == 1


def test_the_same_card_filed_twice_at_once_makes_one_request():
    agent = AgentFactory()
    tm = house("TM")

    def file():
        return services.card_request_file(
            actor=agent,
            source=Source.API,
            house=tm,
            kind="blocked",
            cid="80642000350012345678",
        )

    results = race(file, file)

    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].pk == results[1][0].pk
    assert CardRequest.objects.count() == 1
    # The filing that lost gave back its reference number.
    assert ReferenceSequence.objects.get().last == 1
