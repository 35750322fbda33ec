"""The provider portal in a real browser: filing with live checks, my requests,
the guided PIN reset, the printable sheet and the messages page."""

import re

import pytest
from playwright.sync_api import expect

from cards import services
from cards.models import CardRequest, EventKind, Outcome, Status
from tests.cards.factories import CardRequestFactory
from tests.e2e.conftest import E2E, assert_accessible, shot
from tests.providers.factories import house

pytestmark = E2E

CID = "80642000350012345678"
CNP = "1800101420010"


@pytest.fixture
def resolved(provider_agent, specialist):
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    return services.card_request_resolve(
        actor=specialist,
        card_request=card_request,
        outcome=Outcome.UNBLOCKED,
        note="Deblocat în SIUI.",
    )


def test_an_agent_files_a_blocked_card_with_live_checks(new_page, provider_agent):
    page = new_page(provider_agent)
    page.goto("/requests/new/")
    cid, card_number = page.locator("#id_cid"), page.locator("#id_card_number")
    submit = page.locator("form[data-file-form] button[type=submit]")
    expect(cid).to_be_hidden()
    assert_accessible(page)
    shot(page, "portal-file")

    page.select_option("#id_error_code", "15")
    expect(cid).to_be_visible()
    expect(card_number).to_be_hidden()
    cid.fill(CNP)
    cid.blur()
    live = page.locator("#id_cid_live")
    expect(live).to_contain_text("CNP")
    expect(cid).to_have_attribute("aria-invalid", "true")
    shot(page, "portal-file-cnp")
    submit.click()  # refused in the browser: nothing is sent
    expect(cid).to_be_focused()
    assert CardRequest.objects.count() == 0

    cid.fill("8064 2000 3500 1234 5678")
    cid.blur()
    expect(live).to_be_empty()
    expect(cid).to_have_attribute("aria-invalid", "false")

    page.fill("#house-filter", "cluj")
    expect(page.locator("#house-filter-count")).not_to_be_empty()
    expect(page.locator("#id_house")).to_have_value(str(house("CJ").pk))
    assert_accessible(page)
    shot(page, "portal-file-house-filter")
    submit.click()

    card_request = CardRequest.objects.get()
    expect(page).to_have_url(re.compile(f"/requests/{card_request.reference}/$"))
    assert (card_request.identifier, card_request.house.code) == (CID, "CJ")
    expect(page.locator(".message.success")).to_be_visible()

    page.goto("/requests/")
    row = page.locator("table.requests tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("a")).to_have_text(card_request.reference)
    expect(row).to_contain_text("5678")
    assert_accessible(page)
    shot(page, "portal-requests")


def test_a_code_the_cas_does_not_fix_is_explained_and_not_filed(
    new_page, provider_agent
):
    page = new_page(provider_agent)
    page.goto("/requests/new/")

    page.select_option("#id_error_code", "14")

    advice = page.locator('[data-advice="14"]')
    expect(advice).to_be_visible()
    expect(advice.locator("h2")).to_contain_text("14")
    expect(page.locator('[data-advice="21"]')).to_be_hidden()
    expect(page.locator("form[data-file-form] button[type=submit]")).to_be_hidden()
    expect(page.locator("#id_cid")).to_be_hidden()
    assert_accessible(page)
    shot(page, "portal-file-error-14")

    page.select_option("#id_error_code", "5")
    expect(advice).to_be_hidden()
    expect(page.locator("#id_card_number")).to_be_visible()
    expect(page.locator("form[data-file-form] button[type=submit]")).to_be_visible()


def walk_to_the_end(page):
    label = page.locator("#guide-progress-label")
    bar = page.locator(".guide progress")
    steps = page.locator("[data-guide-steps] > li")
    outcome = page.locator("#outcome")
    expect(steps).to_have_count(8)
    for number in range(1, 9):
        expect(label).to_contain_text(f"{number}")
        expect(label).to_contain_text("8")
        expect(bar).to_have_attribute("value", str(number))
        expect(steps.nth(number - 1)).to_be_visible()
        expect(page.locator("[data-guide-steps] > li:visible")).to_have_count(1)
        expect(outcome).to_be_hidden()
        page.locator("[data-guide-next]").click()
    expect(outcome).to_be_visible()
    expect(outcome).to_be_focused()


def test_the_agent_walks_the_pin_reset_and_confirms_the_card_works(
    new_page, provider_agent, resolved
):
    page = new_page(provider_agent)
    page.goto(f"/requests/{resolved.reference}/")
    expect(page.locator("[data-guide-back]")).to_be_disabled()
    assert_accessible(page)
    shot(page, "portal-request-step-1")

    page.locator("[data-guide-next]").click()
    page.locator("[data-guide-back]").click()
    expect(page.locator("#guide-progress-label")).to_contain_text("1")
    walk_to_the_end(page)
    assert_accessible(page)
    shot(page, "portal-request-outcome")

    page.locator('button[name="works"][value="yes"]').click()

    expect(page.locator(".status-closed").first).to_be_visible()
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED
    shot(page, "portal-request-closed")


def test_still_fails_with_error_36_reopens_the_request(
    new_page, provider_agent, resolved
):
    page = new_page(provider_agent, viewport=(800, 1000))
    page.goto(f"/requests/{resolved.reference}/")
    shot(page, "portal-request-tablet")
    walk_to_the_end(page)

    page.locator(".still-fails summary").click()
    still_fails = page.locator(".still-fails form")
    still_fails.locator("button[type=submit]").click()  # no reason yet: refused
    expect(page.locator("#id_reader_error_error")).to_be_visible()
    expect(page.locator("#outcome")).to_be_visible()
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    assert_accessible(page)
    shot(page, "portal-request-still-fails-tablet")

    page.select_option("#id_reader_error", "36")
    page.locator(".still-fails form button[type=submit]").click()

    expect(page.locator(".status-new").first).to_be_visible()
    resolved.refresh_from_db()
    assert resolved.status == Status.NEW
    event = resolved.events.last()
    assert event.kind == EventKind.REOPENED
    assert "36" in event.text


def test_the_printable_sheet_fits_one_a4_page(new_page, provider_agent, resolved):
    page = new_page(provider_agent)
    page.goto(f"/requests/{resolved.reference}/")
    page.locator(f'a[href="/requests/{resolved.reference}/print/"]').click()

    expect(page.locator(".sheet-steps > li")).to_have_count(8)
    expect(page.locator("[data-print]")).to_be_visible()
    expect(page.locator(".sheet")).not_to_contain_text(CID)
    expect(page.locator(".sheet")).to_contain_text("5678")
    assert_accessible(page)
    shot(page, "portal-print")

    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()
    shot(page, "portal-print-media")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_the_messages_page_shows_the_unread_badge_and_opens_the_request(
    new_page, provider_agent, resolved
):
    page = new_page(provider_agent)
    page.goto("/requests/")
    badge = page.locator(".topbar .inbox .count")
    expect(badge).to_have_text("1")

    page.locator(".topbar .inbox").click()
    expect(page).to_have_url(re.compile("/messages/$"))
    item = page.locator(".inbox-item.unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(resolved.reference)
    assert_accessible(page)
    shot(page, "portal-messages")

    item.locator("button.inbox-subject").click()

    expect(page).to_have_url(re.compile(f"/requests/{resolved.reference}/$"))
    expect(badge).to_have_count(0)
    page.goto("/messages/")
    expect(page.locator(".inbox-item.unread")).to_have_count(0)
    shot(page, "portal-messages-read")


def test_my_requests_and_the_form_at_tablet_width(new_page, provider_agent, resolved):
    CardRequestFactory(filed_by=provider_agent)
    page = new_page(provider_agent, viewport=(800, 1000))
    page.goto("/requests/")
    assert_accessible(page)
    shot(page, "portal-requests-tablet")
    page.goto("/requests/new/")
    page.select_option("#id_error_code", "5")
    page.fill("#id_card_number", "RO1A 2B3C")
    page.locator("#id_card_number").blur()
    expect(page.locator("#id_card_number_live")).not_to_be_empty()
    shot(page, "portal-file-tablet")


def test_the_cas_question_is_answered_in_place(new_page, provider_agent, specialist):
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_ask_info(
        actor=specialist,
        card_request=card_request,
        question="Pe scrisoarea cardului scrie CJAS Timiș sau CAS Cluj?",
    )
    page = new_page(provider_agent)
    page.goto(f"/requests/{card_request.reference}/")
    expect(page.locator(".question blockquote")).to_contain_text("CAS Cluj?")
    assert_accessible(page)
    shot(page, "portal-request-question")

    page.fill("#id_answer", "CJAS Timiș")
    page.locator(".question button[type=submit]").click()

    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator(".question")).to_have_count(0)
    card_request.refresh_from_db()
    assert card_request.status == Status.NEW
    answer = card_request.events.filter(kind=EventKind.INFO_GIVEN).get()
    assert answer.text == "CJAS Timiș"
