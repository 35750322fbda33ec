"""The notification outbox: rows written in the transaction of the change they
announce, published to the broker after commit, delivered once by a task.

A broker that is down at commit time delays messages but loses none: publishing
fails fast and `notifications_sweep` re-publishes rows left pending. Delivery locks
the row and skips it once sent, so a redelivered task never sends twice.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cards.guidance import instructions_for
from cards.masking import mask_text
from cards.models import (
    CardRequest,
    Channel,
    Event,
    EventKind,
    Notification,
    NotificationStatus,
    Template,
)
from cards.selectors import in_app_notifications_for
from cards.services.versions import inbox_versions_bump
from cards.sms import get_sms_backend
from providers.models import Person, Role

logger = logging.getLogger(__name__)


def _provider_recipients(card_request: CardRequest) -> list[Notification]:
    """The on-site agent who filed it (in the app, and by email and SMS as they
    chose) and the provider's contact address; for a request filed by phone, every
    agent of the provider."""
    filer = card_request.filed_by
    if filer.provider_id == card_request.provider_id:
        agents = [filer]
    else:
        agents = list(card_request.provider.agents.filter(is_active=True))
    rows = []
    addresses = set()
    phones = set()
    for agent in agents:
        rows.append(
            Notification(
                recipient=agent, channel=Channel.IN_APP, language=agent.language
            )
        )
        if agent.notify_sms and agent.phone and agent.phone not in phones:
            phones.add(agent.phone)
            rows.append(
                Notification(
                    recipient=agent,
                    channel=Channel.SMS,
                    address=agent.phone,
                    language=agent.language,
                )
            )
        if not agent.notify_email:
            continue
        if agent.email and agent.email.lower() not in addresses:
            addresses.add(agent.email.lower())
            rows.append(
                Notification(
                    recipient=agent,
                    channel=Channel.EMAIL,
                    address=agent.email,
                    language=agent.language,
                )
            )
    contact = card_request.provider.email
    if contact and contact.lower() not in addresses:
        rows.append(Notification(channel=Channel.EMAIL, address=contact, language="ro"))
    return rows


def _supervisor_recipients(card_request: CardRequest) -> list[Notification]:
    """Every active supervisor of the request's house: in the app, and by email
    unless they turned email off."""
    rows = []
    supervisors = Person.objects.filter(
        house_id=card_request.house_id, role=Role.SUPERVISOR, is_active=True
    ).order_by("pk")
    for supervisor in supervisors:
        rows.append(
            Notification(
                recipient=supervisor,
                channel=Channel.IN_APP,
                language=supervisor.language,
            )
        )
        if supervisor.email and supervisor.notify_email:
            rows.append(
                Notification(
                    recipient=supervisor,
                    channel=Channel.EMAIL,
                    address=supervisor.email,
                    language=supervisor.language,
                )
            )
    return rows


def notifications_queue(
    *, card_request: CardRequest, template: str, staff: Person | None = None
) -> list[Notification]:
    """Store the messages announcing a change (to the provider, or in the app to one
    CAS staff member) in the caller's transaction; publish them once it commits."""
    if staff is not None:
        rows = [
            Notification(
                recipient=staff, channel=Channel.IN_APP, language=staff.language
            )
        ]
    elif template == Template.SLA_BREACHED:
        rows = _supervisor_recipients(card_request)
    else:
        rows = _provider_recipients(card_request)
    for row in rows:
        row.card_request = card_request
        row.template = template
    created = Notification.objects.bulk_create(rows)
    inbox_versions_bump(
        *{row.recipient_id for row in created if row.channel == Channel.IN_APP}
    )
    ids = [row.pk for row in created]
    transaction.on_commit(partial(notifications_publish, notification_ids=ids))
    return created


def notifications_publish(*, notification_ids: list[int]) -> None:
    """Hand each notification to the broker. Never raises: at the first failure the
    rest are left pending too (one broker timeout, not one per message), and the
    sweep publishes them again."""
    from cards.tasks import notification_deliver_task

    for position, notification_id in enumerate(notification_ids):
        try:
            notification_deliver_task.delay(notification_id)
        except Exception as error:
            logger.warning(
                "%s notifications not published (%s: %s); the outbox sweep will retry",
                len(notification_ids) - position,
                type(error).__name__,
                error,
            )
            return


# The timeline event whose text (answer, reason, question) a message quotes.
_EVENT_FOR_TEMPLATE = {
    Template.RESOLVED: EventKind.RESOLVED,
    Template.REJECTED: EventKind.REJECTED,
    Template.INFO_REQUESTED: EventKind.INFO_REQUESTED,
    Template.INFO_GIVEN: EventKind.INFO_GIVEN,
    Template.SLA_BREACHED: EventKind.ESCALATED,
}


# Messages to CAS staff link to the request desk; the others to the provider portal.
_STAFF_TEMPLATES = frozenset({Template.INFO_GIVEN, Template.SLA_BREACHED})


