"""Filing and every transition of a card request.

Each transition runs in one transaction: lock the row, check the state, check the
permission, save, append one timeline event, and queue side effects on commit.
`_move` is the only code that assigns `CardRequest.status`.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.exceptions import AlreadyClaimed, DuplicateElsewhere, TransitionNotAllowed
from cards.guidance import DEFAULT_CODE_FOR_KIND, FILEABLE_CODES, READER_ERRORS
from cards.models import (
    FIRST_ACTION_EVENTS,
    OPEN_STATUSES,
    TRANSITIONS,
    CardRequest,
    Event,
    EventKind,
    Kind,
    Outcome,
    Priority,
    Source,
    Status,
    Template,
)
from cards.permissions import Action, ensure_can, has_role_for, works_queue_of
from cards.services.notifications import notifications_queue
from cards.services.sla import due_at_for
from cards.services.versions import kept_for_routing
from helpdesk.prefetch import prefetched_install
from providers.models import House, Location, Office, OfficeKind, Person, Provider
from providers.selectors import office_for
from providers.validators import (
    normalize_card_number,
    normalize_cid,
    validate_no_pin,
)

OUTCOME_FOR_KIND = {Kind.BLOCKED: Outcome.UNBLOCKED, Kind.INVALID: Outcome.REACTIVATED}
_OUTCOME_MESSAGE = {
    Kind.BLOCKED: gettext_lazy("A blocked card is resolved as unblocked."),
    Kind.INVALID: gettext_lazy("An invalid card is resolved as reactivated."),
}


def lock_card_request(card_request_id: int) -> CardRequest:
    """Re-read the request under a row lock (SQLite: the IMMEDIATE transaction's
    database lock), so that concurrent transitions run one after the other."""
    return CardRequest.objects.select_for_update().get(pk=card_request_id)


# Filing -------------------------------------------------------------------------


def _kind_and_code(kind: str | None, error_code: int | None) -> tuple[str, int]:
    if error_code is None:
        if kind not in DEFAULT_CODE_FOR_KIND:
            raise ValidationError(
                {"kind": _("Choose blocked (error 15) or invalid (error 5 or 17).")}
            )
        return kind, DEFAULT_CODE_FOR_KIND[kind]
    if error_code not in FILEABLE_CODES:
        known = READER_ERRORS.get(error_code)
        if known is None:
            message = _(
                "Reader error %(code)s is not one the CAS fixes: only 15 (blocked "
                "card) and 5 or 17 (invalid card) are filed here."
            ) % {"code": error_code}
        else:
            message = _("Error %(code)s: %(meaning)s %(advice)s") % {
                "code": error_code,
                "meaning": known.meaning,
                "advice": known.advice,
            }
        raise ValidationError({"error_code": message})
    implied = FILEABLE_CODES[error_code]
    if kind and kind != implied:
        raise ValidationError(
            {
                "error_code": _(
                    "Reader error %(code)s does not match the kind chosen: 15 is a "
                    "blocked card, 5 and 17 an invalid card."
                )
                % {"code": error_code}
            }
        )
    return implied, error_code


def _identifier(kind: str, cid: str, card_number: str) -> str:
    if kind == Kind.BLOCKED:
        if card_number and not cid:
            raise ValidationError(
                {
                    "cid": _(
                        "A blocked card (error 15) is unblocked by its CID, the "
                        "20-digit code on the card, not by the card number."
                    )
                }
            )
        try:
            return normalize_cid(cid)
        except ValidationError as error:
            raise ValidationError({"cid": error.messages}) from None
    if cid and not card_number:
        raise ValidationError(
            {
                "card_number": _(
                    "An invalid card (error 5 or 17) is fixed by its card number, the "
                    "16 characters on the card, not by the CID."
                )
            }
        )
    try:
        return normalize_card_number(card_number)
    except ValidationError as error:
        raise ValidationError({"card_number": error.messages}) from None


# One statement whether or not the month's counter exists yet; the row stays locked
# until the filing commits, so a number is never given twice. (Django's update
# returns no rows; PostgreSQL and SQLite both take this.)
_NEXT_NUMBER = (
    'INSERT INTO "cards_referencesequence" ("prefix", "last") VALUES (%s, 1) '
    'ON CONFLICT ("prefix") DO UPDATE '
    'SET "last" = "cards_referencesequence"."last" + 1 RETURNING "last"'
)


def _next_reference(house: House) -> str:
    """The next number of this house and month."""
    prefix = f"{house.code}-{timezone.localtime():%y%m}"
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [prefix])
        (last,) = cursor.fetchone()
    return f"{prefix}-{last:05d}"


def _route(card_request: CardRequest, house: House, *, start: datetime) -> None:
    """Place the request in `house`'s queue: office by provider category, urgency,
    and due time from that office (its target in working time from `start`); a
    request placed again is not escalated yet in its new place."""
    category = card_request.provider.category
    office: Office = kept_for_routing(
        f"office:{house.pk}:{category}",
        lambda: office_for(house=house, category=category),
    )
    card_request.house = house
    card_request.office = office
    card_request.priority = (
        Priority.URGENT if office.kind == OfficeKind.HOSPITAL else Priority.NORMAL
    )
    card_request.due_at = due_at_for(office=office, start=start)
    card_request.escalated_at = None


def card_request_file(
    *,
    actor: Person,
    source: str,
    house: House | None,
    kind: str | None = None,
    error_code: int | None = None,
    cid: str = "",
    card_number: str = "",
    note: str = "",
    provider: Provider | None = None,
    location: Location | None = None,
) -> tuple[CardRequest, bool]:
    """File a request into the queue of the card's house. A card that already has
    an open request of this provider returns that one (created=False). A new
    request comes back with its timeline and messages loaded."""
    ensure_can(actor, Action.FILE)
    if actor.provider_id is not None:
        provider, location = actor.provider, location or actor.location
    if provider is None:
        raise ValidationError(
            {"provider": _("Name the provider the card was read at.")}
        )
    house = house or provider.house
    kind, error_code = _kind_and_code(kind, error_code)
    identifier = _identifier(kind, cid, card_number)
    note = _text("note", note)
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    if not house.is_active:
        raise ValidationError(
            {"insurer_house": _("This house no longer takes requests.")}
        )

    # The card's open request, if it has one, is told by the one-open-request-per-
    # card constraint: the new request's insert fails, and the filing is undone
    # whole (its reference number too). No read before: most filings are new.
    try:
        with transaction.atomic():
            card_request = CardRequest(
                kind=kind,
                error_code=error_code,
                identifier=identifier,
                provider=provider,
                location=location,
                filed_by=actor,
                source=source,
                note=note,
                created_at=timezone.now(),
            )
            _route(card_request, house, start=card_request.created_at)
            card_request.reference = _next_reference(house)
            card_request.save()
            filed = Event.objects.create(
                card_request=card_request,
                created_at=card_request.created_at,
                kind=EventKind.FILED,
                actor=actor,
                to_status=Status.NEW,
                to_house=house,
            )
    except IntegrityError:
        existing = _open_request_for(kind, identifier)
        if existing is None:
            raise
        return _existing_or_refuse(existing, provider), False
    # As it stands: its timeline the one event, and no message (filing sends none).
    prefetched_install(card_request, "events", [filed])
    prefetched_install(card_request, "notifications", [])
    return card_request, True


def _open_request_for(kind: str, identifier: str) -> CardRequest | None:
    return (
        CardRequest.objects.select_related("house")
        .filter(kind=kind, identifier=identifier, status__in=OPEN_STATUSES)
        .first()
    )


def _existing_or_refuse(existing: CardRequest, provider: Provider) -> CardRequest:
    if existing.provider_id != provider.pk:
        # Another provider's request: say it exists, reveal nothing of it.
        raise DuplicateElsewhere(
            _(
                "This card already has an open request at %(house)s, filed by another "
                "provider. The CAS is handling it; there is no need to file again."
            )
            % {"house": existing.house.short_name}
        )
    return existing


# Transitions --------------------------------------------------------------------

_ACTION_PAST = {
    Action.CLAIM: gettext_lazy("claimed"),
    Action.UNCLAIM: gettext_lazy("released"),
    Action.ASK_INFO: gettext_lazy("sent a question"),
    Action.GIVE_INFO: gettext_lazy("answered"),
    Action.RESOLVE: gettext_lazy("resolved"),
    Action.REJECT: gettext_lazy("rejected"),
    Action.TRANSFER: gettext_lazy("transferred"),
    Action.CONFIRM: gettext_lazy("confirmed"),
    Action.REASSIGN: gettext_lazy("reassigned"),
}


def _check(
    card_request: CardRequest,
    *,
    actor: Person | None,
    action: Action,
    to: str,
    sources: tuple[str, ...] = (),
    system: bool = False,
) -> None:
    """The state check (the table, and the action's own source statuses when several
    actions share a move), then the permission check: skipped only for a `system`
    transition (a periodic job, actor None), never the state check."""
    if to not in TRANSITIONS[card_request.status] or (
        sources and card_request.status not in sources
    ):
        raise TransitionNotAllowed(
            _("This request's status is “%(status)s”: it cannot be %(action)s now.")
            % {
                "status": card_request.get_status_display(),
                "action": _ACTION_PAST[action],
            }
        )
    if system and actor is None:
        return
    ensure_can(actor, action, card_request)


def _move(
    card_request: CardRequest,
    *,
    to: str,
    actor: Person | None,
    event: str,
    fields: tuple[str, ...] = (),
    text: str = "",
    from_house: House | None = None,
    at: datetime | None = None,
) -> Event:
    """Save the move and record its event, both at `at` (the instant the caller
    counted any new time from), or now."""
    at = at or timezone.now()
    from_status = card_request.status
    card_request.status = to
    if event in FIRST_ACTION_EVENTS and card_request.first_action_at is None:
        card_request.first_action_at = at
        fields = (*fields, "first_action_at")
    card_request.save(update_fields=["status", "updated_at", *fields])
    return Event.objects.create(
        card_request=card_request,
        created_at=at,
        kind=event,
        actor=actor,
        from_status=from_status,
        to_status=to,
        from_house=from_house,
        to_house=card_request.house if from_house else None,
        text=text,
    )


def _text(field: str, value: str, *, required: str = "") -> str:
    """Free text from a user: stripped, required when `required` says why, and
    never carrying a PIN."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: required})
    try:
        validate_no_pin(text)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    return text


