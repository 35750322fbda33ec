"""Periodic housekeeping: closing requests the provider never confirmed, and
erasing personal data once the retention time after closing has passed.

The purge erases the CID or card number (the column is emptied, not hidden) and
the request's note, and deletes the request's API idempotency keys (their
fingerprint is a hash of a body that carried the identifier). It keeps what the
statistics need: kind, reader error, house, office, provider, source, status,
outcome and every timestamp, and the timeline. Timeline texts (questions, answers,
reasons) are kept, as the audit trail, but anything in them shaped like the
identifier (or any CID, CNP or card number) is cut to its last 4; so are the notes
of the calls linked to the request (or naming its identifier), its notifications'
last errors and any admin log entry naming it. PIN-like numbers were already
refused when they were typed.

Nothing else holds an identifier: notifications store no rendered text (they are
rendered when sent, with the last 4 only), the identifier access records name the
request and never its identifier, sessions and the cache never receive one, and
logs and broker messages never carry one (tests/identifier_guard.py checks the
whole test suite for that).
"""

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cards.exceptions import TransitionNotAllowed
from cards.masking import mask_text
from cards.models import (
    Call,
    CardRequest,
    Event,
    EventKind,
    IdempotencyKey,
    Notification,
    Status,
)
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
    _scrub_copies(card_request)
    card_request.identifier = ""
    card_request.note = ""
    card_request.purged_at = now
    card_request.save(update_fields=["identifier", "note", "purged_at"])
    IdempotencyKey.objects.filter(card_request=card_request).delete()
    Event.objects.create(card_request=card_request, kind=EventKind.PURGED)
    return True


def _identifier_pattern(identifier: str) -> re.Pattern:
    """The identifier as people type it: any case, spaces, dots or dashes between
    its characters."""
    separators = r"[\s.\-]*"
    return re.compile(
        separators.join(re.escape(char) for char in identifier), re.IGNORECASE
    )


def _scrubbed(text: str, pattern: re.Pattern, last4: str) -> str:
    return mask_text(pattern.sub("…" + last4, text))


# Calls about a card are logged around the time its request was open: an unlinked
# call (the operator filed nothing, or linked nothing) is looked for in the houses
# the request was in, from a day before it was filed to a day after it closed.
CALL_WINDOW = timedelta(days=1)


def _calls_about(card_request: CardRequest):
    houses = {card_request.house_id} | set(
        card_request.events.filter(from_house__isnull=False).values_list(
            "from_house_id", flat=True
        )
    )
    moments = [card_request.created_at, card_request.closed_at or timezone.now()]
    around = Q(
        house_id__in=houses,
        started_at__gte=min(moments) - CALL_WINDOW,
        started_at__lte=max(moments) + CALL_WINDOW,
    )
    return Call.objects.filter(Q(card_requests=card_request) | around).distinct()


def _scrub_copies(card_request: CardRequest) -> None:
    """Cut the identifier out of every free text that may quote it: the request's
    timeline, the calls about it, its notifications' errors, admin log entries."""
    identifier = card_request.identifier
    if not identifier:
        return
    pattern, last4 = _identifier_pattern(identifier), identifier[-4:]
    texts = [
        (Event.objects.filter(card_request=card_request), ["text"]),
        (_calls_about(card_request), ["note"]),
        (Notification.objects.filter(card_request=card_request), ["last_error"]),
        (
            LogEntry.objects.filter(
                Q(object_repr__icontains=identifier)
                | Q(change_message__icontains=identifier)
            ),
            ["object_repr", "change_message"],
        ),
    ]
    for queryset, fields in texts:
        for row in queryset.only("pk", *fields):
            changes = {
                field: _scrubbed(getattr(row, field), pattern, last4)
                for field in fields
            }
            changes = {f: v for f, v in changes.items() if v != getattr(row, f)}
            if changes:
                type(row).objects.filter(pk=row.pk).update(**changes)