def card_request_link(card_request: CardRequest, *, staff: bool = False) -> str:
    name = "queue:detail" if staff else "portal:request"
    return settings.SITE_URL + reverse(name, args=[card_request.reference])


def _quoted(event: Event | None) -> Event | None:
    """The event a message quotes, its text cut of anything shaped like a CID, CNP
    or card number (typed into a question or reason); the row is not saved."""
    if event is not None:
        event.text = mask_text(event.text)
    return event


def notification_subject(notification: Notification) -> str:
    """A message's subject alone, in the recipient's language (the messages page
    lists subjects: it needs nothing but the request itself)."""
    with translation.override(notification.language):
        subject = render_to_string(
            f"cards/notifications/{notification.template}_subject.txt",
            {"card_request": notification.card_request},
        )
    return " ".join(subject.split())


def notification_render(notification: Notification) -> tuple[str, str]:
    """Subject and text of a message, in the recipient's language. The card is named
    by its last 4 characters only."""
    card_request = notification.card_request
    with translation.override(notification.language):
        context = {
            "card_request": card_request,
            "link": card_request_link(
                card_request, staff=notification.template in _STAFF_TEMPLATES
            ),
            "last4": card_request.identifier_last4,
            "instructions": instructions_for(card_request.kind),
            "event": _quoted(
                card_request.events.filter(
                    kind=_EVENT_FOR_TEMPLATE[notification.template]
                )
                .order_by("-created_at", "-id")
                .first()
            ),
        }
        subject = render_to_string(
            f"cards/notifications/{notification.template}_subject.txt", context
        )
        body = render_to_string(
            f"cards/notifications/{notification.template}.txt", context
        )
    return " ".join(subject.split()), body.strip() + "\n"


def notification_render_sms(notification: Notification) -> str:
    """The short text of an SMS, in the recipient's language: reference, what
    happened, the link; the card is named by its last 4 characters only."""
    card_request = notification.card_request
    event_kind = _EVENT_FOR_TEMPLATE.get(notification.template)
    with translation.override(notification.language):
        context = {
            "card_request": card_request,
            "link": card_request_link(card_request),
            "last4": card_request.identifier_last4,
            "event": _quoted(
                card_request.events.filter(kind=event_kind)
                .order_by("-created_at", "-id")
                .first()
            )
            if event_kind
            else None,
        }
        try:
            text = render_to_string(
                f"cards/notifications/{notification.template}_sms.txt", context
            )
        except TemplateDoesNotExist:
            subject, _body = notification_render(notification)
            text = f"{subject} {context['link']}"
    return " ".join(text.split())


def _send(notification: Notification) -> None:
    if notification.channel == Channel.EMAIL:
        subject, body = notification_render(notification)
        send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.address],
            fail_silently=False,
        )
    elif notification.channel == Channel.SMS:
        get_sms_backend().send(
            to=notification.address, text=notification_render_sms(notification)
        )
    elif notification.channel != Channel.IN_APP:
        raise ValueError(f"no backend for channel {notification.channel}")
    # An in-app message is shown from its row: storing it is delivering it.


@transaction.atomic
def notification_deliver(*, notification_id: int) -> Notification | None:
    """Send one pending notification and record the attempt. A notification already
    sent (or given up on) is left alone, so a repeated call never sends twice."""
    notification = (
        Notification.objects.select_for_update()
        .select_related("card_request")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.status != NotificationStatus.PENDING:
        return notification
    notification.attempts += 1
    try:
        _send(notification)
    except Exception as error:
        notification.last_error = f"{type(error).__name__}: {error}"[:500]
        if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            notification.status = NotificationStatus.FAILED
        notification.save(update_fields=["attempts", "last_error", "status"])
        logger.warning(
            "notification %s attempt %s failed: %s",
            notification.pk,
            notification.attempts,
            type(error).__name__,
        )
        return notification
    notification.status = NotificationStatus.SENT
    notification.sent_at = timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    Event.objects.create(
        card_request=notification.card_request,
        kind=EventKind.NOTIFIED,
    )
    return notification


def notifications_sweep(*, older_than: timedelta | None = None) -> int:
    """Re-publish notifications still pending after a while (the broker was down at
    commit time, or a worker died). Returns how many were published."""
    if older_than is None:
        older_than = timedelta(seconds=settings.NOTIFICATION_SWEEP_AFTER_SECONDS)
    ids = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING,
            created_at__lte=timezone.now() - older_than,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    notifications_publish(notification_ids=ids)
    return len(ids)


def notification_mark_read(*, actor: Person, notification: Notification) -> None:
    """Mark one of the actor's in-app messages as read."""
    if notification.recipient_id == actor.pk and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        inbox_versions_bump(actor.pk)


def notifications_mark_all_read(*, actor: Person) -> int:
    """Mark every unread in-app message the actor is shown as read. Returns how
    many."""
    marked = (
        in_app_notifications_for(actor)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )
    if marked:
        inbox_versions_bump(actor.pk)
    return marked
