import re

from playwright.sync_api import expect

from tests.e2e.conftest import E2E, assert_accessible, enrol_if_asked, shot

pytestmark = E2E


def test_sign_in_page_in_both_languages(new_page, db):
    page = new_page()
    page.goto("/login/")
    assert page.locator("h1").inner_text() == "Autentificare"
    assert_accessible(page)
    shot(page, "sign-in-ro")

    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    shot(page, "sign-in-en")


def test_a_wrong_password_is_refused_in_place(new_page, provider_agent):
    page = new_page()
    page.goto("/login/")
    page.fill("#id_username", provider_agent.username)
    page.fill("#id_password", "wrong")
    page.get_by_role("button", name="Autentificare").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _password_step(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_a_specialist_enrols_an_app_then_a_reused_code_is_refused(new_page, specialist):
    page = new_page(locale="en-US")
    _password_step(page, specialist.username)

    # First sign-in: the enrolment page, with the key as text and as a QR code.
    expect(page).to_have_url(re.compile(r"/login/enrol/\?next="))
    expect(page.locator("img.otp-qr")).to_be_visible()
    assert (
        page.locator("img.otp-qr").get_attribute("src").startswith("data:image/svg+xml")
    )
    assert_accessible(page)
    shot(page, "sign-in-enrol")
    code = enrol_if_asked(page)
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.locator("h1")).to_be_visible()

    # Elsewhere, the password again: now the code step, where that code is spent.
    other = new_page(locale="en-US")
    _password_step(other, specialist.username)
    expect(other).to_have_url(re.compile(r"/login/code/\?next="))
    other.fill("#id_code", code)
    other.get_by_role("button", name="Verify").click()
    expect(other.get_by_role("alert")).to_contain_text("already used")
    assert_accessible(other)
    shot(other, "sign-in-code-refused")
    other.goto("/queue/")
    expect(other).to_have_url(re.compile(r"/login/code/"))