@transaction.atomic
def card_request_claim(*, actor: Person, card_request: CardRequest) -> CardRequest:
    """Take a new request. Of two specialists claiming at once exactly one wins; the
    other gets AlreadyClaimed naming the winner. Claiming one's own is a no-op."""
    card_request = lock_card_request(card_request.pk)
    if card_request.status == Status.IN_PROGRESS:
        if card_request.assignee_id == actor.pk:
            return card_request
        ensure_can(actor, Action.CLAIM, card_request)
        raise AlreadyClaimed(by=str(card_request.assignee))
    _check(
        card_request,
        actor=actor,
        action=Action.CLAIM,
        to=Status.IN_PROGRESS,
        sources=(Status.NEW,),
    )
    card_request.assignee = actor
    _move(
        card_request,
        to=Status.IN_PROGRESS,
        actor=actor,
        event=EventKind.CLAIMED,
        fields=("assignee",),
    )
    return card_request


@transaction.atomic
def card_request_unclaim(*, actor: Person, card_request: CardRequest) -> CardRequest:
    """Put a claimed request back in the queue, unassigned."""
    card_request = lock_card_request(card_request.pk)
    _check(
        card_request,
        actor=actor,
        action=Action.UNCLAIM,
        to=Status.NEW,
        sources=(Status.IN_PROGRESS,),
    )
    card_request.assignee = None
    _move(
        card_request,
        to=Status.NEW,
        actor=actor,
        event=EventKind.UNCLAIMED,
        fields=("assignee",),
    )
    return card_request


