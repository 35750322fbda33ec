"""The notification settings page in a real browser: a refused number, then the
choices saved; desktop and phone widths."""

from playwright.sync_api import expect

from tests.e2e.conftest import E2E, assert_accessible, shot

pytestmark = E2E


def test_an_agent_turns_on_sms_with_a_mobile_number(new_page, provider_agent):
    page = new_page(provider_agent, locale="en-GB")
    page.goto("/")
    page.get_by_role("link", name="Notification settings").click()
    expect(page.locator("h1")).to_have_text("Notification settings")
    assert_accessible(page)

    page.get_by_label("Send me messages by SMS").check()
    page.get_by_label("Mobile phone").fill("12345")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-phone .errorlist")).to_contain_text(
        "This is not a valid phone number"
    )
    assert_accessible(page)
    shot(page, "account-notifications-error")

    page.get_by_label("Mobile phone").fill("0736 203 666")
    page.get_by_label("Send me messages by email").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.get_by_label("Mobile phone")).to_have_value("+40736203666")
    shot(page, "account-notifications-saved")

    provider_agent.refresh_from_db()
    assert provider_agent.notify_sms is True
    assert provider_agent.notify_email is False
    assert provider_agent.phone == "+40736203666"


def test_the_settings_page_fits_a_phone_screen(new_page, specialist):
    page = new_page(specialist, viewport=(390, 844))
    page.goto("/account/notifications/")
    # Romanian interface (the page's own texts are translated afterwards).
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.locator("#id_phone")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert_accessible(page)
    shot(page, "account-notifications-phone")
