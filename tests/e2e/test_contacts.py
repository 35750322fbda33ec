"""The public contacts page in a real browser: both languages, the search, the
tel: links."""

from playwright.sync_api import expect

from tests.e2e.conftest import E2E, assert_accessible, shot

pytestmark = E2E


def test_the_contacts_page_in_romanian_and_english(new_page, db):
    page = new_page()
    page.goto("/contacts/")
    assert page.locator("html").get_attribute("lang") == "ro"
    expect(page.locator(".national-number a")).to_have_attribute(
        "href", "tel:+40800800950"
    )
    expect(page.locator(".house")).to_have_count(43)
    timis = page.locator("#house-TM")
    expect(timis).to_contain_text("Casa Județeană de Asigurări de Sănătate Timiș")
    expect(timis.locator('a[href="tel:+40736203666"]')).to_have_text("0736 203 666")
    expect(timis.locator('a[href^="tel:"]')).to_have_count(3)
    assert_accessible(page)
    shot(page, "contacts-ro")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Contacts of the health insurance houses")
    expect(page.locator("#house-TM")).to_contain_text("Primary care")
    assert_accessible(page)
    shot(page, "contacts-en")

    page.get_by_role("button", name="Română").click()
    expect(page.locator("html")).to_have_attribute("lang", "ro")


def test_the_search_narrows_the_houses_as_one_types(new_page, db):
    page = new_page()
    page.goto("/contacts/")
    search = page.locator("#contacts-q")

    search.press_sequentially("timis", delay=30)
    expect(page.locator(".house:visible")).to_have_count(1)
    expect(page.locator("#house-TM")).to_be_visible()
    expect(page.locator("#contacts-count")).to_have_text("1")
    expect(page.locator('.house-index li:visible a[href="#house-TM"]')).to_have_count(1)
    shot(page, "contacts-search")

    search.fill("CJ")
    expect(page.locator(".house:visible")).to_have_count(1)
    expect(page.locator("#house-CJ")).to_contain_text("0800 800 950")

    search.fill("no such house")
    expect(page.locator(".house:visible")).to_have_count(0)
    expect(page.locator("#contacts-none")).to_be_visible()

    search.fill("")
    expect(page.locator(".house:visible")).to_have_count(43)
    search.fill("b")
    search.press("Enter")
    expect(page.locator(".house:visible")).to_have_count(1)
    expect(page.locator("#house-B")).to_be_visible()
    assert page.url.endswith("/contacts/?q=b")


def test_a_search_link_works_without_typing(new_page, db):
    page = new_page()
    page.goto("/contacts/?q=cluj")
    expect(page.locator(".house:visible")).to_have_count(1)
    expect(page.locator("#contacts-q")).to_have_value("cluj")


def test_the_contacts_page_on_a_tablet_signed_in(new_page, operator):
    page = new_page(operator, viewport=(800, 1000))
    page.goto("/contacts/#house-TM")
    expect(page.locator("nav[aria-label]").first).to_be_visible()
    expect(page.locator("#house-TM")).to_be_in_viewport()
    assert_accessible(page)
    shot(page, "contacts-tablet")
