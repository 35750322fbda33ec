"""The reports page and the CSV exports: who may see what, the period's input,
masked identifiers, spreadsheet formula injection, streaming, and a constant
number of queries whatever the number of rows."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cards import services
from cards.exports import defused
from tests.cards.factories import CallFactory, CardRequestFactory
from tests.cards.test_views_queue import within_one_minute
from tests.providers.factories import (
    AgentFactory,
    OperatorFactory,
    ProviderFactory,
    SupervisorFactory,
    house,
)

pytestmark = pytest.mark.django_db


def period(days_back: int = 6) -> dict:
    today = timezone.localdate()
    return {
        "start": (today - timedelta(days=days_back)).isoformat(),
        "end": today.isoformat(),
    }


def csv_rows(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_reports_page_shows_the_houses_figures(client, supervisor, provider_agent):
    for _ in range(3):
        CardRequestFactory(filed_by=provider_agent)
    CardRequestFactory(house=house("CJ"))
    client.force_login(supervisor)

    response = client.get(reverse("reports:home"))

    assert response.status_code == 200
    report = response.context["report"]
    assert report.totals.total == 3
    body = response.content.decode()
    assert "Houses side by side" not in body
    assert "<svg" in body and "Requests per day" in body
    assert "CAS Cluj" not in body
    assert reverse("reports:requests_csv") in body


def test_a_national_admin_compares_every_house(client, national_admin):
    CardRequestFactory()
    CardRequestFactory(house=house("CJ"))
    client.force_login(national_admin)

    response = client.get(reverse("reports:home"))

    assert [f.key for f in response.context["report"].by_house] == ["CJ", "TM"]
    assert "Houses side by side" in response.content.decode()
    one = client.get(reverse("reports:home"), {**period(), "house": "CJ"})
    assert one.context["report"].totals.total == 1
    assert "Houses side by side" not in one.content.decode()


def requests_read(captured) -> int:
    """Queries on requests (not the header's unread count of messages)."""
    return sum(
        '"cards_cardrequest"' in q["sql"]
        and 'FROM "cards_notification"' not in q["sql"]
        for q in captured
    )


def test_a_report_is_computed_once_until_a_request_of_its_houses_changes(
    client, settings, supervisor, specialist, provider_agent
):
    settings.QUEUE_VERSIONS = True
    waiting = CardRequestFactory(filed_by=provider_agent)
    CardRequestFactory(house=house("CJ"))
    within_one_minute()
    client.force_login(supervisor)
    assert client.get(reverse("reports:home")).context["report"].totals.total == 1

    # A reload, and a colleague's read, take no query on the requests.
    client.force_login(SupervisorFactory())
    with CaptureQueriesContext(connection) as captured:
        again = client.get(reverse("reports:home"))
    assert requests_read(captured) == 0
    assert again.context["report"].totals.total == 1

    # Another house's request does not change it; one of its own does.
    CardRequestFactory(house=house("CJ"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("reports:home"))
    assert requests_read(captured) == 0
    services.card_request_claim(actor=specialist, card_request=waiting)
    CardRequestFactory(filed_by=provider_agent)
    report = client.get(reverse("reports:home")).context["report"]
    assert report.totals.total == 2

    # Another period is a report of its own.
    yesterday = period(days_back=1)
    yesterday["end"] = yesterday["start"]
    assert (
        client.get(reverse("reports:home"), yesterday).context["report"].totals.total
        == 0
    )


def test_a_kept_national_report_changes_with_any_house(
    client, settings, national_admin
):
    settings.QUEUE_VERSIONS = True
    CardRequestFactory()
    within_one_minute()
    client.force_login(national_admin)
    assert client.get(reverse("reports:home")).context["report"].totals.total == 1
    one_house = client.get(reverse("reports:home"), {**period(), "house": "CJ"})
    assert one_house.context["report"].totals.total == 0

    CardRequestFactory(house=house("CJ"))

    report = client.get(reverse("reports:home")).context["report"]
    assert report.totals.total == 2
    assert [f.key for f in report.by_house] == ["CJ", "TM"]
    one_house = client.get(reverse("reports:home"), {**period(), "house": "CJ"})
    assert one_house.context["report"].totals.total == 1


def test_a_kept_report_is_drawn_once_in_each_language(
    client, settings, supervisor, provider_agent
):
    settings.QUEUE_VERSIONS = True
    CardRequestFactory(filed_by=provider_agent)
    within_one_minute()
    client.force_login(supervisor)

    def drawn(response) -> bool:
        return "cards/reports/_report.html" in [t.name for t in response.templates]

    first = client.get(reverse("reports:home"))
    assert drawn(first)
    # A colleague's read shows the same figures and charts, not drawn again.
    client.force_login(SupervisorFactory())
    again = client.get(reverse("reports:home"))
    assert not drawn(again)
    assert "Requests per day" in again.content.decode()
    assert again.content.count(b"<svg") == first.content.count(b"<svg") == 2

    # A reader in Romanian gets them drawn in Romanian, then kept in it too.
    client.cookies["django_language"] = "ro"
    romanian = client.get(reverse("reports:home"))
    assert drawn(romanian)
    assert "Solicitări pe zi" in romanian.content.decode()
    assert not drawn(client.get(reverse("reports:home")))


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-11-10", "end": "2026-11-01"}, "end", "before its start"),
        ({"start": "2024-01-01", "end": "2026-11-01"}, "end", "at most 366 days"),
        ({"start": "yesterday", "end": "2026-11-01"}, "start", "valid date"),
        ({"start": "2026-11-01", "end": "2026-11-02", "house": "XX"}, "house", ""),
    ],
)
def test_a_bad_period_gets_a_field_error(client, national_admin, query, field, message):
    client.force_login(national_admin)

    for name in ("reports:home", "reports:requests_csv"):
        response = client.get(reverse(name), query)
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert message in " ".join(errors[field])


