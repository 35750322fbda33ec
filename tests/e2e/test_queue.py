"""The specialist queue in a real browser: live refresh without reload (304 while
nothing changed), one-click claim, the full CID with a copy button, resolve, the
lost claim, keyboard shortcuts, filters, accessibility and screenshots."""

import re
import time
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from cards import services
from cards.models import Kind, Priority, Status
from providers.models import Category
from tests.cards.factories import CardRequestFactory
from tests.e2e.conftest import E2E, assert_accessible, shot
from tests.providers.factories import AgentFactory, ProviderFactory, house

pytestmark = E2E

CID = "80642000350012345678"


def rows_responses(page):
    """The status codes of the list's refreshes, as the page's script saw them."""
    seen = []
    page.on(
        "response",
        lambda response: (
            seen.append(response.status) if "/queue/rows/" in response.url else None
        ),
    )
    return seen


def start_of_a_minute():
    """The list also refreshes once a minute (due times are shown to the minute):
    start early in a minute so that a test's "unchanged" polls stay unchanged."""
    second = timezone.now().second
    if second > 35:
        time.sleep(61 - second)


def file_blocked_card(agent, cid=CID):
    card_request, _ = services.card_request_file(
        actor=agent, source="web", house=None, error_code=15, cid=cid
    )
    return card_request


def test_a_new_request_appears_live_and_is_claimed_copied_and_resolved(
    new_page, specialist, other_specialist, provider_agent
):
    waiting = CardRequestFactory(
        filed_by=provider_agent, due_at=timezone.now() - timedelta(minutes=7)
    )
    page = new_page(specialist)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    statuses = rows_responses(page)
    start_of_a_minute()
    page.goto("/queue/")
    expect(page.locator(f"#row-{waiting.reference}")).to_be_visible()
    assert_accessible(page)

    # Nothing changed: the refresh answers 304 and leaves the list alone.
    page.evaluate("window.stillTheSamePage = true")
    page.locator("table.queue-table").evaluate("t => t.dataset.marker = 'kept'")
    page.keyboard.press("j")
    focused = f"open-{waiting.reference}"
    assert page.evaluate("document.activeElement.id") == focused
    page.wait_for_timeout(6_000)
    assert 304 in statuses
    assert 200 not in statuses
    assert page.locator("table.queue-table").get_attribute("data-marker") == "kept"

    # A provider files a request: it appears without a reload, announced.
    filed = file_blocked_card(provider_agent)
    row = page.locator(f"#row-{filed.reference}")
    row.wait_for(timeout=12_000)
    assert page.evaluate("window.stillTheSamePage") is True
    assert 200 in statuses
    assert page.locator("#queue-news").inner_text().strip() != ""
    assert "is-fresh" in row.get_attribute("class")
    # The focus and the selected row survived the refresh.
    assert page.evaluate("document.activeElement.id") == focused
    assert "is-current" in page.locator(f"#row-{waiting.reference}").get_attribute(
        "class"
    )
    shot(page, "queue-live-new-request")

    # Another specialist has the same list open.
    rival = new_page(other_specialist)
    rival.goto("/queue/")
    rival.locator(f"#claim-{filed.reference}").wait_for()

    # Claim in one click (the keyboard: next row, then c).
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"open-{filed.reference}"
    page.keyboard.press("c")
    page.wait_for_url(f"**/queue/{filed.reference}/")
    identifier = page.locator("#identifier").inner_text()
    assert identifier.replace(" ", "").replace("\n", "") == CID
    copy = page.locator("button[data-copy]")
    expect(copy).to_be_visible()
    copy.click()
    expect(page.locator(".queue-copied")).to_have_text(re.compile(r"\S"))
    assert page.evaluate("navigator.clipboard.readText()") == CID
    assert_accessible(page)
    shot(page, "queue-detail-claimed")

    # The rival's click comes too late: the message names the winner.
    rival.locator(f"#claim-{filed.reference}").click()
    rival.wait_for_url(f"**/queue/{filed.reference}/")
    assert str(specialist) in rival.locator(".messages").inner_text()
    assert CID not in rival.locator("#identifier").inner_text().replace(" ", "")
    assert rival.locator("#resolve-form").count() == 0
    shot(rival, "queue-detail-lost-claim")

    # Resolve: the outcome is preselected; the page updates in place.
    page.evaluate("window.stillTheSamePage = true")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "id_resolve-outcome"
    page.fill("#id_resolve-note", "Deblocat în SIUI.")
    page.locator("#resolve-form button[type=submit]").click()
    page.locator("h1 .status-resolved").wait_for()
    assert page.evaluate("window.stillTheSamePage") is True
    assert filed.reference in page.locator(".messages").inner_text()
    assert "Deblocat în SIUI." in page.locator(".timeline").inner_text()
    filed.refresh_from_db()
    assert filed.status == Status.RESOLVED
    assert_accessible(page)
    shot(page, "queue-detail-resolved")


