"""The outbox: rows written with the change, delivered after commit, once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cards import services
from cards.models import (
    Channel,
    EventKind,
    Notification,
    NotificationStatus,
    Outcome,
    Source,
    Template,
)
from cards.services.notifications import notifications_publish as publish
from helpdesk.celery import app as celery_app
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import AgentFactory, house

CID = "80642000350012345678"


@pytest.fixture
def claimed_request(provider_agent, specialist):
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    return services.card_request_claim(actor=specialist, card_request=card_request)


def resolve(card_request, specialist, **kwargs):
    return services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED, **kwargs
    )


def test_resolve_stores_messages_in_its_transaction_and_sends_after_commit(
    claimed_request, specialist, provider_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resolve(claimed_request, specialist)
        rows = list(Notification.objects.filter(card_request=claimed_request))
        assert {(n.channel, n.recipient, n.address) for n in rows} == {
            (Channel.IN_APP, provider_agent, ""),
            (Channel.EMAIL, provider_agent, provider_agent.email),
            (Channel.EMAIL, None, provider_agent.provider.email),
        }
        assert all(n.status == NotificationStatus.PENDING for n in rows)
        assert mail.outbox == []
    # One publication of the messages (beside the queue versions' replacement).
    publications = [c for c in callbacks if getattr(c, "func", None) is publish]
    assert len(publications) == 1

    publications[0]()

    assert set(
        Notification.objects.filter(card_request=claimed_request).values_list(
            "status", flat=True
        )
    ) == {NotificationStatus.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [provider_agent.email, provider_agent.provider.email]
    )


def test_a_rolled_back_change_leaves_no_message(claimed_request, specialist):
    with pytest.raises(RuntimeError), transaction.atomic():
        resolve(claimed_request, specialist)
        raise RuntimeError("the surrounding work failed")
    assert not Notification.objects.exists()


def test_blocked_card_message_carries_the_pin_reset_steps_and_only_last4(
    claimed_request, specialist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resolve(claimed_request, specialist, note="Deblocat în SIUI.")

    message = mail.outbox[0]
    body = message.body
    assert claimed_request.reference in message.subject
    assert f"https://helpdesk.example.ro/requests/{claimed_request.reference}/" in body
    assert "ending in 5678" in body
    assert CID not in body and CID not in message.subject
    assert CID[:16] not in body
    steps = [
        "enter the PIN: the reader says the card is blocked",
        "Patients window from the File menu",
        "Reset PIN eCard",
        "enter 0000",
        "Change PIN eCard",
        "current PIN: enter 0000",
        "new PIN the patient chooses",
        "confirm the new PIN",
        "PIN was changed successfully",
    ]
    positions = [body.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "Deblocat în SIUI." in body


def test_invalid_card_message_says_the_activation_pin_works_again(
    provider_agent, specialist, django_capture_on_commit_callbacks
):
    card_request = CardRequestFactory(filed_by=provider_agent, kind="invalid")
    services.card_request_claim(actor=specialist, card_request=card_request)
    with django_capture_on_commit_callbacks(execute=True):
        services.card_request_resolve(
            actor=specialist, card_request=card_request, outcome=Outcome.REACTIVATED
        )

    body = mail.outbox[0].body
    assert "PIN the patient set when activating it" in body
    assert "Reset PIN eCard" not in body
    assert card_request.identifier not in body


def test_messages_are_in_the_recipients_language(
    claimed_request, specialist, provider_agent, django_capture_on_commit_callbacks
):
    provider_agent.language = "ro"
    provider_agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        resolve(claimed_request, specialist)

    to_agent = next(m for m in mail.outbox if m.to == [provider_agent.email])
    assert "Cardul a fost deblocat" in to_agent.subject
    assert "0000" in to_agent.body
    assert "Schimbă PIN eCard" in to_agent.body


@pytest.mark.parametrize(
    ("template", "act", "text"),
    [
        (Template.REJECTED, "reject", "Cardul aparține altei case."),
        (Template.INFO_REQUESTED, "ask_info", "Ce eroare arată cititorul?"),
    ],
)
def test_reject_and_ask_info_notify_the_provider_with_the_text(
    claimed_request,
    specialist,
    provider_agent,
    django_capture_on_commit_callbacks,
    template,
    act,
    text,
):
    with django_capture_on_commit_callbacks(execute=True):
        if act == "reject":
            services.card_request_reject(
                actor=specialist, card_request=claimed_request, reason=text
            )
        else:
            services.card_request_ask_info(
                actor=specialist, card_request=claimed_request, question=text
            )

    rows = Notification.objects.filter(card_request=claimed_request)
    assert set(rows.values_list("template", flat=True)) == {template}
    assert rows.count() == 3
    assert all(text in m.body for m in mail.outbox)


def test_an_answer_tells_the_specialist_who_asked_in_the_app(
    claimed_request, specialist, provider_agent, django_capture_on_commit_callbacks
):
    services.card_request_ask_info(
        actor=specialist, card_request=claimed_request, question="?"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.card_request_give_info(
            actor=provider_agent, card_request=claimed_request, answer="Da."
        )

    message = Notification.objects.get(template=Template.INFO_GIVEN)
    assert (message.recipient, message.channel) == (specialist, Channel.IN_APP)
    assert message.status == NotificationStatus.SENT


def test_a_request_filed_by_phone_notifies_every_agent_of_the_provider(
    operator, specialist, provider_agent, django_capture_on_commit_callbacks
):
    colleague = AgentFactory(provider=provider_agent.provider)
    card_request, _ = services.card_request_file(
        actor=operator,
        source=Source.PHONE,
        house=house("TM"),
        kind="blocked",
        cid=CID,
        provider=provider_agent.provider,
    )
    services.card_request_claim(actor=specialist, card_request=card_request)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(card_request, specialist)

    in_app = Notification.objects.filter(channel=Channel.IN_APP)
    assert set(in_app.values_list("recipient", flat=True)) == {
        provider_agent.pk,
        colleague.pk,
    }
    assert not Notification.objects.filter(recipient=operator).exists()


def test_delivering_twice_sends_once(
    claimed_request, specialist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        resolve(claimed_request, specialist)
    email = Notification.objects.filter(channel=Channel.EMAIL).first()

    services.notification_deliver(notification_id=email.pk)
    services.notification_deliver(notification_id=email.pk)

    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (NotificationStatus.SENT, 1)
    assert email.sent_at is not None
    assert claimed_request.events.filter(kind=EventKind.NOTIFIED).count() == 1


class BrokenMailBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failed_send_is_recorded_and_retried_until_the_limit(
    claimed_request, specialist, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenMailBackend"}}
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=False):
        resolve(claimed_request, specialist)
    email = Notification.objects.filter(channel=Channel.EMAIL).first()

    services.notification_deliver(notification_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (NotificationStatus.PENDING, 1)
    assert "mail server down" in email.last_error

    services.notification_deliver(notification_id=email.pk)
    services.notification_deliver(notification_id=email.pk)
    services.notification_deliver(notification_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (NotificationStatus.FAILED, 3)


def test_a_mail_outage_never_fails_the_specialists_action(
    claimed_request, specialist, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenMailBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        card_request = resolve(claimed_request, specialist)

    assert card_request.status == "resolved"
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert [(n.status, n.attempts) for n in emails] == [("pending", 1)] * 2
    assert all("mail server down" in n.last_error for n in emails)
    assert Notification.objects.get(channel=Channel.IN_APP).status == "sent"


@pytest.fixture
def broker_down():
    """A real broker URL on a port where nothing listens, with tasks not eager."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    celery_app.conf.task_always_eager = False
    reset_pools()
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    reset_pools()


