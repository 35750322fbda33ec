"""End-to-end tests: Debian's Chromium driven by Playwright against a live server.

Every page a test opens is watched for Content Security Policy violations and
script errors; `shot(page, name)` keeps a screenshot in var/screenshots/ and
`assert_accessible(page)` runs axe-core (no serious or critical violations).
"""

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.providers.factories import totp_code_for_secret

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(django_settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"

# Each e2e module marks itself with this (the live server needs committed data;
# serialized_rollback restores the shipped houses after each test's flush).
E2E = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in this thread, so Django hands the tests new
    # connection objects: give them the data that serialized_rollback restores.
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_CODE = "ro"


class PageProblems(list):
    """CSP violations and uncaught script errors seen while a test ran."""


# Pages loaded and CSP violations seen over the whole e2e run (terminal summary).
E2E_TOTALS = {"pages": 0, "csp_violations": 0}


@pytest.fixture
def problems():
    seen = PageProblems()
    yield seen
    E2E_TOTALS["csp_violations"] += sum("Content Security Policy" in p for p in seen)


def _count_page(_page) -> None:
    E2E_TOTALS["pages"] += 1


def pytest_terminal_summary(terminalreporter):
    if E2E_TOTALS["pages"]:
        terminalreporter.write_line(
            f"e2e: {E2E_TOTALS['pages']} pages, "
            f"{E2E_TOTALS['csp_violations']} CSP violations"
        )
    xss = sys.modules.get("tests.e2e.test_xss")
    for line in getattr(xss, "TOTALS", {}).values():
        terminalreporter.write_line(line)


@pytest.fixture
def new_page(browser, live_server, problems):
    """`new_page(person=None, locale="ro-RO")`: a page in its own browser context,
    signed in as `person` when given."""
    contexts = []

    def make(person=None, locale="ro-RO", viewport=(1280, 860)):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        contexts.append(context)
        if person is not None:
            # CAS staff get a session verified with an authentication code, as
            # after a real sign-in (tests/conftest.py wraps force_login).
            client = Client()
            client.force_login(person)
            cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [
                    {
                        "name": django_settings.SESSION_COOKIE_NAME,
                        "value": cookie.value,
                        "url": live_server.url,
                    }
                ]
            )
        page = context.new_page()
        page.on("load", _count_page)
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda message: (
                problems.append(message.text)
                if "Content Security Policy" in message.text
                or message.type == "error"
                and "favicon" not in message.text
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert [p for p in problems if "Content Security Policy" in p] == []
    assert [p for p in problems if p.startswith("pageerror")] == []


def enrol_if_asked(page) -> str | None:
    """After the password step: a staff member without an authenticator app is on
    the enrolment page; read the key off it, as a person types it into their
    app, enter the code it makes and go on. Returns the code used, if any."""
    page.wait_for_load_state()
    if "/login/enrol/" not in page.url:
        return None
    code = totp_code_for_secret(page.locator("#otp-secret").inner_text())
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    return code


def shot(page, name: str) -> Path:
    """Keep a full-page screenshot of what the user sees now."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # caret="initial": hiding the caret would leave style attributes behind, which
    # htmx then copies into swapped content (and the CSP rightly refuses).
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def assert_accessible(page) -> None:
    """axe-core on the current page: no serious or critical violations."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm install`")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    serious = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, indent=1)
