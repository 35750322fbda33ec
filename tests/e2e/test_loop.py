"""The whole loop in a real browser, nothing driven behind the pages' backs:
a receptionist files a blocked card, the specialist sees it arrive in the open
queue, claims and resolves it, the receptionist gets the message, walks the PIN
reset and confirms, and the request closes."""

import re

from django.core import mail
from playwright.sync_api import expect

from cards.models import CardRequest, Status
from tests.e2e.conftest import E2E, assert_accessible, enrol_if_asked, shot

pytestmark = E2E

CID = "80642000350012345678"


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    enrol_if_asked(page)  # CAS staff: the authenticator app, the first time


def test_blocked_card_from_filing_to_closed(new_page, provider_agent, specialist):
    desk = new_page(locale="en-US")
    sign_in(desk, specialist.username)
    expect(desk).to_have_url(re.compile("/queue/$"))
    expect(desk.locator("table.queue-table tbody tr")).to_have_count(0)

    reception = new_page(locale="en-US")
    sign_in(reception, provider_agent.username)
    expect(reception).to_have_url(re.compile("/requests/$"))
    reception.goto("/requests/new/")
    reception.select_option("#id_error_code", "15")
    reception.fill("#id_cid", CID)
    reception.fill("#id_note", "The patient is waiting at the desk.")
    reception.locator("form[data-file-form] button[type=submit]").click()
    expect(reception.locator(".message.success")).to_be_visible()
    card_request = CardRequest.objects.get(identifier=CID)
    assert (card_request.house.code, card_request.office.kind) == ("TM", "primary")

    # The open queue shows it within a few polls, without a reload.
    row = desk.locator(f"#row-{card_request.reference}")
    expect(row).to_be_visible(timeout=15_000)
    shot(desk, "loop-queue-new-request")
    desk.locator(f"#claim-{card_request.reference}").click()
    expect(desk.locator("#identifier")).to_contain_text("5678")
    assert desk.locator("#identifier").inner_text().replace(" ", "") == CID
    desk.fill("#id_resolve-note", "Unblocked in the national card system.")
    desk.locator("#resolve-form button[type=submit]").click()
    expect(desk.locator("h1 .status-resolved")).to_be_visible()
    assert_accessible(desk)

    # The receptionist is told: an unread message in the header, and an email.
    reception.goto("/requests/")
    expect(reception.locator(".topbar .inbox .count")).to_have_text("1")
    assert any(card_request.reference in m.subject for m in mail.outbox)
    assert all(CID not in m.body for m in mail.outbox)
    reception.locator(".topbar .inbox").click()
    reception.locator(".inbox-item.unread button.inbox-subject").click()
    expect(reception).to_have_url(re.compile(f"/requests/{card_request.reference}/$"))

    # The PIN reset, one step at a time, then "the card works".
    label = reception.locator("#guide-progress-label")
    for step in range(1, 9):
        expect(label).to_contain_text(f"{step}")
        reception.locator("[data-guide-next]").click()
    expect(reception.locator("#outcome")).to_be_visible()
    shot(reception, "loop-pin-reset-done")
    reception.locator('button[name="works"][value="yes"]').click()
    expect(reception.locator(".status-closed").first).to_be_visible()

    card_request.refresh_from_db()
    assert card_request.status == Status.CLOSED
    kinds = list(
        card_request.events.exclude(kind="notified").values_list("kind", flat=True)
    )
    assert kinds == ["filed", "claimed", "resolved", "confirmed"]
