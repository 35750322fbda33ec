"""Logging phone calls on a house's lines."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.models import Call, CallOutcome, CallReason, CardRequest
from cards.permissions import Action, ensure_can
from providers.models import Office, Person, Provider
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