def test_a_refused_note_keeps_the_text_and_says_why(
    new_page, specialist, provider_agent
):
    card_request = file_blocked_card(provider_agent)
    services.card_request_claim(actor=specialist, card_request=card_request)
    page = new_page(specialist)
    page.goto(f"/queue/{card_request.reference}/")
    page.evaluate("window.stillTheSamePage = true")

    page.fill("#id_resolve-note", "PIN 4821 dat de pacient")
    page.locator("#resolve-form button[type=submit]").click()
    page.locator("#resolve-form .errorlist").wait_for()

    assert page.evaluate("window.stillTheSamePage") is True
    assert page.input_value("#id_resolve-note") == "PIN 4821 dat de pacient"
    assert page.get_attribute("#id_resolve-note", "aria-invalid") == "true"
    card_request.refresh_from_db()
    assert card_request.status == Status.IN_PROGRESS
    assert_accessible(page)
    shot(page, "queue-detail-form-error")


def test_filters_shortcuts_and_tablet_layout(new_page, supervisor, specialist):
    now = timezone.now()
    hospital = AgentFactory(provider=ProviderFactory(category=Category.SPT))
    blocked = CardRequestFactory(due_at=now + timedelta(minutes=20))
    invalid = CardRequestFactory(kind=Kind.INVALID, due_at=now + timedelta(hours=3))
    urgent = CardRequestFactory(
        filed_by=hospital, priority=Priority.URGENT, due_at=now - timedelta(minutes=40)
    )
    claimed = CardRequestFactory(due_at=now + timedelta(hours=2))
    services.card_request_claim(actor=specialist, card_request=claimed)

    page = new_page(supervisor)
    page.goto("/queue/")
    refs = page.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.reference)"
    )
    assert refs[0] == urgent.reference
    assert set(refs) == {
        blocked.reference,
        invalid.reference,
        urgent.reference,
        claimed.reference,
    }
    assert_accessible(page)
    shot(page, "queue-supervisor-desktop")

    # "?" shows the shortcuts; "/" goes to the filters.
    page.keyboard.press("?")
    assert page.locator("#queue-shortcuts").get_attribute("open") is not None
    shot(page, "queue-shortcuts-open")
    page.keyboard.press("?")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.closest('#queue-filters') !== null")

    # A filter applies at once, updates the address and keeps the page.
    page.evaluate("window.stillTheSamePage = true")
    page.select_option("#id_kind", "invalid")
    page.wait_for_url("**/queue/?kind=invalid")
    page.locator(f"#row-{blocked.reference}").wait_for(state="detached")
    assert page.locator("tbody tr").count() == 1
    expect(page.locator(f"#row-{invalid.reference}")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    page.select_option("#id_kind", "")
    page.select_option("#id_office", "hospital")
    page.wait_for_url("**/queue/?office=hospital")
    page.locator(f"#row-{invalid.reference}").wait_for(state="detached")
    assert page.locator("#tab-office-hospital").get_attribute("aria-current") == "true"

    # Back returns to the previous filters (a fresh page: no snapshot is kept).
    page.go_back()
    page.wait_for_url("**/queue/")
    page.locator(f"#row-{blocked.reference}").wait_for()
    assert page.locator("tbody tr").count() == 4
    assert page.input_value("#id_office") == ""
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"open-{urgent.reference}"

    # The tabs are plain links.
    page.locator("#tab-office-all").click()
    page.locator("#tab-status-in_progress").click()
    page.wait_for_url("**/queue/?status=in_progress")
    assert page.locator("tbody tr").count() == 1
    expect(page.locator(f"#row-{claimed.reference}")).to_be_visible()

    tablet = new_page(supervisor, viewport=(800, 1000))
    tablet.goto("/queue/")
    assert_accessible(tablet)
    shot(tablet, "queue-supervisor-tablet")
    width = tablet.evaluate("document.documentElement.scrollWidth")
    assert width <= 800

    tablet.goto(f"/queue/{claimed.reference}/")
    tablet.locator("details.queue-more summary").first.click()
    assert_accessible(tablet)
    shot(tablet, "queue-detail-tablet")


def test_the_specialist_list_on_a_tablet(new_page, specialist, provider_agent):
    card_request = file_blocked_card(provider_agent)
    page = new_page(specialist, viewport=(800, 1000))
    page.goto("/queue/")
    page.locator(f"#claim-{card_request.reference}").click()
    page.wait_for_url(f"**/queue/{card_request.reference}/")
    expect(page.locator("button[data-copy]")).to_be_visible()
    shot(page, "queue-specialist-detail-tablet")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_an_admin_picks_a_house_and_an_operator_reads_a_request(
    new_page, national_admin, operator, provider_agent
):
    timis = file_blocked_card(provider_agent)
    cluj = CardRequestFactory(house=house("CJ"), reference="CJ-2611-00007")

    page = new_page(national_admin)
    page.goto("/queue/")
    expect(page.locator(f"#row-{timis.reference}")).to_be_visible()
    expect(page.locator(f"#row-{cluj.reference}")).to_be_visible()
    page.select_option("#id_house", "CJ")
    page.wait_for_url("**/queue/?house=CJ")
    page.locator(f"#row-{timis.reference}").wait_for(state="detached")
    assert "CAS Cluj" in page.locator(f"#row-{cluj.reference}").inner_text()
    assert page.locator("h1 #queue-scope").inner_text() == "CAS Cluj"
    assert_accessible(page)
    shot(page, "queue-admin-house")

    reader = new_page(operator)
    reader.goto(f"/queue/{timis.reference}/")
    assert reader.locator("form[action$='/claim/']").count() == 0
    assert reader.locator("button[data-copy]").count() == 0
    assert CID not in reader.locator("#identifier").inner_text().replace(" ", "")
    assert_accessible(reader)
    shot(reader, "queue-detail-operator")