# Who a supervisor may give a request to: a request still with the CAS.
REASSIGNABLE_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.NEEDS_INFO)


@transaction.atomic
def card_request_reassign(
    *, actor: Person, card_request: CardRequest, assignee: Person
) -> CardRequest:
    """A supervisor gives the request to a specialist of its queue: a new request
    becomes theirs, in progress; a claimed one changes hands and keeps its status."""
    card_request = lock_card_request(card_request.pk)
    to = (
        Status.IN_PROGRESS if card_request.status == Status.NEW else card_request.status
    )
    _check(
        card_request,
        actor=actor,
        action=Action.REASSIGN,
        to=to,
        sources=REASSIGNABLE_STATUSES,
    )
    if not (
        has_role_for(assignee, Action.CLAIM)
        and assignee.house_id == card_request.house_id
        and works_queue_of(assignee, card_request)
    ):
        raise ValidationError(
            {
                "assignee": _("%(name)s does not work this request's queue.")
                % {"name": assignee}
            }
        )
    if assignee.pk == card_request.assignee_id:
        raise ValidationError(
            {
                "assignee": _("The request is already with %(name)s.")
                % {"name": assignee}
            }
        )
    previous = card_request.assignee
    card_request.assignee = assignee
    _move(
        card_request,
        to=to,
        actor=actor,
        event=EventKind.REASSIGNED,
        fields=("assignee",),
        # Names only: the timeline's label says what happened, in each reader's
        # language.
        text=f"{previous} → {assignee}" if previous else f"→ {assignee}",
    )
    return card_request