@pytest.mark.timeout(30)
def test_a_broker_outage_leaves_messages_pending_for_the_sweep(
    claimed_request,
    specialist,
    broker_down,
    django_capture_on_commit_callbacks,
    caplog,
):
    with django_capture_on_commit_callbacks(execute=True):
        card_request = resolve(claimed_request, specialist)

    assert card_request.status == "resolved"
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
    assert mail.outbox == []
    # One failed publish (not one broker timeout per message), one short warning.
    [warning] = [r for r in caplog.records if r.name == "cards.services.notifications"]
    assert warning.levelname == "WARNING" and warning.exc_info is None
    assert warning.getMessage().startswith(
        f"{Notification.objects.count()} notifications not published"
    )


def test_the_sweep_republishes_only_old_pending_messages(
    claimed_request, specialist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        resolve(claimed_request, specialist)
    old = timezone.now() - timedelta(minutes=10)
    first = Notification.objects.order_by("pk").first()
    Notification.objects.filter(pk=first.pk).update(created_at=old)

    assert services.notifications_sweep(older_than=timedelta(minutes=2)) == 1
    assert services.notifications_sweep(older_than=timedelta(minutes=2)) == 0
    first.refresh_from_db()
    assert first.status == NotificationStatus.SENT
    assert Notification.objects.filter(status="pending").count() == 2


def test_notification_status_shows_on_the_request(
    api, claimed_request, specialist, provider_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resolve(claimed_request, specialist)

    data = (
        api(provider_agent).get(f"/api/v1/requests/{claimed_request.reference}/").json()
    )

    assert sorted(n["channel"] for n in data["notifications"]) == [
        "email",
        "email",
        "in_app",
    ]
    assert all(n["status"] == "sent" and n["sent_at"] for n in data["notifications"])
    assert "Reset PIN eCard" in data["instructions"]["steps"][2]
    assert "0000" in data["instructions"]["steps"][2]
    assert len(data["instructions"]["steps"]) == 8
