"""The numbers a house is judged by, computed in the database.

Every figure starts from the one scoping function (`card_requests_visible_to`,
`calls_visible_to`) narrowed to the houses reported on and to requests filed (calls
started) in the period, local time. Each breakdown is one aggregate query: counts,
percentiles (`cards.aggregates.Percentile`) and rates over the period's rows,
never a loop over them in Python.

Definitions:
- time to resolve: filed → resolved (the last fix, for a request reopened and
  fixed again); time to first action: filed → the CAS's first step (claim or
  assignment, question, fix, rejection or transfer);
- SLA breach: resolved or rejected after its due time, or still with the CAS past
  it; the rate is over every request filed in the period;
- reopen rate: requests reopened by the provider (the PIN reset did not work) over
  those resolved at least once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone
from django.utils.translation import get_language

from cards.aggregates import Percentile
from cards.models import Call, CardRequest, Event, EventKind, Kind, Status
from cards.permissions import Action
from cards.selectors import (
    QUEUE_WORK_STATUSES,
    calls_visible_to,
    card_requests_visible_to,
    houses_run_by,
)
from providers.models import House, OfficeKind, Person

LOCAL = ZoneInfo(settings.TIME_ZONE)
TOP_PROVIDERS = 10


@dataclass(frozen=True)
class Period:
    """Whole local days, `start` to `end` inclusive."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=LOCAL)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=LOCAL)

    @property
    def days(self) -> list[date]:
        return [
            self.start + timedelta(days=n)
            for n in range((self.end - self.start).days + 1)
        ]


@dataclass
class Figures:
    """One row of figures: a whole report, a house or an office."""

    total: int = 0
    blocked: int = 0
    invalid: int = 0
    resolved: int = 0
    breached: int = 0
    reopened: int = 0
    ever_resolved: int = 0
    resolve_p50: timedelta | None = None
    resolve_p90: timedelta | None = None
    first_action_p50: timedelta | None = None
    first_action_p90: timedelta | None = None
    label: str = ""
    key: str = ""

    @property
    def breach_rate(self) -> float | None:
        return self.breached / self.total if self.total else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.ever_resolved if self.ever_resolved else None


@dataclass
class Report:
    period: Period
    houses: list[House]
    totals: Figures
    by_house: list[Figures]
    by_office: list[Figures]
    by_day: list[tuple[date, int, int]]  # (day, blocked, invalid)
    calls_by_hour: list[tuple[int, int]]  # (hour, calls)
    calls_by_outcome: list[tuple[str, int]]
    calls_total: int
    top_providers: list[dict] = field(default_factory=list)


def _reported_houses(actor: Person, houses: list[House]) -> list[int]:
    """The ids of those of `houses` the actor may report on: a list, so that the
    planner sees the house (and picks the house's index) rather than a subquery."""
    return list(
        houses_run_by(actor, Action.VIEW_REPORTS)
        .filter(pk__in=[h.pk for h in houses])
        .values_list("pk", flat=True)
    )


def card_requests_reported_for(
    *, actor: Person, period: Period, houses: list[House]
) -> QuerySet[CardRequest]:
    """The visible requests now in these houses' queues, filed in the period."""
    return _requests_in(actor, period, _reported_houses(actor, houses))


def calls_reported_for(
    *, actor: Person, period: Period, houses: list[House]
) -> QuerySet[Call]:
    """The visible calls on these houses' lines, started in the period."""
    return _calls_in(actor, period, _reported_houses(actor, houses))


def _requests_in(
    actor: Person, period: Period, house_ids: list[int]
) -> QuerySet[CardRequest]:
    return card_requests_visible_to(actor).filter(
        house_id__in=house_ids,
        created_at__gte=period.start_at,
        created_at__lt=period.end_at,
    )


def _calls_in(actor: Person, period: Period, house_ids: list[int]) -> QuerySet[Call]:
    return calls_visible_to(actor).filter(
        house_id__in=house_ids,
        started_at__gte=period.start_at,
        started_at__lt=period.end_at,
    )


def breached_condition(now: datetime) -> Q:
    """Resolved or rejected after its due time, or still with the CAS past it."""
    return (
        Q(resolved_at__gt=F("due_at"))
        | Q(status=Status.REJECTED, closed_at__gt=F("due_at"))
        | Q(status__in=QUEUE_WORK_STATUSES, due_at__lt=now)
    )


