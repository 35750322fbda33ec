"""The help pages in a real browser: from the provider's form to the list, the
search and the PIN reset article, in Romanian and English."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import E2E, assert_accessible, shot

pytestmark = E2E


def test_an_agent_goes_from_the_form_to_the_help_and_reads_the_pin_reset(
    new_page, provider_agent
):
    page = new_page(provider_agent)
    page.goto("/requests/new/")
    aside = page.locator("aside.aside-help")
    expect(aside.locator('a[href="/help/pin-reset/"]')).to_be_visible()
    aside.locator('a[href="/help/reader-errors/"]').click()

    expect(page).to_have_url(re.compile(r"/help/reader-errors/$"))
    expect(page.locator("h1")).to_have_text(
        "Ce înseamnă erorile cititorului de carduri"
    )
    errors = page.locator(".article-body ul li")
    expect(errors.filter(has_text="15, card blocat")).to_have_count(1)
    expect(errors.filter(has_text="3, 29 sau 44")).to_have_count(1)

    page.locator(".back a").click()
    expect(page.locator("h1")).to_be_visible()
    articles = page.locator(".article-item")
    expect(articles).to_have_count(4)
    expect(page.locator('nav .nav a[aria-current="page"]')).to_have_attribute(
        "href", "/help/"
    )
    assert_accessible(page)
    shot(page, "help-list")

    page.fill("#help-q", "resetare 0000")
    page.locator(".help-search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/help/\?q=resetare\+0000$"))
    expect(articles).to_have_count(3)
    articles.first.locator("a").click()

    expect(page.locator("h1")).to_have_text(
        "Resetarea PIN-ului după deblocarea cardului"
    )
    steps = page.locator(".article-body ol > li")
    expect(steps).to_have_count(8)
    expect(steps.nth(2)).to_contain_text("introduceți 0000 (patru zerouri)")
    expect(steps.nth(7)).to_contain_text("PIN-ul a fost schimbat cu succes")
    expect(page.locator(".help-side .others li")).to_have_count(3)
    assert_accessible(page)
    shot(page, "help-article")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(
        "The PIN reset after a blocked card is unblocked"
    )
    expect(steps.nth(3)).to_have_text("Press Change PIN eCard.")


def test_a_visitor_searches_the_help_without_signing_in(new_page):
    page = new_page()
    page.goto("/help/")
    expect(page.locator(".article-item")).to_have_count(4)
    page.fill("#help-q", "uitat")
    page.press("#help-q", "Enter")
    expect(page.locator(".article-item")).to_have_count(1)
    expect(page.locator(".article-item h2")).to_have_text(
        "PIN uitat: 5 încercări, apoi cardul se blochează"
    )
    page.fill("#help-q", "nimic de acest fel")
    page.press("#help-q", "Enter")
    expect(page.locator(".article-item")).to_have_count(0)
    expect(page.locator(".empty")).to_be_visible()
    assert_accessible(page)
