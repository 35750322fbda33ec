"""Periodic housekeeping: auto-close, personal-data purge, the tasks and the beat
schedule, and the worker settings that keep work from being lost."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.utils import timezone

from cards import services
from cards.exceptions import TransitionNotAllowed
from cards.models import (
    CardRequest,
    EventKind,
    IdempotencyKey,
    Kind,
    Outcome,
    Source,
    Status,
)
from helpdesk.celery import app as celery_app
from tests.cards.factories import CardRequestFactory

pytestmark = pytest.mark.django_db

CID = "80642000350012345678"
DAY = timedelta(days=1)


def resolved(days_ago: float, **kwargs) -> CardRequest:
    return CardRequestFactory(
        status=Status.RESOLVED,
        outcome=Outcome.UNBLOCKED,
        resolved_at=timezone.now() - days_ago * DAY,
        **kwargs,
    )


def closed(days_ago: float, status: str = Status.CLOSED, **kwargs) -> CardRequest:
    return CardRequestFactory(
        status=status,
        outcome=Outcome.UNBLOCKED if status == Status.CLOSED else "",
        resolved_at=timezone.now() - (days_ago + 1) * DAY
        if status == Status.CLOSED
        else None,
        closed_at=timezone.now() - days_ago * DAY,
        **kwargs,
    )


# Auto-close -----------------------------------------------------------------------


def test_a_resolved_request_never_confirmed_is_closed_after_the_configured_days(
    settings,
):
    settings.AUTO_CLOSE_AFTER_DAYS = 7
    stale = resolved(7.1)
    now = timezone.now()

    assert services.card_requests_auto_close(now=now) == 1

    stale.refresh_from_db()
    assert stale.status == Status.CLOSED
    assert stale.closed_at == now
    event = stale.events.get(kind=EventKind.AUTO_CLOSED)
    assert (event.actor, event.from_status, event.to_status) == (
        None,
        Status.RESOLVED,
        Status.CLOSED,
    )


def test_a_recently_resolved_request_is_not_closed(settings):
    settings.AUTO_CLOSE_AFTER_DAYS = 7
    fresh = resolved(6.9)

    assert services.card_requests_auto_close() == 0

    fresh.refresh_from_db()
    assert fresh.status == Status.RESOLVED and fresh.closed_at is None


def test_the_auto_close_delay_comes_from_the_settings(settings):
    settings.AUTO_CLOSE_AFTER_DAYS = 2
    card_request = resolved(2.5)
    assert services.card_requests_auto_close() == 1
    card_request.refresh_from_db()
    assert card_request.status == Status.CLOSED


def test_auto_close_leaves_open_and_finished_requests_alone():
    CardRequestFactory(status=Status.IN_PROGRESS)
    closed(30)
    closed(30, status=Status.REJECTED)

    assert services.card_requests_auto_close() == 0


def test_auto_close_runs_twice_closes_once():
    card_request = resolved(10)
    assert services.card_requests_auto_close() == 1
    assert services.card_requests_auto_close() == 0
    assert card_request.events.filter(kind=EventKind.AUTO_CLOSED).count() == 1


def test_a_system_close_still_checks_the_status():
    card_request = CardRequestFactory(status=Status.IN_PROGRESS)
    with pytest.raises(TransitionNotAllowed, match="cannot be confirmed now"):
        services.card_request_auto_close(
            card_request_id=card_request.pk,
            resolved_before=timezone.now(),
            now=timezone.now(),
        )
    card_request.refresh_from_db()
    assert card_request.status == Status.IN_PROGRESS


def test_a_system_close_skips_a_request_resolved_again_since():
    card_request = resolved(1)
    assert (
        services.card_request_auto_close(
            card_request_id=card_request.pk,
            resolved_before=timezone.now() - 7 * DAY,
            now=timezone.now(),
        )
        is None
    )
    card_request.refresh_from_db()
    assert card_request.status == Status.RESOLVED


def test_the_auto_close_task_calls_the_service():
    from cards.tasks import auto_close_task

    card_request = resolved(30)
    assert auto_close_task.delay().get() == 1
    card_request.refresh_from_db()
    assert card_request.status == Status.CLOSED


# Personal-data purge ----------------------------------------------------------------


def test_the_identifier_of_a_long_closed_request_is_erased(settings, provider_agent):
    settings.PURGE_AFTER_DAYS = 90
    card_request = closed(
        91, filed_by=provider_agent, identifier=CID, note="Pacient în sala 3"
    )
    key = IdempotencyKey.objects.create(
        person=provider_agent,
        key="reader-1",
        fingerprint="0" * 64,
        card_request=card_request,
        status_code=201,
    )
    now = timezone.now()

    assert services.card_requests_purge_personal_data(now=now) == 1

    row = CardRequest.objects.filter(pk=card_request.pk).values().get()
    assert row["identifier"] == "" and row["note"] == ""
    assert row["purged_at"] == now
    assert not CardRequest.objects.filter(identifier=CID).exists()
    assert not IdempotencyKey.objects.filter(pk=key.pk).exists()
    assert card_request.events.filter(kind=EventKind.PURGED, actor=None).count() == 1


def test_the_purge_keeps_what_statistics_need(settings):
    settings.PURGE_AFTER_DAYS = 90
    card_request = closed(120)
    fields = [
        "reference",
        "kind",
        "error_code",
        "house_id",
        "office_id",
        "provider_id",
        "source",
        "status",
        "priority",
        "outcome",
        "due_at",
        "created_at",
        "resolved_at",
        "closed_at",
    ]
    before = CardRequest.objects.filter(pk=card_request.pk).values(*fields).get()
    events_before = card_request.events.count()

    services.card_requests_purge_personal_data()

    after = CardRequest.objects.filter(pk=card_request.pk).values(*fields).get()
    assert after == before
    assert card_request.events.count() == events_before + 1


def test_rejected_requests_are_purged_too(settings):
    settings.PURGE_AFTER_DAYS = 90
    card_request = closed(100, status=Status.REJECTED, kind=Kind.INVALID)
    assert services.card_requests_purge_personal_data() == 1
    card_request.refresh_from_db()
    assert card_request.identifier == "" and card_request.purged_at is not None


def test_requests_closed_recently_or_still_open_keep_their_identifier(settings):
    settings.PURGE_AFTER_DAYS = 90
    recent = closed(89)
    open_ = CardRequestFactory(status=Status.NEW)
    CardRequest.objects.filter(pk=open_.pk).update(
        created_at=timezone.now() - 400 * DAY
    )
    unconfirmed = resolved(200)

    assert services.card_requests_purge_personal_data() == 0

    for card_request in (recent, open_, unconfirmed):
        card_request.refresh_from_db()
        assert len(card_request.identifier) == 20
        assert card_request.purged_at is None


def test_the_purge_delay_comes_from_the_settings(settings):
    settings.PURGE_AFTER_DAYS = 10
    closed(11)
    assert services.card_requests_purge_personal_data() == 1


def test_the_purge_runs_twice_erases_once(settings):
    settings.PURGE_AFTER_DAYS = 90
    card_request = closed(100)
    assert services.card_requests_purge_personal_data() == 1
    assert services.card_requests_purge_personal_data() == 0
    assert card_request.events.filter(kind=EventKind.PURGED).count() == 1


def test_a_purged_request_reads_without_its_identifier_in_the_api(
    settings, api, provider_agent, supervisor, client
):
    settings.PURGE_AFTER_DAYS = 90
    card_request = closed(100, filed_by=provider_agent, identifier=CID)
    services.card_requests_purge_personal_data()

    own = api(provider_agent).get(f"/api/v1/requests/{card_request.reference}/")
    assert own.status_code == 200
    assert own.json()["cid"] == ""
    assert own.json()["status"] == Status.CLOSED
    staff = api(supervisor).get(f"/api/v1/requests/{card_request.reference}/")
    assert staff.status_code == 200
    assert staff.json()["cid"] == "—"
    listing = api(supervisor).get("/api/v1/requests/", {"status": "closed"})
    assert listing.status_code == 200
    assert CID not in listing.content.decode()

    client.force_login(provider_agent)
    page = client.get(f"/requests/{card_request.reference}/")
    assert page.status_code == 200
    assert CID not in page.content.decode()
    client.force_login(supervisor)
    desk = client.get(f"/queue/{card_request.reference}/")
    assert desk.status_code == 200


def test_the_purge_task_calls_the_service(settings):
    from cards.tasks import personal_data_purge_task

    settings.PURGE_AFTER_DAYS = 90
    card_request = closed(100)
    assert personal_data_purge_task.delay().get() == 1
    card_request.refresh_from_db()
    assert card_request.purged_at is not None


def test_a_request_filed_again_after_a_purge_is_a_new_request(settings, provider_agent):
    settings.PURGE_AFTER_DAYS = 90
    closed(100, filed_by=provider_agent, identifier=CID)
    services.card_requests_purge_personal_data()

    card_request, created = services.card_request_file(
        actor=provider_agent, source=Source.WEB, house=None, kind="blocked", cid=CID
    )
    assert created and card_request.identifier == CID


# Tasks, beat and worker settings ------------------------------------------------------


def test_the_beat_schedule_names_only_existing_tasks_on_crontabs():
    import cards.tasks  # noqa: F401  (registers the tasks)

    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} == {
        "cards.tasks.notifications_sweep_task",
        "cards.tasks.sla_escalation_task",
        "cards.tasks.auto_close_task",
        "cards.tasks.personal_data_purge_task",
    }
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
        assert isinstance(entry["schedule"], crontab)
        assert entry["options"]["expires"] > 0


def test_the_sweep_task_calls_the_service():
    from cards.tasks import notifications_sweep_task

    assert notifications_sweep_task.delay().get() == 0


def test_worker_settings_do_not_lose_work():
    conf = celery_app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_cancel_long_running_tasks_on_connection_loss
    assert conf.result_backend is None
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit < visibility
    from cards.tasks import RETRY_BACKOFF_MAX_SECONDS, notification_deliver_task

    assert visibility > RETRY_BACKOFF_MAX_SECONDS
    assert notification_deliver_task.max_retries is not None
    assert notification_deliver_task.max_retries >= (
        django_settings.NOTIFICATION_MAX_ATTEMPTS - 1
    )
