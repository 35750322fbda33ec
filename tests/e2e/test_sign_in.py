from tests.e2e.conftest import E2E, assert_accessible, shot

pytestmark = E2E


def test_sign_in_page_in_both_languages(new_page, db):
    page = new_page()
    page.goto("/login/")
    assert page.locator("h1").inner_text() == "Autentificare"
    assert_accessible(page)
    shot(page, "sign-in-ro")

    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Sign in"
    shot(page, "sign-in-en")


def test_a_wrong_password_is_refused_in_place(new_page, provider_agent):
    page = new_page()
    page.goto("/login/")
    page.fill("#id_username", provider_agent.username)
    page.fill("#id_password", "wrong")
    page.get_by_role("button", name="Autentificare").click()
    assert page.get_by_role("alert").is_visible()