@transaction.atomic
def card_request_ask_info(
    *, actor: Person, card_request: CardRequest, question: str
) -> CardRequest:
    """Ask the provider a question; the provider is notified."""
    card_request = lock_card_request(card_request.pk)
    _check(
        card_request,
        actor=actor,
        action=Action.ASK_INFO,
        to=Status.NEEDS_INFO,
        sources=(Status.IN_PROGRESS,),
    )
    question = _text("question", question, required=_("Write the question."))
    _move(
        card_request,
        to=Status.NEEDS_INFO,
        actor=actor,
        event=EventKind.INFO_REQUESTED,
        text=question,
    )
    notifications_queue(card_request=card_request, template=Template.INFO_REQUESTED)
    return card_request


@transaction.atomic
def card_request_give_info(
    *, actor: Person, card_request: CardRequest, answer: str
) -> CardRequest:
    """Answer the CAS's question; the request returns to its house's queue and the
    specialist who asked is told in the app."""
    card_request = lock_card_request(card_request.pk)
    _check(
        card_request,
        actor=actor,
        action=Action.GIVE_INFO,
        to=Status.NEW,
        sources=(Status.NEEDS_INFO,),
    )
    answer = _text("answer", answer, required=_("Write the answer."))
    asked_by = card_request.assignee
    card_request.assignee = None
    _move(
        card_request,
        to=Status.NEW,
        actor=actor,
        event=EventKind.INFO_GIVEN,
        fields=("assignee",),
        text=answer,
    )
    if asked_by is not None:
        notifications_queue(
            card_request=card_request, template=Template.INFO_GIVEN, staff=asked_by
        )
    return card_request


@transaction.atomic
def card_request_resolve(
    *, actor: Person, card_request: CardRequest, outcome: str, note: str = ""
) -> CardRequest:
    """Record that the card was fixed in the national system and tell the provider
    what to do next (the PIN reset steps for a blocked card)."""
    card_request = lock_card_request(card_request.pk)
    _check(card_request, actor=actor, action=Action.RESOLVE, to=Status.RESOLVED)
    if outcome != OUTCOME_FOR_KIND[card_request.kind]:
        raise ValidationError({"outcome": _OUTCOME_MESSAGE[card_request.kind]})
    note = _text("note", note)
    card_request.outcome = outcome
    card_request.resolved_at = timezone.now()
    _move(
        card_request,
        to=Status.RESOLVED,
        actor=actor,
        event=EventKind.RESOLVED,
        fields=("outcome", "resolved_at"),
        text=note,
        at=card_request.resolved_at,
    )
    notifications_queue(card_request=card_request, template=Template.RESOLVED)
    return card_request


