"""Every transition of DESIGN §4, each forbidden one, and the timeline they write."""

import pytest
from django.core.exceptions import ValidationError

from cards import services
from cards.exceptions import AlreadyClaimed, PermissionDenied, TransitionNotAllowed
from cards.models import CardRequest, Event, EventKind, Outcome, Source, Status
from providers.models import OfficeKind
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import house


@pytest.fixture
def card_request(provider_agent):
    return CardRequestFactory(filed_by=provider_agent)


def claimed(card_request, specialist):
    return services.card_request_claim(actor=specialist, card_request=card_request)


def events(card_request):
    return list(
        Event.objects.filter(card_request=card_request)
        .exclude(kind=EventKind.NOTIFIED)
        .values_list("kind", flat=True)
    )


def test_the_whole_path_of_a_blocked_card(provider_agent, specialist, other_specialist):
    card_request, created = services.card_request_file(
        actor=provider_agent,
        source=Source.WEB,
        house=house("TM"),
        kind="blocked",
        cid="80642000350012345678",
    )
    assert created
    card_request = claimed(card_request, specialist)
    assert (card_request.status, card_request.assignee) == (
        Status.IN_PROGRESS,
        specialist,
    )

    card_request = services.card_request_ask_info(
        actor=specialist, card_request=card_request, question="Cardul e al pacientului?"
    )
    assert card_request.status == Status.NEEDS_INFO

    card_request = services.card_request_give_info(
        actor=provider_agent, card_request=card_request, answer="Da, e de față."
    )
    assert (card_request.status, card_request.assignee) == (Status.NEW, None)

    card_request = claimed(card_request, other_specialist)
    card_request = services.card_request_resolve(
        actor=other_specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )
    assert card_request.status == Status.RESOLVED
    assert card_request.outcome == Outcome.UNBLOCKED
    assert card_request.resolved_at is not None

    card_request = services.card_request_confirm(
        actor=provider_agent, card_request=card_request, works=True
    )
    assert card_request.status == Status.CLOSED
    assert card_request.closed_at is not None
    assert events(card_request) == [
        EventKind.FILED,
        EventKind.CLAIMED,
        EventKind.INFO_REQUESTED,
        EventKind.INFO_GIVEN,
        EventKind.CLAIMED,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
    ]
    texts = Event.objects.filter(card_request=card_request).values_list(
        "text", flat=True
    )
    assert "Cardul e al pacientului?" in texts
    assert "Da, e de față." in texts


def test_still_failing_reopens_the_request_in_the_queue(
    card_request, specialist, provider_agent
):
    card_request = claimed(card_request, specialist)
    card_request = services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )

    card_request = services.card_request_confirm(
        actor=provider_agent, card_request=card_request, works=False, reader_error=36
    )

    assert card_request.status == Status.NEW
    assert card_request.assignee is None
    assert card_request.outcome == ""
    reopened = Event.objects.get(card_request=card_request, kind=EventKind.REOPENED)
    assert "36" in reopened.text
    assert (reopened.from_status, reopened.to_status) == (Status.RESOLVED, Status.NEW)


def test_unclaim_puts_it_back_unassigned(card_request, specialist):
    card_request = claimed(card_request, specialist)
    card_request = services.card_request_unclaim(
        actor=specialist, card_request=card_request
    )
    assert (card_request.status, card_request.assignee) == (Status.NEW, None)


def test_reject_needs_a_reason_and_ends_the_request(card_request, specialist):
    card_request = claimed(card_request, specialist)
    with pytest.raises(ValidationError, match="reason"):
        services.card_request_reject(
            actor=specialist, card_request=card_request, reason=" "
        )

    card_request = services.card_request_reject(
        actor=specialist, card_request=card_request, reason="Cardul aparține CAS Cluj."
    )
    assert card_request.status == Status.REJECTED
    assert card_request.closed_at is not None


def test_transfer_moves_it_to_the_other_houses_queue_as_new(card_request, specialist):
    card_request = claimed(card_request, specialist)

    card_request = services.card_request_transfer(
        actor=specialist, card_request=card_request, house=house("CJ"), note="Card CJ"
    )

    card_request.refresh_from_db()
    assert card_request.status == Status.NEW
    assert card_request.assignee is None
    assert card_request.house.code == "CJ"
    assert card_request.office.house.code == "CJ"
    assert card_request.office.kind == OfficeKind.PRIMARY
    event = Event.objects.get(card_request=card_request, kind=EventKind.TRANSFERRED)
    assert (event.from_house.code, event.to_house.code) == ("TM", "CJ")


def test_transfer_to_the_same_house_is_refused(card_request, specialist):
    with pytest.raises(ValidationError, match="already in this house"):
        services.card_request_transfer(
            actor=specialist, card_request=card_request, house=house("TM")
        )


def test_resolve_outcome_must_match_the_kind(card_request, specialist):
    card_request = claimed(card_request, specialist)
    with pytest.raises(ValidationError, match="resolved as unblocked"):
        services.card_request_resolve(
            actor=specialist, card_request=card_request, outcome=Outcome.REACTIVATED
        )


