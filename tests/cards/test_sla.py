"""Target times in working time, and the escalation of requests past them."""

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from cards import services
from cards.models import (
    Channel,
    Event,
    EventKind,
    Notification,
    NotificationStatus,
    Status,
    Template,
)
from cards.services.sla import is_working_day
from cards.tasks import sla_escalation_task
from providers.models import Office
from tests.cards.factories import CardRequestFactory
from tests.cards.test_worker import wait_for, worker  # noqa: F401 (fixture)
from tests.providers.factories import SupervisorFactory, house

BUCHAREST = ZoneInfo("Europe/Bucharest")
CID = "80642000350012345678"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BUCHAREST)


def office(**hours) -> Office:
    """An unsaved office: Monday–Friday 08:00–16:00 unless told otherwise."""
    values = {
        "opens_at": time(8, 0),
        "closes_at": time(16, 0),
        "friday_closes_at": None,
        "sla_minutes": 60,
    }
    values.update(hours)
    return Office(**values)


def due(start: datetime, **hours) -> datetime:
    return services.due_at_for(office=office(**hours), start=start).astimezone(
        BUCHAREST
    )


# Working time ---------------------------------------------------------------------


def test_a_target_inside_office_hours_is_plain_minutes():
    assert due(local(2026, 11, 24, 10, 0), sla_minutes=240) == local(
        2026, 11, 24, 14, 0
    )


def test_friday_afternoon_request_is_due_on_monday_morning():
    # Friday 15:30, 60 minutes, closing 16:00: 30 minutes on Friday, 30 on Monday.
    assert due(local(2026, 11, 20, 15, 30)) == local(2026, 11, 23, 8, 30)


def test_a_short_friday_counts_only_until_it_closes():
    # CASMB-style: Friday closes at 13:30.
    assert due(local(2026, 11, 20, 13, 0), friday_closes_at=time(13, 30)) == local(
        2026, 11, 23, 8, 30
    )
    # A short Friday does not shorten Monday to Thursday.
    assert due(local(2026, 11, 19, 15, 30), friday_closes_at=time(13, 30)) == local(
        2026, 11, 20, 8, 30
    )


def test_st_andrew_and_national_day_are_not_counted():
    # 30 November and 1 December 2026 are Monday and Tuesday.
    assert due(local(2026, 11, 27, 15, 0), sla_minutes=120) == local(2026, 12, 2, 9, 0)


def test_union_day_24_january_is_not_counted():
    # 24 January 2028 is a Monday.
    assert due(local(2028, 1, 21, 15, 30)) == local(2028, 1, 25, 8, 30)


def test_orthodox_good_friday_and_easter_monday_are_not_counted():
    # Orthodox Easter 2026 is 12 April: Good Friday 10 and Easter Monday 13 are off.
    assert not is_working_day(local(2026, 4, 10).date())
    assert not is_working_day(local(2026, 4, 13).date())
    assert due(local(2026, 4, 9, 15, 0), sla_minutes=120) == local(2026, 4, 14, 9, 0)


def test_a_request_filed_at_night_starts_counting_at_the_next_opening():
    assert due(local(2026, 11, 24, 22, 0)) == local(2026, 11, 25, 9, 0)
    assert due(local(2026, 11, 24, 6, 0)) == local(2026, 11, 24, 9, 0)


def test_a_request_filed_at_the_weekend_starts_counting_on_monday():
    assert due(local(2026, 11, 21, 11, 0)) == local(2026, 11, 23, 9, 0)


def test_a_target_longer_than_a_day_spans_working_days():
    # Two full days of 8 hours from Monday's opening end at Tuesday's closing.
    assert due(local(2026, 11, 23, 8, 0), sla_minutes=960) == local(2026, 11, 24, 16, 0)
    assert due(local(2026, 11, 23, 8, 0), sla_minutes=961) == local(2026, 11, 25, 8, 1)


