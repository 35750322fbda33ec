"""A supervisor in a real browser: the workload (reassigning an idle request and
reading it in the timeline), the office settings, and the reports with their
charts, tables and CSV export; a national admin comparing houses."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from cards import services
from cards.models import CardRequest, EventKind, Kind
from providers.models import Category, Office
from tests.cards.factories import CallFactory, CardRequestFactory
from tests.e2e.conftest import E2E, assert_accessible, shot
from tests.providers.factories import (
    AdminFactory,
    AgentFactory,
    OperatorFactory,
    ProviderFactory,
    SpecialistFactory,
    SupervisorFactory,
    house,
)

pytestmark = E2E


def test_a_supervisor_reassigns_an_idle_request_and_the_timeline_says_so(
    new_page, provider_agent
):
    supervisor = SupervisorFactory(first_name="Mihai", last_name="Stan")
    away = SpecialistFactory(
        first_name="Elena", last_name="Dobre", office_kinds=["primary"]
    )
    here = SpecialistFactory(
        first_name="Andrei", last_name="Lazăr", office_kinds=["primary"]
    )
    idle = CardRequestFactory(filed_by=provider_agent)
    services.card_request_claim(actor=away, card_request=idle)
    CardRequest.objects.filter(pk=idle.pk).update(
        updated_at=timezone.now() - timedelta(hours=3)
    )
    CardRequestFactory(filed_by=provider_agent)  # still new
    page = new_page(supervisor)

    page.goto("/queue/")
    page.locator("nav a[href='/supervise/workload/']").click()
    page.wait_for_url("**/supervise/workload/")
    row = page.locator("tr", has=page.locator(f"a:text-is('{idle.reference}')"))
    expect(row.locator(".badge.idle")).to_be_visible()
    assert str(away) in row.inner_text()
    assert_accessible(page)
    shot(page, "supervise-workload")

    row.locator("select").select_option(label=str(here))
    with page.expect_navigation():
        row.locator("form[action$='/reassign/'] button").click()
    assert idle.reference in page.locator(".messages").inner_text()
    idle.refresh_from_db()
    assert idle.assignee == here
    event = idle.events.get(kind=EventKind.REASSIGNED)
    assert event.actor == supervisor

    page.goto(f"/queue/{idle.reference}/")
    timeline = page.locator(".timeline").inner_text()
    assert f"{away} → {here}" in timeline
    shot(page, "supervise-reassigned-timeline")


def test_a_supervisor_sets_an_offices_target_time(new_page):
    supervisor = SupervisorFactory()
    page = new_page(supervisor)

    page.goto("/supervise/offices/")
    page.fill("#id_primary-sla_minutes", "90")
    page.fill("#id_primary-friday_closes_at", "13:30")
    with page.expect_navigation():
        page.locator("form[aria-labelledby='office-primary-title'] button").click()
    expect(page.locator(".messages")).to_be_visible()
    office = Office.objects.get(house__code="TM", kind="primary")
    assert office.sla_minutes == 90
    assert_accessible(page)
    shot(page, "supervise-offices")

    page.fill("#id_clinical-closes_at", "07:00")
    page.locator("form[aria-labelledby='office-clinical-title'] button").click()
    expect(page.locator("#id_clinical-closes_at_errors")).to_be_visible()


def _a_month_of_work(tm, cj):
    """Requests over the last two weeks in two houses, some fixed, some late,
    one reopened; calls through the day."""
    now = timezone.now()
    agents = [
        AgentFactory(provider=ProviderFactory(name="Cabinet Medical Dr. Popescu")),
        AgentFactory(
            provider=ProviderFactory(name="Laborator Someș", category=Category.PARA)
        ),
        AgentFactory(
            provider=ProviderFactory(
                name="Spitalul Județean Timișoara", category=Category.SPT
            )
        ),
    ]
    specialist = SpecialistFactory()
    for n in range(40):
        agent = agents[n % 3]
        kind = Kind.INVALID if n % 4 == 0 else Kind.BLOCKED
        card_request = CardRequestFactory(
            filed_by=agent, kind=kind, house=cj if n % 5 == 0 else tm
        )
        filed = now - timedelta(days=n % 14, hours=n % 7)
        fields = {"created_at": filed, "due_at": filed + timedelta(hours=4)}
        if n % 3 != 2:
            fields["first_action_at"] = filed + timedelta(minutes=5 + n)
            fields["resolved_at"] = filed + timedelta(minutes=30 + 9 * n)
            fields["status"] = "resolved"
            fields["outcome"] = "unblocked" if kind == Kind.BLOCKED else "reactivated"
        CardRequest.objects.filter(pk=card_request.pk).update(**fields)
    reopened = CardRequestFactory(filed_by=agents[0])
    services.card_request_claim(actor=specialist, card_request=reopened)
    services.card_request_resolve(
        actor=specialist, card_request=reopened, outcome="unblocked"
    )
    services.card_request_confirm(
        actor=agents[0], card_request=reopened, works=False, reader_error=36
    )
    operator = OperatorFactory()
    for n in range(25):
        CallFactory(
            operator=operator,
            started_at=now.replace(hour=6 + n % 9, minute=10) - timedelta(days=n % 10),
            outcome=["answered", "request_filed", "redirected"][n % 3],
        )


def test_the_reports_page_with_charts_tables_and_export(new_page, tm, cj):
    _a_month_of_work(tm, cj)
    supervisor = SupervisorFactory()
    page = new_page(supervisor)

    page.goto("/reports/")
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect").count() > 10
    assert "CAS Cluj" not in page.locator("main").inner_text()
    assert_accessible(page)
    shot(page, "reports-supervisor")
    page.locator("details summary").first.click()
    expect(page.locator("details table").first).to_be_visible()

    with page.expect_download() as download:
        page.locator("a[href^='/reports/requests.csv']").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.count("\n") == 1 + CardRequest.objects.filter(house=tm).count()

    page.locator("a", has_text="7").first.click()
    page.wait_for_url("**/reports/?start=*")
    assert page.locator("svg.chart").count() == 2


def test_a_national_admin_compares_houses(new_page, tm, cj):
    _a_month_of_work(tm, cj)
    page = new_page(AdminFactory(first_name="Admin", last_name="CNAS"))

    page.goto("/reports/")
    assert page.locator("#houses-chart-title").count() == 1
    table = page.locator("table.figures").first.inner_text()
    assert "CJ" in table and "TM" in table
    assert_accessible(page)
    shot(page, "reports-admin")
    assert house("TM") == tm