def _metrics(now: datetime) -> dict:
    def since_filing(moment: str) -> ExpressionWrapper:
        return ExpressionWrapper(
            F(moment) - F("created_at"), output_field=DurationField()
        )

    reopened = Q(
        Exists(
            Event.objects.filter(card_request=OuterRef("pk"), kind=EventKind.REOPENED)
        )
    )
    return {
        "total": Count("id"),
        "blocked": Count("id", filter=Q(kind=Kind.BLOCKED)),
        "invalid": Count("id", filter=Q(kind=Kind.INVALID)),
        "resolved": Count("id", filter=Q(resolved_at__isnull=False)),
        "breached": Count("id", filter=breached_condition(now)),
        "reopened": Count("id", filter=reopened),
        "ever_resolved": Count("id", filter=Q(resolved_at__isnull=False) | reopened),
        "resolve_p50": Percentile(since_filing("resolved_at"), 0.5),
        "resolve_p90": Percentile(since_filing("resolved_at"), 0.9),
        "first_action_p50": Percentile(since_filing("first_action_at"), 0.5),
        "first_action_p90": Percentile(since_filing("first_action_at"), 0.9),
    }


def _figures(row: dict, *, key: str = "", label: str = "") -> Figures:
    names = Figures.__dataclass_fields__
    return Figures(
        key=key,
        label=label,
        **{name: value for name, value in row.items() if name in names},
    )


def report_kept_for[T](
    *,
    actor: Person,
    period: Period,
    houses: list[House],
    draw: Callable[[Report], T],
) -> T:
    """`draw` of `report_for`, kept by this process for the rest of the minute while
    no request of the houses changes (`cards.services.versions`): a supervisor's
    reloads, and their colleagues', read and draw it once. What `draw` makes may
    depend on the report and the active language only. Calls logged in the
    meantime show from the next minute."""
    from cards.services.versions import kept_for_queues

    house_ids = _reported_houses(actor, houses)
    name = (
        f"report:{actor.role}:{','.join(str(h.pk) for h in houses)}:"
        f"{period.start}:{period.end}:{get_language()}:"
        f"{timezone.now():%Y%m%d%H%M}"
    )
    return kept_for_queues(
        house_ids, name, lambda: draw(_report(actor, period, houses, house_ids))
    )


def report_for(
    *,
    actor: Person,
    period: Period,
    houses: list[House],
    now: datetime | None = None,
) -> Report:
    """The report of these houses (those of them the actor may report on) for the
    period: totals, per house and per office, volume per day, calls per hour and
    outcome, and the providers with most requests; one query per breakdown."""
    return _report(actor, period, houses, _reported_houses(actor, houses), now)


def _report(
    actor: Person,
    period: Period,
    houses: list[House],
    house_ids: list[int],
    now: datetime | None = None,
) -> Report:
    now = now or timezone.now()
    requests = _requests_in(actor, period, house_ids).order_by()
    metrics = _metrics(now)
    by_house = [
        _figures(row, key=row["house__code"], label=row["house__short_name"])
        for row in requests.values("house__code", "house__short_name")
        .annotate(**metrics)
        .order_by("house__code")
    ]
    if len(houses) == 1:
        # One house: its row is the whole report (no second pass over the rows).
        totals = replace(by_house[0], key="", label="") if by_house else Figures()
    else:
        totals = _figures(requests.aggregate(**metrics))
    by_office = sorted(
        (
            _figures(row, key=row["office__kind"])
            for row in requests.values("office__kind").annotate(**metrics)
        ),
        key=lambda figures: OfficeKind.values.index(figures.key),
    )
    per_day = {
        row["day"]: (row["blocked"], row["invalid"])
        for row in requests.annotate(day=TruncDate("created_at", tzinfo=LOCAL))
        .values("day")
        .annotate(blocked=metrics["blocked"], invalid=metrics["invalid"])
    }
    calls = _calls_in(actor, period, house_ids).order_by()
    per_hour = dict(
        calls.annotate(hour=ExtractHour("started_at", tzinfo=LOCAL))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    outcomes = list(
        calls.values("outcome")
        .annotate(n=Count("id"))
        .order_by("-n", "outcome")
        .values_list("outcome", "n")
    )
    top = list(
        requests.values("provider__name", "provider__fiscal_code", "house__code")
        .annotate(n=Count("id"))
        .order_by("-n", "provider__name")[:TOP_PROVIDERS]
    )
    return Report(
        period=period,
        houses=houses,
        totals=totals,
        by_house=by_house,
        by_office=by_office,
        by_day=[(day, *per_day.get(day, (0, 0))) for day in period.days],
        calls_by_hour=[(hour, per_hour.get(hour, 0)) for hour in range(24)],
        calls_by_outcome=outcomes,
        calls_total=sum(n for _outcome, n in outcomes),
        top_providers=top,
    )
