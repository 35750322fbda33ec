"""CSV exports of a period's requests and calls, streamed line by line from the
database (a few thousand rows at a time), for what the reader may see: the report's
scope (`cards.selectors.reports`). Identifiers are masked to their last 4; every
text cell that a spreadsheet would run as a formula is defused."""

import csv
from collections.abc import Iterator
from datetime import datetime

from django.db.models import (
    BooleanField,
    Case,
    OuterRef,
    StringAgg,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.masking import masked_identifier
from cards.models import CallOutcome, CallReason, Kind, Source, Status
from cards.selectors import card_requests_visible_to
from cards.selectors.reports import (
    Period,
    breached_condition,
    calls_reported_for,
    card_requests_reported_for,
)
from providers.models import House, OfficeKind, Person

CHUNK = 2000
# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets
# (OWASP "CSV injection"): such cells get a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


class _Line:
    """csv.writer's file: hands back each line instead of storing it."""

    def write(self, line: str) -> str:
        return line


def defused(value) -> str:
    """The cell as text, with a leading apostrophe if a spreadsheet would take it
    for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _person(first: str, last: str, username: str | None) -> str:
    if username is None:
        return ""
    return f"{first} {last}".strip() or username


def _lines(header: list[str], rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte order mark makes spreadsheets read the file as UTF-8 (diacritics).
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([defused(cell) for cell in row])


def card_requests_csv_rows(
    *, actor: Person, period: Period, houses: list[House]
) -> Iterator[str]:
    """The period's requests as CSV lines, header first. Labels are read in the
    language active now (the lines are produced later, as the response streams)."""
    labels = {
        "kind": {k: str(v) for k, v in Kind.choices},
        "status": {k: str(v) for k, v in Status.choices},
        "source": {k: str(v) for k, v in Source.choices},
        "office": {k: str(v) for k, v in OfficeKind.choices},
    }
    yes, no = _("yes"), _("no")
    header = [
        _("Reference"),
        _("Filed at"),
        _("House"),
        _("Office"),
        _("Kind"),
        _("Reader error"),
        _("Card (last 4)"),
        _("Provider"),
        _("Fiscal code"),
        _("Filed through"),
        _("Status"),
        _("Urgent"),
        _("Due"),
        _("First action"),
        _("Resolved"),
        _("Closed"),
        _("Past due"),
        _("Assignee"),
    ]
    requests = (
        card_requests_reported_for(actor=actor, period=period, houses=houses)
        .annotate(
            breached=Case(
                When(breached_condition(timezone.now()), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("created_at", "id")
        .values_list(
            "reference",
            "created_at",
            "house__code",
            "office__kind",
            "kind",
            "error_code",
            "identifier",
            "provider__name",
            "provider__fiscal_code",
            "source",
            "status",
            "priority",
            "due_at",
            "first_action_at",
            "resolved_at",
            "closed_at",
            "breached",
            "assignee__first_name",
            "assignee__last_name",
            "assignee__username",
        )
    )

    def rows():
        for row in requests.iterator(chunk_size=CHUNK):
            (ref, filed, house, office, kind, code, identifier, provider, cui,
             source, status, priority, due, first, resolved, closed, breached,
             first_name, last_name, username) = row  # fmt: skip
            yield [
                ref,
                _when(filed),
                house,
                labels["office"].get(office, office),
                labels["kind"].get(kind, kind),
                code,
                masked_identifier(identifier),
                provider,
                cui,
                labels["source"].get(source, source),
                labels["status"].get(status, status),
                yes if priority else no,
                _when(due),
                _when(first),
                _when(resolved),
                _when(closed),
                yes if breached else no,
                _person(first_name, last_name, username),
            ]

    return _lines(header, rows())


def calls_csv_rows(
    *, actor: Person, period: Period, houses: list[House]
) -> Iterator[str]:
    """The period's calls as CSV lines, header first; linked requests only those
    the reader may open."""
    reasons = {k: str(v) for k, v in CallReason.choices}
    outcomes = {k: str(v) for k, v in CallOutcome.choices}
    offices = {k: str(v) for k, v in OfficeKind.choices}
    header = [
        _("Started at"),
        _("Ended at"),
        _("Duration (seconds)"),
        _("House"),
        _("Office"),
        _("Operator"),
        _("Caller phone"),
        _("Provider"),
        _("Fiscal code"),
        _("Reason"),
        _("Outcome"),
        _("Requests"),
    ]
    linked = (
        card_requests_visible_to(actor)
        .filter(calls=OuterRef("pk"))
        .order_by()
        .values("calls")
        .annotate(refs=StringAgg("reference", delimiter=Value(" ")))
        .values("refs")[:1]
    )
    calls = (
        calls_reported_for(actor=actor, period=period, houses=houses)
        .annotate(refs=Subquery(linked))
        .order_by("started_at", "id")
        .values_list(
            "started_at",
            "ended_at",
            "house__code",
            "office__kind",
            "operator__first_name",
            "operator__last_name",
            "operator__username",
            "caller_phone",
            "provider__name",
            "provider__fiscal_code",
            "reason",
            "outcome",
            "refs",
        )
    )

    def rows():
        for row in calls.iterator(chunk_size=CHUNK):
            (started, ended, house, office, first_name, last_name, username,
             phone, provider, cui, reason, outcome, refs) = row  # fmt: skip
            duration = int((ended - started).total_seconds()) if ended else ""
            yield [
                _when(started),
                _when(ended),
                duration,
                house,
                offices.get(office, office or ""),
                _person(first_name, last_name, username),
                phone,
                provider or "",
                cui or "",
                reasons.get(reason, reason),
                outcomes.get(outcome, outcome),
                refs or "",
            ]

    return _lines(header, rows())
