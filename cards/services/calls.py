"""Logging phone calls on a house's lines."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.guidance import FILEABLE_CODES, READER_ERRORS
from cards.models import Call, CallOutcome, CallReason, CardRequest, Source
from cards.permissions import Action, ensure_can
from cards.services.lifecycle import card_request_file
from providers.models import House, Office, Person, Provider
from providers.validators import normalize_phone, validate_no_pin


@transaction.atomic
def call_log(
    *,
    actor: Person,
    caller_phone: str,
    provider: Provider | None = None,
    office: Office | None = None,
    reason: str = CallReason.OTHER,
    outcome: str = CallOutcome.OTHER,
    note: str = "",
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    card_requests: list[CardRequest] | tuple = (),
) -> Call:
    """Record a call on the operator's house line. Linked requests must already be
    visible to the operator (the caller resolves them through the scope)."""
    ensure_can(actor, Action.LOG_CALL)
    errors: dict[str, str | list[str]] = {}
    try:
        caller_phone = normalize_phone(caller_phone)
    except ValidationError as error:
        errors["caller_phone"] = error.messages
    try:
        validate_no_pin(note)
    except ValidationError as error:
        errors["note"] = error.messages
    started_at = started_at or timezone.now()
    if ended_at is not None and ended_at < started_at:
        errors["ended_at"] = _("The call cannot end before it started.")
    house = actor.house or (office.house if office else None)
    if house is None:
        errors["office"] = _("Name the office whose line took the call.")
    elif office is not None and office.house_id != house.pk:
        errors["office"] = _("This office is not one of your house's.")
    if errors:
        raise ValidationError(errors)
    call = Call.objects.create(
        operator=actor,
        house=house,
        office=office,
        caller_phone=caller_phone,
        provider=provider,
        reason=reason,
        outcome=outcome,
        note=note,
        started_at=started_at,
        ended_at=ended_at,
    )
    if card_requests:
        call.card_requests.set(card_requests)
    return call


# Filing keys that the call form names differently (its own note is the call's).
_FILING_FIELDS = {
    "kind": "error_code",
    "insurer_house": "house",
    "note": "request_note",
}


@transaction.atomic
def call_log_and_file(
    *,
    actor: Person,
    caller_phone: str,
    provider: Provider | None = None,
    office: Office | None = None,
    reason: str = CallReason.OTHER,
    outcome: str = CallOutcome.OTHER,
    note: str = "",
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    error_code: int | None = None,
    house: House | None = None,
    cid: str = "",
    card_number: str = "",
    request_note: str = "",
) -> tuple[Call, CardRequest | None, bool]:
    """Log a call and file the caller's request in the same transaction (source:
    phone), the call then recorded as "request filed" and linked to it. A card with
    an open request of this provider links that one (created=False). A reader code
    the CAS does not fix files nothing: the call is logged as answered. Field
    errors of both steps are raised together, under the names of these arguments."""
    ensure_can(actor, Action.LOG_CALL)
    errors: dict[str, list[str]] = {}
    card_request, created = None, False
    if error_code in READER_ERRORS and error_code not in FILEABLE_CODES:
        # Answered on the phone with the code's advice; nothing for a specialist.
        if outcome == CallOutcome.REQUEST_FILED:
            outcome = CallOutcome.ANSWERED
    else:
        try:
            with transaction.atomic():
                card_request, created = card_request_file(
                    actor=actor,
                    source=Source.PHONE,
                    provider=provider,
                    house=house,
                    error_code=error_code,
                    cid=cid,
                    card_number=card_number,
                    note=request_note,
                )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[_FILING_FIELDS.get(field, field)] = messages
        outcome = CallOutcome.REQUEST_FILED
    try:
        call = call_log(
            actor=actor,
            caller_phone=caller_phone,
            provider=provider,
            office=office,
            reason=reason,
            outcome=outcome,
            note=note,
            started_at=started_at,
            ended_at=ended_at,
            card_requests=[card_request] if card_request else [],
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return call, card_request, created