@transaction.atomic
def card_request_reject(
    *, actor: Person, card_request: CardRequest, reason: str
) -> CardRequest:
    """Refuse the request with a reason the provider reads."""
    card_request = lock_card_request(card_request.pk)
    _check(card_request, actor=actor, action=Action.REJECT, to=Status.REJECTED)
    reason = _text("reason", reason, required=_("Give the reason for rejecting."))
    card_request.closed_at = timezone.now()
    _move(
        card_request,
        to=Status.REJECTED,
        actor=actor,
        event=EventKind.REJECTED,
        fields=("closed_at",),
        text=reason,
        at=card_request.closed_at,
    )
    notifications_queue(card_request=card_request, template=Template.REJECTED)
    return card_request


@transaction.atomic
def card_request_transfer(
    *, actor: Person, card_request: CardRequest, house: House, note: str = ""
) -> CardRequest:
    """Move the request to another house's queue, where it starts again as new."""
    card_request = lock_card_request(card_request.pk)
    _check(
        card_request,
        actor=actor,
        action=Action.TRANSFER,
        to=Status.NEW,
        sources=(Status.NEW, Status.IN_PROGRESS),
    )
    if house.pk == card_request.house_id:
        raise ValidationError({"house": _("The request is already in this house.")})
    if not house.is_active:
        raise ValidationError({"house": _("This house no longer takes requests.")})
    note = _text("note", note)
    from_house = card_request.house
    card_request.assignee = None
    now = timezone.now()
    _route(card_request, house, start=now)
    _move(
        card_request,
        to=Status.NEW,
        actor=actor,
        event=EventKind.TRANSFERRED,
        fields=("assignee", "house", "office", "priority", "due_at", "escalated_at"),
        text=note,
        from_house=from_house,
        at=now,
    )
    return card_request


@transaction.atomic
def card_request_confirm(
    *,
    actor: Person,
    card_request: CardRequest,
    works: bool,
    reader_error: int | None = None,
    note: str = "",
) -> CardRequest:
    """The provider's answer after the fix: the card works (closed) or still fails
    (reopened in the queue, with what the reader now shows)."""
    card_request = lock_card_request(card_request.pk)
    to = Status.CLOSED if works else Status.NEW
    _check(
        card_request,
        actor=actor,
        action=Action.CONFIRM,
        to=to,
        sources=(Status.RESOLVED,),
    )
    note = _text("note", note)
    if works:
        card_request.closed_at = timezone.now()
        _move(
            card_request,
            to=Status.CLOSED,
            actor=actor,
            event=EventKind.CONFIRMED,
            fields=("closed_at",),
            text=note,
            at=card_request.closed_at,
        )
        return card_request
    if reader_error is not None:
        note = _("The reader shows error %(code)s. %(note)s") % {
            "code": reader_error,
            "note": note,
        }
    # Back in the queue: a new target from now (the card still does not work).
    card_request.assignee = None
    card_request.outcome = ""
    card_request.resolved_at = None
    now = timezone.now()
    card_request.due_at = due_at_for(office=card_request.office, start=now)
    card_request.escalated_at = None
    _move(
        card_request,
        to=Status.NEW,
        actor=actor,
        event=EventKind.REOPENED,
        fields=("assignee", "outcome", "resolved_at", "due_at", "escalated_at"),
        text=note.strip(),
        at=now,
    )
    return card_request


@transaction.atomic
def card_request_auto_close(
    *, card_request_id: int, resolved_before: datetime, now: datetime
) -> CardRequest | None:
    """Close, by the system, a request resolved before `resolved_before` that the
    provider never confirmed; None when it no longer qualifies (it was reopened or
    resolved again since)."""
    card_request = lock_card_request(card_request_id)
    _check(
        card_request,
        actor=None,
        action=Action.CONFIRM,
        to=Status.CLOSED,
        sources=(Status.RESOLVED,),
        system=True,
    )
    if card_request.resolved_at is None or card_request.resolved_at > resolved_before:
        return None
    card_request.closed_at = now
    _move(
        card_request,
        to=Status.CLOSED,
        actor=None,
        event=EventKind.AUTO_CLOSED,
        fields=("closed_at",),
    )
    return card_request