def test_due_times_keep_office_hours_across_daylight_saving_changes():
    # Summer time ends on Sunday 25 October 2026 (UTC+3 → UTC+2).
    autumn = due(local(2026, 10, 23, 15, 30))
    assert autumn == local(2026, 10, 26, 8, 30)
    assert autumn.astimezone(UTC) == datetime(2026, 10, 26, 6, 30, tzinfo=UTC)
    # Summer time starts on Sunday 29 March 2026 (UTC+2 → UTC+3).
    spring = due(local(2026, 3, 27, 15, 30))
    assert spring == local(2026, 3, 30, 8, 30)
    assert spring.astimezone(UTC) == datetime(2026, 3, 30, 5, 30, tzinfo=UTC)


@pytest.fixture
def ticking_clock(monkeypatch):
    """A clock inside office hours (10:00 in Bucharest on the next working day) that
    moves on a millisecond at every reading, as a busy server's does between two
    readings: a target counted from another reading than the one recorded shows."""
    day = timezone.now().astimezone(BUCHAREST).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    instant = [local(day.year, day.month, day.day, 10, 0).astimezone(UTC)]

    def now():
        instant[0] += timedelta(milliseconds=1)
        return instant[0]

    monkeypatch.setattr(timezone, "now", now)
    return instant


def test_filing_sets_the_due_time_in_working_time(provider_agent, ticking_clock):
    card_request, created = services.card_request_file(
        actor=provider_agent, source="web", house=None, kind="blocked", cid=CID
    )
    assert created
    assert card_request.due_at == services.due_at_for(
        office=card_request.office, start=card_request.created_at
    )
    assert card_request.due_at > card_request.created_at
    assert card_request.events.get().created_at == card_request.created_at


# Escalation -------------------------------------------------------------------------


@pytest.fixture
def overdue(provider_agent):
    return CardRequestFactory(
        filed_by=provider_agent,
        identifier=CID,
        due_at=timezone.now() - timedelta(minutes=25),
    )