def test_a_second_claim_names_the_winner(card_request, specialist, other_specialist):
    claimed(card_request, specialist)
    with pytest.raises(AlreadyClaimed, match=f"Already claimed by {specialist}"):
        claimed(card_request, other_specialist)


def test_claiming_ones_own_request_again_changes_nothing(card_request, specialist):
    claimed(card_request, specialist)
    claimed(card_request, specialist)
    assert events(card_request) == [EventKind.CLAIMED]


def test_only_the_assignee_works_a_claimed_request(
    card_request, specialist, other_specialist, supervisor
):
    card_request = claimed(card_request, specialist)
    with pytest.raises(PermissionDenied):
        services.card_request_resolve(
            actor=other_specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
        )
    # A supervisor may step in.
    card_request = services.card_request_resolve(
        actor=supervisor, card_request=card_request, outcome=Outcome.UNBLOCKED
    )
    assert card_request.status == Status.RESOLVED


def _to(status, card_request, specialist, agent):
    """Walk a request to `status` through the services."""
    if status == Status.NEW:
        return card_request
    card_request = claimed(card_request, specialist)
    if status == Status.IN_PROGRESS:
        return card_request
    if status == Status.NEEDS_INFO:
        return services.card_request_ask_info(
            actor=specialist, card_request=card_request, question="?"
        )
    if status == Status.REJECTED:
        return services.card_request_reject(
            actor=specialist, card_request=card_request, reason="no"
        )
    card_request = services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
    )
    if status == Status.RESOLVED:
        return card_request
    return services.card_request_confirm(
        actor=agent, card_request=card_request, works=True
    )


SPECIALIST_ACTIONS = {
    "claim": lambda s, cr: services.card_request_claim(actor=s, card_request=cr),
    "unclaim": lambda s, cr: services.card_request_unclaim(actor=s, card_request=cr),
    "ask_info": lambda s, cr: services.card_request_ask_info(
        actor=s, card_request=cr, question="?"
    ),
    "resolve": lambda s, cr: services.card_request_resolve(
        actor=s, card_request=cr, outcome=Outcome.UNBLOCKED
    ),
    "reject": lambda s, cr: services.card_request_reject(
        actor=s, card_request=cr, reason="no"
    ),
    "transfer": lambda s, cr: services.card_request_transfer(
        actor=s, card_request=cr, house=house("CJ")
    ),
}
AGENT_ACTIONS = {
    "give_info": lambda a, cr: services.card_request_give_info(
        actor=a, card_request=cr, answer="!"
    ),
    "confirm": lambda a, cr: services.card_request_confirm(
        actor=a, card_request=cr, works=True
    ),
    "reopen": lambda a, cr: services.card_request_confirm(
        actor=a, card_request=cr, works=False
    ),
}
ALLOWED_FROM = {
    "claim": {Status.NEW},
    "unclaim": {Status.IN_PROGRESS},
    "ask_info": {Status.IN_PROGRESS},
    "resolve": {Status.IN_PROGRESS},
    "reject": {Status.IN_PROGRESS},
    "transfer": {Status.NEW, Status.IN_PROGRESS},
    "give_info": {Status.NEEDS_INFO},
    "confirm": {Status.RESOLVED},
    "reopen": {Status.RESOLVED},
}
FORBIDDEN = [
    (action, status)
    for action, allowed in ALLOWED_FROM.items()
    for status in Status
    if status not in allowed
    # Claiming one's own claimed request is a no-op; another's is AlreadyClaimed.
    and (action, status) != ("claim", Status.IN_PROGRESS)
]


@pytest.mark.parametrize(("action", "status"), FORBIDDEN)
def test_a_transition_the_state_forbids_is_refused(
    card_request, specialist, provider_agent, action, status
):
    card_request = _to(status, card_request, specialist, provider_agent)
    before = Event.objects.filter(card_request=card_request).count()
    if action in SPECIALIST_ACTIONS:
        run = SPECIALIST_ACTIONS[action]
        actor = specialist
    else:
        run = AGENT_ACTIONS[action]
        actor = provider_agent

    with pytest.raises(TransitionNotAllowed):
        run(actor, card_request)

    assert CardRequest.objects.get(pk=card_request.pk).status == status
    assert Event.objects.filter(card_request=card_request).count() == before


@pytest.mark.parametrize(
    ("action", "status"),
    [(a, s) for a, allowed in ALLOWED_FROM.items() for s in allowed],
)
def test_each_transition_writes_exactly_one_event(
    card_request, specialist, provider_agent, action, status
):
    card_request = _to(status, card_request, specialist, provider_agent)
    before = (
        Event.objects.filter(card_request=card_request)
        .exclude(kind=EventKind.NOTIFIED)
        .count()
    )
    run = SPECIALIST_ACTIONS.get(action) or AGENT_ACTIONS[action]
    actor = specialist if action in SPECIALIST_ACTIONS else provider_agent

    run(actor, card_request)

    after = Event.objects.filter(card_request=card_request).exclude(
        kind=EventKind.NOTIFIED
    )
    assert after.count() == before + 1
    assert after.last().actor == actor
