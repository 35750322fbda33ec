"""Target times in working time, and the escalation of requests that pass them.

Working time is an office's hours (Monday to Thursday opens_at–closes_at, Friday
opens_at–friday_closes_at or closes_at), in Europe/Bucharest wall-clock time,
without weekends and Romanian public holidays (the `holidays` package, which also
knows the Orthodox Easter and Pentecost dates). Every office counts this way,
hospital and emergency offices included: their requests are urgent (first in the
queue), not counted around the clock.
"""

import logging
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.db import transaction
from django.utils import timezone

from cards.models import CardRequest, Event, EventKind, Status, Template
from cards.services.notifications import notifications_queue
from providers.models import Office

logger = logging.getLogger(__name__)

OFFICE_TIMEZONE = ZoneInfo("Europe/Bucharest")
# Statuses in which the CAS owes the next step (a resolved request waits for the
# provider): only these are escalated.
ESCALATED_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.NEEDS_INFO)
# Far enough for any target (a target of a year of working minutes ends within two).
_MAX_DAYS = 1100


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("RO", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, except Romanian public holidays."""
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def _office_hours(office: Office, day: date) -> tuple[datetime, datetime] | None:
    """Opening and closing of the office on `day` (aware, UTC), or None when shut."""
    if not is_working_day(day):
        return None
    closes = office.closes_at
    if day.weekday() == 4 and office.friday_closes_at is not None:
        closes = office.friday_closes_at
    opening = datetime.combine(day, office.opens_at, tzinfo=OFFICE_TIMEZONE)
    closing = datetime.combine(day, closes, tzinfo=OFFICE_TIMEZONE)
    if closing <= opening:
        return None
    return opening.astimezone(UTC), closing.astimezone(UTC)


def due_at_for(*, office: Office, start: datetime) -> datetime:
    """`start` plus the office's target counted in its working minutes only; outside
    office hours the count starts at the next opening."""
    remaining = timedelta(minutes=office.sla_minutes)
    start = start.astimezone(UTC)
    day = start.astimezone(OFFICE_TIMEZONE).date()
    for _ in range(_MAX_DAYS):
        hours = _office_hours(office, day)
        if hours is not None:
            begin, end = max(hours[0], start), hours[1]
            if begin < end:
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError(f"office {office.pk} has no working time within {_MAX_DAYS} days")


def card_requests_escalate(*, now: datetime | None = None) -> int:
    """Open requests past their due time are escalated once: escalated_at set, one
    ESCALATED event, and a message to every active supervisor of the house."""
    now = now or timezone.now()
    ids = list(
        CardRequest.objects.filter(
            status__in=ESCALATED_STATUSES, due_at__lt=now, escalated_at__isnull=True
        )
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:1000]
    )
    escalated = 0
    for card_request_id in ids:
        if _escalate_one(card_request_id, now):
            escalated += 1
    if escalated:
        logger.info("escalated %s requests past their target time", escalated)
    return escalated


@transaction.atomic
def _escalate_one(card_request_id: int, now: datetime) -> bool:
    # Imported here: lifecycle imports this module for due times.
    from cards.services.lifecycle import lock_card_request

    card_request = lock_card_request(card_request_id)
    # Re-checked under the lock: a concurrent run (or a transition) may have won.
    if (
        card_request.escalated_at is not None
        or card_request.status not in ESCALATED_STATUSES
        or card_request.due_at >= now
    ):
        return False
    card_request.escalated_at = now
    card_request.save(update_fields=["escalated_at"])
    Event.objects.create(card_request=card_request, kind=EventKind.ESCALATED)
    notifications_queue(card_request=card_request, template=Template.SLA_BREACHED)
    return True
