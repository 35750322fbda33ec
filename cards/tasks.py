"""Celery tasks: each takes ids, calls one service and owns its retry policy."""

from celery import shared_task

from cards.models import NotificationStatus
from cards.services import notification_deliver, notifications_sweep

RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 1800


@shared_task(bind=True, acks_late=True, max_retries=None)
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