def test_a_supervisor_cannot_report_on_another_house(client, supervisor):
    CardRequestFactory(house=house("CJ"))
    client.force_login(supervisor)

    response = client.get(reverse("reports:home"), {**period(), "house": "CJ"})
    export = client.get(reverse("reports:requests_csv"), {**period(), "house": "CJ"})

    # A supervisor has no house picker: the parameter is ignored, their own house
    # is reported.
    assert response.context["report"].houses == [supervisor.house]
    assert response.context["report"].totals.total == 0
    assert len(csv_rows(export)) == 1


def test_the_requests_export_is_scoped_and_masks_identifiers(
    client, supervisor, specialist, provider_agent
):
    mine = CardRequestFactory(filed_by=provider_agent, note="CID 80642000350012345678")
    services.card_request_claim(actor=specialist, card_request=mine)
    elsewhere = CardRequestFactory(house=house("CJ"))
    client.force_login(supervisor)

    response = client.get(reverse("reports:requests_csv"), period())

    assert response["Content-Disposition"].startswith(
        'attachment; filename="requests-TM-'
    )
    header, *rows = csv_rows(response)
    assert header[0] == "Reference" and "Card (last 4)" in header
    assert [row[0] for row in rows] == [mine.reference]
    text = b"".join(
        client.get(reverse("reports:requests_csv"), period()).streaming_content
    ).decode()
    assert mine.identifier not in text
    assert elsewhere.reference not in text
    assert rows[0][header.index("Card (last 4)")].endswith(mine.identifier[-4:])
    assert rows[0][header.index("Status")] == "In progress"
    assert rows[0][header.index("Assignee")] == str(specialist)


def test_spreadsheet_formulas_in_names_are_defused(client, supervisor):
    provider = ProviderFactory(name='=HYPERLINK("https://evil.example","x")')
    CardRequestFactory(filed_by=AgentFactory(provider=provider))
    OperatorFactory()
    client.force_login(supervisor)

    header, row = csv_rows(client.get(reverse("reports:requests_csv"), period()))

    assert row[header.index("Provider")] == "'" + provider.name
    for text in ("=1+1", "+40", "-2", "@SUM(A1)", "\tx"):
        assert defused(text) == "'" + text
    assert defused("Cabinet") == "Cabinet"
    assert defused(None) == ""


def test_the_calls_export_lists_only_requests_the_reader_may_open(
    client, supervisor, operator, provider_agent
):
    here = CardRequestFactory(filed_by=provider_agent)
    there = CardRequestFactory(house=house("CJ"), filed_by=provider_agent)
    call = CallFactory(operator=operator, outcome="request_filed")
    call.card_requests.set([here, there])
    CallFactory(operator=OperatorFactory(house=house("CJ")))
    client.force_login(supervisor)

    header, *rows = csv_rows(client.get(reverse("reports:calls_csv"), period()))

    assert len(rows) == 1
    assert rows[0][header.index("Requests")] == here.reference
    assert rows[0][header.index("Outcome")] == "Request filed"
    assert rows[0][header.index("Caller phone")] == "'+40256201234"


def test_exports_are_refused_to_other_roles(client, specialist, operator):
    for person in (specialist, operator):
        client.force_login(person)
        for name in ("reports:requests_csv", "reports:calls_csv"):
            assert client.get(reverse(name), period()).status_code == 403


def test_the_page_and_exports_take_the_same_queries_for_more_rows(
    client, national_admin, django_assert_max_num_queries
):
    client.force_login(national_admin)

    def queries(name, **query):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(name), query)
            if response.streaming:
                b"".join(response.streaming_content)
        return len(captured)

    for _ in range(2):
        CardRequestFactory()
    few = {n: queries(n, **period()) for n in ("reports:home", "reports:requests_csv")}
    for _ in range(20):
        CardRequestFactory(house=house("CJ"))
        CallFactory()
    many = {n: queries(n, **period()) for n in ("reports:home", "reports:requests_csv")}

    assert few == many
    with django_assert_max_num_queries(20):
        client.get(reverse("reports:home"))


def test_the_period_is_in_local_days(client, supervisor):
    """A request filed at 23:30 Romanian time (21:30 or 20:30 UTC) counts on that
    Romanian day, not the next."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from cards.models import CardRequest

    yesterday = timezone.localdate() - timedelta(days=1)
    late = datetime.combine(
        yesterday, time(23, 30), tzinfo=ZoneInfo("Europe/Bucharest")
    )
    CardRequest.objects.filter(pk=CardRequestFactory().pk).update(created_at=late)
    client.force_login(supervisor)

    def total(day: date) -> int:
        query = {"start": day.isoformat(), "end": day.isoformat()}
        return client.get(reverse("reports:home"), query).context["report"].totals.total

    assert total(yesterday) == 1
    assert total(yesterday + timedelta(days=1)) == 0
