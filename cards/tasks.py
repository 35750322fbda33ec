"""Celery tasks: each takes ids, calls one service and owns its retry policy."""

from celery import shared_task
from django.conf import settings

from cards.models import NotificationStatus
from cards.services import (
    card_requests_auto_close,
    card_requests_escalate,
    card_requests_purge_personal_data,
    notification_deliver,
    notifications_sweep,
)

# Delivery backoff: 30 s, 60 s, 120 s, 240 s... capped at 30 min, which stays under
# the broker's visibility timeout (1 h) so a waiting retry is not redelivered.
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 1800
# The service gives up (status failed) after NOTIFICATION_MAX_ATTEMPTS attempts,
# that is after at most NOTIFICATION_MAX_ATTEMPTS - 1 retries; this bound is the
# task's explicit backstop. A row left pending is published again by the sweep.
DELIVERY_MAX_RETRIES = settings.NOTIFICATION_MAX_ATTEMPTS


@shared_task(bind=True, acks_late=True, max_retries=DELIVERY_MAX_RETRIES)
def notification_deliver_task(self, notification_id: int) -> str | None:
    """Deliver one notification; retry with exponential backoff while the service
    keeps it pending (it gives up after NOTIFICATION_MAX_ATTEMPTS). Run in process
    (no broker), a failed attempt is left to the outbox sweep instead."""
    notification = notification_deliver(notification_id=notification_id)
    if notification is None:
        return None
    if notification.status == NotificationStatus.PENDING and not self.request.is_eager:
        countdown = min(
            RETRY_BACKOFF_SECONDS * 2 ** (notification.attempts - 1),
            RETRY_BACKOFF_MAX_SECONDS,
        )
        raise self.retry(countdown=countdown)
    return notification.status


@shared_task(acks_late=True)
def notifications_sweep_task() -> int:
    """Re-publish notifications left pending (see notifications_sweep)."""
    return notifications_sweep()


# The periodic jobs below never retry: beat runs them again soon (every minute,
# hourly, nightly) and each run picks up whatever the previous one left.


@shared_task(acks_late=True)
def sla_escalation_task() -> int:
    """Escalate requests past their target time (see card_requests_escalate)."""
    return card_requests_escalate()


@shared_task(acks_late=True)
def auto_close_task() -> int:
    """Close resolved requests never confirmed (see card_requests_auto_close)."""
    return card_requests_auto_close()


@shared_task(acks_late=True)
def personal_data_purge_task() -> int:
    """Erase old personal data (see card_requests_purge_personal_data)."""
    return card_requests_purge_personal_data()
