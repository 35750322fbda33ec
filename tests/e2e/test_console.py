"""The phone console in a real browser: lookup as one types, the call form that
files a request in the same step, today's calls, other houses' numbers."""

import re

from playwright.sync_api import expect

from cards.models import Call, CallOutcome, CardRequest, Source
from cards.selectors import card_requests_listed_for
from providers.models import Office
from tests.e2e.conftest import E2E, assert_accessible, shot
from tests.providers.factories import ProviderFactory

pytestmark = E2E

CID = "80642000350012345678"


def caller():
    return ProviderFactory(
        name="Cabinet Medical Dr. Vlase",
        contract_number="MF-1234",
        phone="+40256201234",
    )


def find_and_select(page, typed: str):
    page.locator("#lookup-q").press_sequentially(typed, delay=40)
    results = page.locator("#lookup-results [data-provider]")
    expect(results).to_have_count(1)
    expect(page.locator("#lookup-results")).to_contain_text("Cabinet Medical Dr. Vlase")
    expect(page.locator("#lookup-status")).not_to_be_empty()
    results.click()


def test_an_operator_logs_a_call_that_files_a_blocked_card_request(
    new_page, operator, specialist
):
    provider = caller()
    page = new_page(operator)
    page.goto("/console/")
    form = page.locator("#call-form")
    expect(page.locator("[data-filing]")).to_be_hidden()
    assert_accessible(page)
    shot(page, "console-empty")

    find_and_select(page, "0256 201 234")

    expect(page.locator("#id_provider")).to_have_value(str(provider.pk))
    expect(page.locator("#provider-summary")).to_contain_text("MF-1234")
    expect(page.locator("#id_caller_phone")).to_have_value("0256 201 234")
    page.locator("#id_file_request").check()
    expect(page.locator("[data-filing]")).to_be_visible()
    expect(page.locator("#id_outcome")).to_have_value("request_filed")
    page.locator("#id_error_code").select_option("15")
    expect(page.locator("#id_cid")).to_be_visible()
    expect(page.locator("#id_card_number")).to_be_hidden()
    expect(page.locator("#error-advice")).not_to_be_empty()
    expect(page.locator("#id_reason")).to_have_value("blocked_card")
    page.locator("#id_cid").fill("8064 2000 3500 1234 5678")
    page.locator("#id_note").fill("Recepția a sunat pentru un pacient.")
    assert_accessible(page)
    shot(page, "console-filing")

    form.locator("button[type=submit]").click()

    expect(page.locator(".messages")).to_be_visible()
    card_request = CardRequest.objects.get()
    expect(page.locator(".messages")).to_contain_text(card_request.reference)
    today = page.locator("table.calls")
    expect(today).to_contain_text(card_request.reference)
    expect(today).to_contain_text("Cabinet Medical Dr. Vlase")
    expect(today).to_contain_text("0256 201 234")
    expect(page.locator("#id_caller_phone")).to_have_value("")  # a fresh form
    assert card_request.source == Source.PHONE
    assert card_request.identifier == CID
    assert card_request.house.code == "TM"
    call = Call.objects.get()
    assert call.outcome == CallOutcome.REQUEST_FILED
    assert list(call.card_requests.all()) == [card_request]
    assert card_request in card_requests_listed_for(specialist)  # the TM queue
    shot(page, "console-logged")

    page.locator(".messages a", has_text=card_request.reference).click()
    expect(page).to_have_url(re.compile(f"/queue/{card_request.reference}/$"))


def test_a_mistake_is_explained_in_place_and_nothing_typed_is_lost(new_page, operator):
    caller()
    page = new_page(operator)
    page.goto("/console/")
    find_and_select(page, "Vlase")
    page.locator("#id_caller_phone").fill("12")
    page.locator("#id_file_request").check()
    page.locator("#id_error_code").select_option("15")
    page.locator("#id_cid").fill("123")
    page.locator("#call-form button[type=submit]").click()

    expect(page.locator("#id_caller_phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_caller_phone")).to_be_focused()
    expect(page.locator("#id_cid_error")).to_be_visible()
    expect(page.locator("#id_cid")).to_have_value("123")
    expect(page.locator("[data-filing]")).to_be_visible()
    expect(page.locator("#provider-summary")).to_contain_text(
        "Cabinet Medical Dr. Vlase"
    )
    expect(page.locator("#lookup-q")).to_have_value("Vlase")  # the lookup stays
    expect(page.locator("#lookup-results [data-provider]")).to_have_count(1)
    assert not Call.objects.exists()
    assert_accessible(page)
    shot(page, "console-errors")


def test_a_reader_code_the_cas_does_not_fix_shows_its_advice_and_files_nothing(
    new_page, operator
):
    caller()
    page = new_page(operator)
    page.goto("/console/")
    find_and_select(page, "MF-1234")
    page.locator("#id_caller_phone").fill("0256 201 234")
    page.locator("#id_file_request").check()
    page.locator("#id_error_code").select_option("21")
    expect(page.locator("#id_cid")).to_be_hidden()
    expect(page.locator("#id_card_number")).to_be_hidden()
    expect(page.locator("#error-advice")).to_contain_text("PIN")
    page.locator("#call-form button[type=submit]").click()

    expect(page.locator(".messages")).to_contain_text("21")
    assert not CardRequest.objects.exists()
    assert Call.objects.get().outcome == CallOutcome.ANSWERED


def test_another_houses_numbers_are_one_click_away(new_page, operator):
    Office.objects.filter(house__code="CJ", kind="primary").update(
        phones=["0264 590 123"]
    )
    page = new_page(operator)
    page.goto("/console/")

    page.locator("#id_file_request").check()
    page.locator("#id_house").select_option("CJ")
    notice = page.locator("#filing-house-notice")
    expect(notice).to_contain_text("CAS Cluj")
    expect(notice.locator('a[href="tel:+40264590123"]')).to_have_text("0264 590 123")
    assert_accessible(page)
    shot(page, "console-other-house-notice")
    page.locator("#id_house").select_option("TM")
    expect(notice).to_be_empty()

    page.locator("#house-pick").select_option("TM")
    panel = page.locator("#house-panel")
    expect(panel.locator('a[href="tel:+40736203666"]')).to_have_text("0736 203 666")
    expect(panel).to_contain_text("CJAS Timiș")
    assert_accessible(page)
    shot(page, "console-other-house")


def test_the_console_on_a_tablet(new_page, operator):
    caller()
    page = new_page(operator, viewport=(800, 1000))
    page.goto("/console/")
    find_and_select(page, "Vlase")
    page.locator("#id_file_request").check()
    page.locator("#id_error_code").select_option("5")
    expect(page.locator("#id_card_number")).to_be_visible()
    expect(page.locator("#id_cid")).to_be_hidden()
    assert_accessible(page)
    shot(page, "console-tablet")

    page.locator("#id_caller_phone").fill("0256 201 234")
    page.locator("#id_card_number").fill("RO12 3456 7890 1234")
    page.locator("#call-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_focused()
    expect(page.locator("#lookup-q")).to_have_value("")
    expect(page.locator("table.calls tbody tr")).to_have_count(1)
    assert CardRequest.objects.get().kind == "invalid"
    assert_accessible(page)
    shot(page, "console-tablet-logged")