def test_an_overdue_request_is_escalated_to_the_house_supervisors(
    overdue, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.card_requests_escalate() == 1

    overdue.refresh_from_db()
    assert overdue.escalated_at is not None
    assert overdue.status == Status.NEW  # not a transition
    event = overdue.events.get(kind=EventKind.ESCALATED)
    assert event.actor is None
    rows = Notification.objects.filter(card_request=overdue)
    assert {(n.recipient, n.channel, n.template) for n in rows} == {
        (supervisor, Channel.IN_APP, Template.SLA_BREACHED),
        (supervisor, Channel.EMAIL, Template.SLA_BREACHED),
    }
    assert {n.status for n in rows} == {NotificationStatus.SENT}


def test_the_escalation_message_names_the_request_and_links_to_the_desk_only(
    overdue, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.card_requests_escalate()

    [message] = mail.outbox
    assert message.to == [supervisor.email]
    assert overdue.reference in message.subject
    assert overdue.reference in message.body
    assert str(overdue.office) in message.body
    assert "Late by: 25\xa0minutes" in message.body
    assert f"https://helpdesk.example.ro/queue/{overdue.reference}/" in message.body
    assert "/requests/" not in message.body
    assert CID not in message.body and CID not in message.subject


def test_escalation_run_twice_escalates_once(
    overdue, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.card_requests_escalate() == 1
        assert services.card_requests_escalate() == 0

    assert overdue.events.filter(kind=EventKind.ESCALATED).count() == 1
    assert Notification.objects.filter(card_request=overdue).count() == 2
    assert len(mail.outbox) == 1


def test_requests_not_yet_due_or_waiting_for_the_provider_are_not_escalated(
    provider_agent, supervisor
):
    past = timezone.now() - timedelta(hours=1)
    CardRequestFactory(due_at=timezone.now() + timedelta(minutes=5))
    CardRequestFactory(status=Status.RESOLVED, due_at=past)
    CardRequestFactory(status=Status.CLOSED, due_at=past)
    CardRequestFactory(status=Status.REJECTED, due_at=past)
    CardRequestFactory(due_at=past, escalated_at=past)

    assert services.card_requests_escalate() == 0
    assert not Event.objects.filter(kind=EventKind.ESCALATED).exists()
    assert not Notification.objects.exists()


def test_requests_waiting_for_information_are_escalated(supervisor):
    card_request = CardRequestFactory(
        status=Status.NEEDS_INFO, due_at=timezone.now() - timedelta(minutes=1)
    )
    assert services.card_requests_escalate() == 1
    assert card_request.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_only_active_supervisors_of_the_request_house_are_told(overdue, supervisor):
    SupervisorFactory(is_active=False)
    SupervisorFactory(house=house("CJ"))
    quiet = SupervisorFactory(notify_email=False)

    services.card_requests_escalate()

    assert set(Notification.objects.values_list("recipient__username", "channel")) == {
        (supervisor.username, Channel.IN_APP),
        (supervisor.username, Channel.EMAIL),
        (quiet.username, Channel.IN_APP),
    }


def test_escalation_of_a_given_moment_uses_that_moment(overdue, supervisor):
    earlier = overdue.due_at - timedelta(minutes=1)
    assert services.card_requests_escalate(now=earlier) == 0
    assert (
        services.card_requests_escalate(now=overdue.due_at + timedelta(minutes=1)) == 1
    )


def test_a_request_transferred_after_escalation_gets_a_new_target_in_its_new_house(
    ticking_clock, overdue, supervisor, cj
):
    services.card_requests_escalate()
    overdue.refresh_from_db()
    before = timezone.now()

    services.card_request_transfer(actor=supervisor, card_request=overdue, house=cj)

    overdue.refresh_from_db()
    assert overdue.escalated_at is None
    assert overdue.due_at == services.due_at_for(
        office=overdue.office, start=overdue.events.latest("created_at").created_at
    )
    assert overdue.due_at > before
    cj_supervisor = SupervisorFactory(house=cj)
    later = overdue.due_at + timedelta(minutes=1)
    assert services.card_requests_escalate(now=later) == 1
    assert Notification.objects.filter(
        recipient=cj_supervisor, template=Template.SLA_BREACHED
    ).exists()


def test_a_reopened_request_gets_a_new_target_and_can_be_escalated_again(
    ticking_clock, overdue, supervisor, specialist, provider_agent
):
    services.card_requests_escalate()
    services.card_request_claim(actor=specialist, card_request=overdue)
    services.card_request_resolve(
        actor=specialist, card_request=overdue, outcome="unblocked"
    )
    before = timezone.now()

    services.card_request_confirm(
        actor=provider_agent, card_request=overdue, works=False, reader_error=15
    )

    overdue.refresh_from_db()
    assert overdue.status == Status.NEW
    assert overdue.escalated_at is None
    assert overdue.due_at == services.due_at_for(
        office=overdue.office,
        start=overdue.events.get(kind=EventKind.REOPENED).created_at,
    )
    assert overdue.due_at > before
    later = overdue.due_at + timedelta(minutes=1)
    assert services.card_requests_escalate(now=later) == 1
    assert overdue.events.filter(kind=EventKind.ESCALATED).count() == 2


def test_the_escalation_task_calls_the_service(overdue, supervisor):
    assert sla_escalation_task.delay().get() == 1
    overdue.refresh_from_db()
    assert overdue.escalated_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_escalation_runs_escalate_once(round_):
    supervisor = SupervisorFactory()
    card_requests = [
        CardRequestFactory(due_at=timezone.now() - timedelta(minutes=5))
        for _ in range(3)
    ]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = services.card_requests_escalate()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 3, results
    for card_request in card_requests:
        assert (
            Event.objects.filter(
                card_request=card_request, kind=EventKind.ESCALATED
            ).count()
            == 1
        )
        assert (
            Notification.objects.filter(
                card_request=card_request, recipient=supervisor
            ).count()
            == 2
        )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    not django_settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and a PostgreSQL DATABASE_URL",
)
@pytest.mark.timeout(120)
def test_a_real_worker_runs_the_escalation_job_once(worker):  # noqa: F811
    supervisor = SupervisorFactory()
    card_request = CardRequestFactory(due_at=timezone.now() - timedelta(minutes=5))

    sla_escalation_task.delay()
    sla_escalation_task.delay()

    assert wait_for(
        lambda: (
            Notification.objects.filter(
                card_request=card_request, status=NotificationStatus.SENT
            ).count()
            == 2
        )
    )
    threading.Event().wait(1)  # room for a duplicate to show up
    assert card_request.events.filter(kind=EventKind.ESCALATED).count() == 1
    assert Notification.objects.filter(recipient=supervisor).count() == 2
    assert len(list(worker.iterdir())) == 1  # one email file
