"""The report's figures on known fixtures: medians and 90th percentiles, SLA
breaches counted in office working time (across a weekend and public holidays),
reopen rates, calls per hour, and what each role may report on."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cards import services
from cards.models import CardRequest, Event, EventKind, Kind, Status
from cards.permissions import Action
from cards.selectors import houses_run_by
from cards.selectors.reports import Period, report_for
from providers.models import Office
from tests.cards.factories import CallFactory, CardRequestFactory
from tests.providers.factories import OperatorFactory, house

pytestmark = pytest.mark.django_db

LOCAL = ZoneInfo("Europe/Bucharest")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL)


def filed(*, when: datetime, house=None, **fields) -> CardRequest:
    """A request filed at `when` (the database's own clock is bypassed)."""
    extra = {"house": house} if house is not None else {}
    card_request = CardRequestFactory(**extra, **fields)
    CardRequest.objects.filter(pk=card_request.pk).update(created_at=when)
    card_request.refresh_from_db()
    return card_request


def set_times(card_request: CardRequest, **moments) -> None:
    CardRequest.objects.filter(pk=card_request.pk).update(**moments)


def test_median_and_90th_percentile_of_time_to_resolve_and_to_first_action(
    supervisor,
):
    start = at(date(2026, 11, 10), 9)
    for n in range(1, 6):  # resolved after 10, 20, 30, 40, 50 minutes
        card_request = filed(when=start, status=Status.RESOLVED)
        set_times(
            card_request,
            first_action_at=start + timedelta(minutes=2 * n),
            resolved_at=start + timedelta(minutes=10 * n),
        )
    filed(when=start)  # still new: no resolve time, no first action

    report = report_for(actor=supervisor, period=NOVEMBER, houses=[supervisor.house])

    totals = report.totals
    assert (totals.total, totals.resolved) == (6, 5)
    assert totals.resolve_p50 == timedelta(minutes=30)
    # percentile_cont: 0.9 × (5 − 1) = 3.6 → 40 + 0.6 × 10 minutes.
    assert totals.resolve_p90 == timedelta(minutes=46)
    assert totals.first_action_p50 == timedelta(minutes=6)
    assert totals.first_action_p90 == timedelta(minutes=9, seconds=12)


def test_no_requests_give_no_percentiles_and_no_rates(supervisor):
    report = report_for(actor=supervisor, period=NOVEMBER, houses=[supervisor.house])

    assert report.totals.total == 0
    assert report.totals.resolve_p50 is None
    assert report.totals.breach_rate is None
    assert report.totals.reopen_rate is None
    assert [n for _hour, n in report.calls_by_hour] == [0] * 24
    assert len(report.by_day) == 30


def test_breaches_are_counted_in_working_time_across_a_weekend_and_holidays(
    supervisor,
):
    office = Office.objects.get(house=supervisor.house, kind="primary")
    office.sla_minutes = 60
    office.save()
    friday, thursday = date(2026, 11, 27), date(2026, 11, 26)

    def with_due(when: datetime, **fields) -> CardRequest:
        card_request = filed(when=when, **fields)
        set_times(card_request, due_at=services.due_at_for(office=office, start=when))
        card_request.refresh_from_db()
        return card_request

    # Friday 15:30, 60 minutes: 30 on Friday, then Saturday, Sunday, 30 November
    # (Saint Andrew) and 1 December (National Day) are off: due Wednesday 08:30.
    weekend = with_due(at(friday, 15, 30), status=Status.RESOLVED)
    assert weekend.due_at == at(date(2026, 12, 2), 8, 30)
    set_times(weekend, resolved_at=at(date(2026, 12, 2), 8, 20))  # in time
    # Thursday 15:00: due at Thursday's closing, 16:00; fixed Friday: breached.
    late = with_due(at(thursday, 15), status=Status.RESOLVED)
    assert late.due_at == at(thursday, 16)
    set_times(late, resolved_at=at(friday, 9))
    # Friday 15:30, still new on Wednesday 09:00: breached.
    with_due(at(friday, 15, 30))
    # Friday 15:45, rejected at 15:50 (due Wednesday 08:45): in time.
    rejected = with_due(at(friday, 15, 45), status=Status.REJECTED)
    set_times(rejected, closed_at=at(friday, 15, 50))

    report = report_for(
        actor=supervisor,
        period=NOVEMBER,
        houses=[supervisor.house],
        now=at(date(2026, 12, 2), 9),
    )

    assert (report.totals.total, report.totals.breached) == (4, 2)
    assert report.totals.breach_rate == 0.5
    # On Tuesday 1 December the open one was not yet late.
    earlier = report_for(
        actor=supervisor,
        period=NOVEMBER,
        houses=[supervisor.house],
        now=at(date(2026, 12, 1), 12),
    )
    assert earlier.totals.breached == 1


def test_reopen_rate_counts_requests_whose_pin_reset_did_not_work(
    supervisor, specialist, provider_agent
):
    for n in range(4):
        card_request = CardRequestFactory(filed_by=provider_agent)
        services.card_request_claim(actor=specialist, card_request=card_request)
        services.card_request_resolve(
            actor=specialist, card_request=card_request, outcome="unblocked"
        )
        if n == 0:  # reopened, still waiting for the second fix
            services.card_request_confirm(
                actor=provider_agent, card_request=card_request, works=False
            )
    CardRequestFactory()  # never resolved: not in the rate

    today = timezone.localdate()
    report = report_for(
        actor=supervisor, period=Period(today, today), houses=[supervisor.house]
    )

    assert report.totals.reopened == 1
    assert report.totals.ever_resolved == 4
    assert report.totals.reopen_rate == 0.25
    assert report.totals.resolved == 3


def test_volume_by_day_kind_and_office_in_local_days(supervisor, hospital_specialist):
    # 23:30 on 9 November in Bucharest is 21:30 UTC: it counts on the 9th.
    filed(when=at(date(2026, 11, 9), 23, 30))
    filed(when=at(date(2026, 11, 10), 0, 30), kind=Kind.INVALID, error_code=5)
    filed(when=at(date(2026, 11, 10), 10))
    filed(when=at(date(2026, 10, 31), 23, 59))  # before the period

    report = report_for(actor=supervisor, period=NOVEMBER, houses=[supervisor.house])

    days = {day: (blocked, invalid) for day, blocked, invalid in report.by_day}
    assert days[date(2026, 11, 9)] == (1, 0)
    assert days[date(2026, 11, 10)] == (1, 1)
    assert sum(b + i for b, i in days.values()) == 3
    assert (report.totals.blocked, report.totals.invalid) == (2, 1)
    assert [(f.key, f.total) for f in report.by_office] == [("primary", 3)]


def test_calls_per_local_hour_and_by_outcome(supervisor):
    operator = OperatorFactory()
    for hour, outcome in [(8, "answered"), (8, "request_filed"), (14, "answered")]:
        CallFactory(
            operator=operator,
            started_at=at(date(2026, 11, 10), hour, 15),
            outcome=outcome,
        )
    CallFactory(
        operator=OperatorFactory(house=house("CJ")),
        started_at=at(date(2026, 11, 10), 9),
    )

    report = report_for(actor=supervisor, period=NOVEMBER, houses=[supervisor.house])

    hours = dict(report.calls_by_hour)
    assert (hours[8], hours[14], hours[9]) == (2, 1, 0)
    assert report.calls_total == 3
    assert report.calls_by_outcome == [("answered", 2), ("request_filed", 1)]


def test_top_providers_by_requests(supervisor, provider_agent, other_agent):
    for _ in range(3):
        CardRequestFactory(filed_by=provider_agent)
    CardRequestFactory(filed_by=other_agent)

    today = timezone.localdate()
    report = report_for(
        actor=supervisor, period=Period(today, today), houses=[supervisor.house]
    )

    assert [(p["provider__name"], p["n"]) for p in report.top_providers] == [
        ("Cabinet Dr. Ionescu", 3),
        (other_agent.provider.name, 1),
    ]


def test_a_supervisor_reports_on_their_house_only(supervisor, tm, cj):
    filed(when=at(date(2026, 11, 10), 10))
    filed(when=at(date(2026, 11, 10), 10), house=cj)

    assert list(houses_run_by(supervisor, Action.VIEW_REPORTS)) == [tm]
    report = report_for(actor=supervisor, period=NOVEMBER, houses=[tm, cj])
    assert report.totals.total == 1
    assert [f.key for f in report.by_house] == ["TM"]


def test_a_national_admin_compares_houses_side_by_side(national_admin, tm, cj):
    filed(when=at(date(2026, 11, 10), 10))
    filed(when=at(date(2026, 11, 11), 10), house=cj)
    filed(when=at(date(2026, 11, 12), 10), house=cj)

    report = report_for(actor=national_admin, period=NOVEMBER, houses=[tm, cj])

    assert [(f.key, f.total) for f in report.by_house] == [("CJ", 2), ("TM", 1)]
    assert report.totals.total == 3


def test_a_request_transferred_away_counts_for_the_house_that_has_it(
    supervisor, specialist, tm, cj
):
    card_request = filed(when=at(date(2026, 11, 10), 10))
    services.card_request_transfer(
        actor=specialist, card_request=card_request, house=cj
    )

    report = report_for(actor=supervisor, period=NOVEMBER, houses=[tm])

    assert report.totals.total == 0
    assert Event.objects.filter(kind=EventKind.TRANSFERRED).count() == 1


@pytest.mark.parametrize("role", ["provider_agent", "operator", "specialist"])
def test_other_roles_report_on_nothing(role, request, tm):
    actor = request.getfixturevalue(role)
    filed(when=at(date(2026, 11, 10), 10))

    assert not houses_run_by(actor, Action.VIEW_REPORTS).exists()
    report = report_for(actor=actor, period=NOVEMBER, houses=[tm])
    assert report.totals.total == 0
    assert report.calls_total == 0
