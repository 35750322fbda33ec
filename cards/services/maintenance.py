"""Periodic housekeeping: closing requests the provider never confirmed, and
erasing personal data once the retention time after closing has passed.

The purge erases the CID or card number (the column is emptied, not hidden) and
the request's note, and deletes the request's API idempotency keys (their
fingerprint is a hash of a body that carried the identifier). It keeps what the
statistics need: kind, reader error, house, office, provider, source, status,
outcome and every timestamp, and the timeline. Timeline texts (questions, answers,
reasons) are kept: they are the audit trail, and PIN-like numbers were already
refused when they were typed.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cards.exceptions import TransitionNotAllowed
from cards.models import CardRequest, Event, EventKind, IdempotencyKey, Status
from cards.services.lifecycle import card_request_auto_close, lock_card_request

logger = logging.getLogger(__name__)

# One run handles at most this many rows; the next run continues.
BATCH_SIZE = 1000
PURGED_STATUSES = (Status.CLOSED, Status.REJECTED)


def card_requests_auto_close(*, now: datetime | None = None) -> int:
    """Resolved requests the provider has not confirmed within AUTO_CLOSE_AFTER_DAYS
    of the fix are closed by the system (event AUTO_CLOSED)."""
    now = now or timezone.now()
    resolved_before = now - timedelta(days=settings.AUTO_CLOSE_AFTER_DAYS)
    ids = list(
        CardRequest.objects.filter(
            status=Status.RESOLVED, resolved_at__lte=resolved_before
        )
        .order_by("resolved_at", "id")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    closed = 0
    for card_request_id in ids:
        try:
            if card_request_auto_close(
                card_request_id=card_request_id,
                resolved_before=resolved_before,
                now=now,
            ):
                closed += 1
        except TransitionNotAllowed:
            continue  # the provider answered (confirmed or reopened) meanwhile
    if closed:
        logger.info("auto-closed %s resolved requests", closed)
    return closed


def card_requests_purge_personal_data(*, now: datetime | None = None) -> int:
    """Closed or rejected requests older than PURGE_AFTER_DAYS since closing lose
    their identifier and note for good (event PURGED); statistics stay."""
    now = now or timezone.now()
    closed_before = now - timedelta(days=settings.PURGE_AFTER_DAYS)
    ids = list(
        CardRequest.objects.filter(
            status__in=PURGED_STATUSES,
            closed_at__lte=closed_before,
            purged_at__isnull=True,
        )
        .order_by("closed_at", "id")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    purged = sum(_purge_one(pk, closed_before, now) for pk in ids)
    if purged:
        logger.info("erased the personal data of %s closed requests", purged)
    return purged


@transaction.atomic
def _purge_one(card_request_id: int, closed_before: datetime, now: datetime) -> bool:
    card_request = lock_card_request(card_request_id)
    if (
        card_request.purged_at is not None
        or card_request.status not in PURGED_STATUSES
        or card_request.closed_at is None
        or card_request.closed_at > closed_before
    ):
        return False
    card_request.identifier = ""
    card_request.note = ""
    card_request.purged_at = now
    card_request.save(update_fields=["identifier", "note", "purged_at"])
    IdempotencyKey.objects.filter(card_request=card_request).delete()
    Event.objects.create(card_request=card_request, kind=EventKind.PURGED)
    return True
