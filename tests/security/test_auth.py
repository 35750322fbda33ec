"""Authentication: two-factor sign-in for CAS staff, sign-in lockout, the same answer
for an unknown username and a wrong password, sessions (rotation, idle timeout,
logout, deactivation), API tokens, rate limits and the trusted client address."""

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin, auth
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk.network import client_address
from providers import middleware
from providers.middleware import LAST_ACTIVITY_KEY
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import (
    AdminFactory,
    AgentFactory,
    OperatorFactory,
    SpecialistFactory,
    SupervisorFactory,
    TOTPDeviceFactory,
    house,
    totp_code,
    totp_code_for_secret,
)

PASSWORD = "correct horse battery"
CID = "80642000350012345678"
STAFF_FACTORIES = {
    "phone_operator": OperatorFactory,
    "specialist": SpecialistFactory,
    "supervisor": SupervisorFactory,
    "national_admin": AdminFactory,
}


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def page_of(response) -> str:
    return response.content.decode()


def secret_on(page: str) -> str:
    match = re.search(r'<code id="otp-secret"[^>]*>([A-Z2-7 ]+)</code>', page)
    assert match, "no secret on the enrolment page"
    return match.group(1)


@pytest.fixture
def no_code_throttle(settings):
    """django-otp slows down a code after a wrong one (1 s, 2 s, 4 s…): off for
    tests that enter a wrong code and then a right one."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


# Two-factor sign-in ---------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_FACTORIES)
def test_staff_without_an_app_enrol_after_the_password_then_reach_their_page(db, role):
    person = STAFF_FACTORIES[role]()
    client = Client()

    response = sign_in(client, person.username)
    assert response.status_code == 302
    assert response.url.startswith("/login/code/?next=")
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url.startswith("/login/enrol/?next=")

    page = client.get(response.url)
    assert page.status_code == 200
    html = page_of(page)
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn by the server
    assert "<script" not in html.split("<main", 1)[1]
    secret = secret_on(html)
    assert len(secret.replace(" ", "")) == 32
    device = TOTPDevice.objects.get(user=person)
    assert not device.confirmed

    done = client.post(
        "/login/enrol/", {"code": totp_code_for_secret(secret), "next": "/"}
    )
    assert done.status_code == 302 and done.url == "/"
    home = client.get("/", follow=True)
    assert home.status_code == 200
    assert home.redirect_chain[-1][0] not in ("/login/code/", "/login/enrol/")
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_provider_agent_signs_in_with_the_password_alone(provider_agent):
    client = Client()
    response = sign_in(client, provider_agent.username)
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/requests/").status_code == 200
    assert not TOTPDevice.objects.filter(user=provider_agent).exists()


def test_staff_with_an_app_are_asked_for_its_code_after_the_password(
    specialist, no_code_throttle
):
    device = TOTPDeviceFactory(user=specialist)
    client = Client()

    response = sign_in(client, specialist.username)
    assert response.url == "/login/code/?next=%2F"
    form = client.get(response.url)
    assert form.status_code == 200
    assert 'autocomplete="one-time-code"' in page_of(form)
    assert "otp-secret" not in page_of(form)  # no new secret for someone enrolled

    wrong = client.post("/login/code/", {"code": "000000", "next": "/"})
    assert wrong.status_code == 400
    assert "This code is not right" in page_of(wrong)
    assert client.get("/queue/").status_code == 302

    malformed = client.post("/login/code/", {"code": "12ab", "next": "/"})
    assert malformed.status_code == 400
    assert "Enter the 6 digits your app shows." in page_of(malformed)

    right = client.post("/login/code/", {"code": totp_code(device), "next": "/queue/"})
    assert right.status_code == 302 and right.url == "/queue/"
    assert client.get("/queue/").status_code == 200


def test_a_code_is_refused_the_second_time(specialist):
    device = TOTPDeviceFactory(user=specialist)
    code = totp_code(device)
    first, second = Client(), Client()

    sign_in(first, specialist.username)
    assert first.post("/login/code/", {"code": code}).status_code == 302

    sign_in(second, specialist.username)
    replay = second.post("/login/code/", {"code": code})
    assert replay.status_code == 400
    assert "already used" in page_of(replay)
    assert second.get("/queue/").url.startswith("/login/code/")


def test_the_enrolment_code_cannot_be_replayed_either(specialist):
    client = Client()
    sign_in(client, specialist.username)
    secret = secret_on(page_of(client.get("/login/enrol/")))
    code = totp_code_for_secret(secret)
    assert client.post("/login/enrol/", {"code": code}).status_code == 302

    again = Client()
    sign_in(again, specialist.username)
    assert again.post("/login/code/", {"code": code}).status_code == 400


def test_repeated_wrong_codes_slow_down_the_next_tries(specialist):
    device = TOTPDeviceFactory(user=specialist)
    client = Client()
    sign_in(client, specialist.username)
    client.post("/login/code/", {"code": "000000"})

    # Right code, but straight after a wrong one: refused until the pause ends.
    response = client.post("/login/code/", {"code": totp_code(device)})
    assert response.status_code == 400
    assert "Too many wrong codes" in page_of(response)


def test_a_password_alone_cannot_replace_an_enrolled_app(specialist):
    TOTPDeviceFactory(user=specialist)
    client = Client()
    sign_in(client, specialist.username)

    response = client.get("/login/enrol/")
    assert response.status_code == 302 and response.url.startswith("/login/code/")
    assert client.post("/login/enrol/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=specialist).count() == 1


@pytest.mark.unverified
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/queue/",
        "/console/",
        "/account/notifications/",
        "/contacts/",
        "/messages/",
        "/admin/",
        "/login/",
    ],
)
def test_before_the_code_a_staff_session_is_sent_to_the_code_step(
    client, specialist, path
):
    client.force_login(specialist)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/login/code/?next=")


@pytest.mark.unverified
def test_before_the_code_language_and_sign_out_still_work(client, specialist):
    client.force_login(specialist)

    language = client.post("/i18n/setlang/", {"language": "ro", "next": "/login/code/"})
    assert language.status_code == 302 and language.url == "/login/code/"
    assert client.cookies["django_language"].value == "ro"

    assert client.post("/logout/").status_code == 302
    assert client.get("/queue/").url.startswith("/login/?next=")


@pytest.mark.unverified
def test_the_api_refuses_an_unverified_staff_session(client, specialist):
    client.force_login(specialist)
    response = client.get("/api/v1/requests/")
    assert response.status_code == 403
    assert "authenticator app" in response.json()["detail"]


def test_the_api_serves_a_verified_staff_session(client, specialist):
    client.force_login(specialist)
    assert client.get("/api/v1/requests/").status_code == 200


@pytest.mark.unverified
def test_the_admin_needs_a_verified_session(client, db):
    person = AdminFactory(is_staff=True, is_superuser=True)
    assert isinstance(admin.site, OTPAdminSite)

    client.force_login(person)
    assert client.get("/admin/").url.startswith("/login/code/")

    verified = Client()
    verified.force_login(person)
    session = verified.session
    device = TOTPDeviceFactory(user=person)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert verified.get("/admin/").status_code == 200


def test_a_removed_app_unverifies_the_session(client, specialist):
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200
    TOTPDevice.objects.filter(user=specialist).delete()
    assert client.get("/queue/").url.startswith("/login/code/")


# API tokens -----------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_FACTORIES)
def test_the_token_endpoint_does_not_issue_tokens_to_staff(db, role):
    person = STAFF_FACTORIES[role]()
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": person.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 403
    assert "API tokens are for provider integrations" in response.json()["detail"]
    assert not Token.objects.filter(user=person).exists()


def test_a_staff_token_made_elsewhere_is_refused(specialist):
    token = Token.objects.create(user=specialist)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/v1/requests/")
    assert response.status_code == 401
    assert "API tokens are for provider integrations" in response.json()["detail"]


def test_an_unknown_token_and_an_inactive_agents_token_are_refused(provider_agent):
    from providers.models import Person

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    unknown = client.get("/api/v1/requests/")
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == "Invalid token."

    token = Token.objects.create(user=provider_agent)
    Person.objects.filter(pk=provider_agent.pk).update(is_active=False)  # no signal
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    inactive = client.get("/api/v1/requests/")
    assert inactive.status_code == 401
    assert inactive.json()["detail"] == "User inactive or deleted."


def tokens_read(captured) -> int:
    return sum('FROM "authtoken_token"' in q["sql"] for q in captured)


def test_a_token_is_read_once_until_it_or_its_agent_changes(provider_agent, settings):
    """Each process keeps a token's agent under the tokens' version: a deleted
    token, or its agent deactivated or moved, counts on the very next request."""
    settings.QUEUE_VERSIONS = True
    other = CardRequestFactory()
    token = Token.objects.create(user=provider_agent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/requests/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/requests/").status_code == 200
    assert tokens_read(captured) == 0

    # The agent moved to another provider: the next request lists that one's.
    provider_agent.provider = other.provider
    provider_agent.save()
    listed = client.get("/api/v1/requests/").json()["results"]
    assert [r["reference"] for r in listed] == [other.reference]

    provider_agent.is_active = False
    provider_agent.save()  # its token deleted too
    assert client.get("/api/v1/requests/").status_code == 401

    agent = AgentFactory()
    token = Token.objects.create(user=agent)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/requests/").status_code == 200
    token.delete()
    assert client.get("/api/v1/requests/").status_code == 401


def test_a_provider_agent_exchanges_a_password_for_a_working_token(provider_agent):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": provider_agent.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/requests/").status_code == 200


# The same answer for an unknown username and a wrong password ----------------------


def _normalised(response, username: str) -> str:
    html = page_of(response)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'nonce="[^"]+"', "", html)  # new for every response
    return html.replace(f'value="{username}"', 'value="…"')


def test_the_login_page_answers_an_unknown_user_and_a_wrong_password_alike(
    provider_agent,
):
    wrong = sign_in(Client(), provider_agent.username, "not the password")
    unknown = sign_in(Client(), "nobody.here", "not the password")
    inactive_person = AgentFactory(username="gone.agent", is_active=False)
    inactive = sign_in(Client(), inactive_person.username)

    assert wrong.status_code == unknown.status_code == inactive.status_code == 200
    assert "Please enter a correct username and password" in page_of(wrong)
    expected = _normalised(wrong, provider_agent.username)
    assert _normalised(unknown, "nobody.here") == expected
    assert _normalised(inactive, "gone.agent") == expected


def test_the_token_endpoint_answers_an_unknown_user_and_a_wrong_password_alike(
    provider_agent,
):
    def ask(username, password):
        return APIClient().post(
            "/api/v1/auth/token/",
            {"username": username, "password": password},
            format="json",
        )

    wrong = ask(provider_agent.username, "not the password")
    unknown = ask("nobody.here", "not the password")
    inactive = ask(AgentFactory(is_active=False).username, PASSWORD)

    assert wrong.status_code == unknown.status_code == inactive.status_code == 400
    assert wrong.content == unknown.content == inactive.content
    assert wrong.json() == {
        "non_field_errors": ["Unable to sign in with these credentials."]
    }


# Lockout ---------------------------------------------------------------------------


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def test_failures_lock_the_username_at_that_address_only(limits, provider_agent):
    here = {"REMOTE_ADDR": "203.0.113.10"}
    codes = [
        sign_in(Client(), provider_agent.username, "wrong", **here).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]  # the third failure sets the lock

    locked = sign_in(Client(), provider_agent.username, **here)  # right password
    assert locked.status_code == 429
    assert "Too many failed sign-ins from this address" in page_of(locked)
    assert "15 minutes" in page_of(locked)
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    assert provider_agent.username not in page_of(locked)

    # Elsewhere the same person signs in: nobody can lock them out of every place.
    elsewhere = sign_in(Client(), provider_agent.username, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302


def test_failures_with_many_usernames_lock_the_address(limits, provider_agent):
    here = {"REMOTE_ADDR": "203.0.113.20"}
    codes = [
        sign_in(Client(), f"guess{n}", "wrong", **here).status_code for n in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]

    assert sign_in(Client(), provider_agent.username, **here).status_code == 429
    other = sign_in(Client(), provider_agent.username, REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 302


def test_the_lock_lifts_after_the_cool_off(limits, provider_agent):
    here = {"REMOTE_ADDR": "203.0.113.30"}
    for _ in range(3):
        sign_in(Client(), provider_agent.username, "wrong", **here)
    assert sign_in(Client(), provider_agent.username, **here).status_code == 429

    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16)
    )
    assert sign_in(Client(), provider_agent.username, **here).status_code == 302


def test_a_success_clears_that_usernames_failures_at_that_address_only(
    limits, provider_agent, other_agent
):
    here = {"REMOTE_ADDR": "203.0.113.40"}
    sign_in(Client(), provider_agent.username, "wrong", **here)
    sign_in(Client(), provider_agent.username, "wrong", **here)
    sign_in(Client(), other_agent.username, "wrong", **here)

    assert sign_in(Client(), provider_agent.username, **here).status_code == 302

    left = AccessAttempt.objects.values_list("username", "failures_since_start")
    assert list(left) == [(other_agent.username, 1)]
    # Two more failures would have locked the pair had the count not been reset.
    sign_in(Client(), provider_agent.username, "wrong", **here)
    sign_in(Client(), provider_agent.username, "wrong", **here)
    assert sign_in(Client(), provider_agent.username, **here).status_code == 302


def test_the_token_endpoint_is_locked_too(limits, provider_agent):
    client = APIClient(REMOTE_ADDR="203.0.113.50")
    body = {"username": provider_agent.username, "password": "wrong"}
    codes = [
        client.post("/api/v1/auth/token/", body, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]

    body["password"] = PASSWORD
    locked = client.post("/api/v1/auth/token/", body, format="json")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "Too many failed sign-ins" in locked.json()["detail"]
    assert int(locked["Retry-After"]) > 0
    assert not Token.objects.filter(user=provider_agent).exists()


# Sessions -------------------------------------------------------------------------


def test_the_session_key_changes_at_sign_in_and_again_at_the_code(specialist):
    device = TOTPDeviceFactory(user=specialist)
    client = Client()
    session = client.session  # a session that exists before signing in
    session["visited"] = True
    session.save()
    planted = client.cookies["sessionid"].value

    sign_in(client, specialist.username)
    after_password = client.cookies["sessionid"].value
    assert after_password != planted

    client.post("/login/code/", {"code": totp_code(device)})
    after_code = client.cookies["sessionid"].value
    assert after_code != after_password
    assert not Session.objects.filter(session_key=after_password).exists()


def test_signing_out_ends_the_session_on_the_server(client, specialist):
    client.force_login(specialist)
    key = client.cookies["sessionid"].value
    assert client.post("/logout/").status_code == 302

    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/queue/").url.startswith("/login/")


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(middleware.time, "time", clock)
    return clock


POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "queue-list"}


def test_the_queues_polling_alone_lets_a_staff_session_expire(
    client, specialist, clock, settings
):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1800
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200  # activity at t0
    start = client.session[LAST_ACTIVITY_KEY]
    assert start == int(clock.now)

    etag = client.get("/queue/rows/", **POLL)["ETag"]
    for minutes in (5, 15, 29):
        clock.now = start + minutes * 60
        poll = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag, **POLL)
        assert poll.status_code == 304
        assert client.session[LAST_ACTIVITY_KEY] == start  # polling is not activity

    clock.now = start + 30 * 60 + 1
    expired = client.get("/queue/rows/", HTTP_IF_NONE_MATCH=etag, **POLL)
    assert expired.status_code == 302 and expired.url.startswith("/login/")
    assert client.get("/queue/").url.startswith("/login/")


def test_a_click_keeps_a_staff_session_alive(client, specialist, clock, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1800
    client.force_login(specialist)
    client.get("/queue/")
    start = client.session[LAST_ACTIVITY_KEY]

    clock.now = start + 20 * 60
    # The filter form refreshes the same list, but a person chose the filter.
    filtered = client.get(
        "/queue/rows/", HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="queue-filters"
    )
    assert filtered.status_code == 200
    assert client.session[LAST_ACTIVITY_KEY] == start + 20 * 60

    clock.now = start + 45 * 60
    assert client.get("/queue/").status_code == 200


def test_an_idle_sign_out_says_why(client, specialist, clock, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1800
    client.force_login(specialist)
    client.get("/queue/")
    key = client.cookies["sessionid"].value
    clock.now += 31 * 60

    page = client.get("/queue/", follow=True)
    assert page.redirect_chain[-1][0].startswith("/login/")
    assert "signed out after 30 minutes without activity" in page_of(page)
    assert not Session.objects.filter(session_key=key).exists()


def test_provider_agents_have_no_idle_timeout(client, provider_agent, clock):
    client.force_login(provider_agent)
    client.get("/requests/")
    clock.now += 3 * 3600
    assert client.get("/requests/").status_code == 200
    assert LAST_ACTIVITY_KEY not in client.session


def test_deactivating_a_person_ends_their_sessions_and_token_at_once(
    specialist, provider_agent, api
):
    desk, other_desk = Client(), Client()
    desk.force_login(specialist)
    other_desk.force_login(specialist)
    agent_api = api(provider_agent)
    assert desk.get("/queue/").status_code == 200
    assert agent_api.get("/api/v1/requests/").status_code == 200
    bystander = Client()
    bystander.force_login(SpecialistFactory())

    for person in (specialist, provider_agent):
        person.is_active = False
        person.save()

    assert Session.objects.count() == 1  # only the bystander's
    assert not Token.objects.exists()
    assert desk.get("/queue/").url.startswith("/login/")
    assert agent_api.get("/api/v1/requests/").status_code == 401
    assert bystander.get("/queue/").status_code == 200


def test_an_inactive_person_is_refused_even_without_the_hook(
    client, specialist, settings
):
    """Deactivated outside the app (no signal): refused on the next request where
    the person is not kept, and once what each process keeps runs out
    (QUEUE_KEPT_SECONDS) where it is."""
    from providers.models import Person

    for kept in (False, True):
        settings.QUEUE_VERSIONS = kept
        Person.objects.filter(pk=specialist.pk).update(is_active=True)
        client.force_login(specialist)
        assert client.get("/queue/").status_code == 200
        Person.objects.filter(pk=specialist.pk).update(is_active=False)  # no signal
        if kept:
            assert client.get("/queue/").status_code == 200
            caches["fragments"].clear()  # as QUEUE_KEPT_SECONDS later
        assert client.get("/queue/").url.startswith("/login/")


def people_read(captured) -> int:
    return sum(
        q["sql"].split(" FROM ", 1)[-1].startswith(('"providers_person"', '"otp_'))
        for q in captured
    )


def test_a_sessions_person_is_read_once_until_they_or_their_device_change(
    client, specialist, settings
):
    """Each process keeps a session's person, with their house and device, under
    sign-in's version: a person moved, given a new password or deactivated, or
    their device removed, counts on the very next request."""
    settings.QUEUE_VERSIONS = True
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/queue/")
    assert page.status_code == 200
    assert people_read(captured) == 0
    assert page.context["user"].otp_device is not None

    # Moved to another house: the next page is that house's queue.
    specialist.house = house("CJ")
    specialist.save()
    assert house("CJ").short_name in page_of(client.get("/queue/"))

    # The authenticator removed: the session is sent to the code step.
    TOTPDevice.objects.filter(user=specialist).delete()
    assert client.get("/queue/").url.startswith("/login/code/")

    # A new password elsewhere ends this session.
    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200
    specialist.set_password("another horse battery")
    specialist.save()
    assert client.get("/queue/").url.startswith("/login/")

    client.force_login(specialist)
    assert client.get("/queue/").status_code == 200
    specialist.is_active = False
    specialist.save()
    assert client.get("/queue/").url.startswith("/login/")


def test_a_session_reads_its_person_with_their_house_in_one_query(
    client, specialist, django_assert_num_queries
):
    client.force_login(specialist)
    request = RequestFactory().get("/queue/")
    request.session = client.session
    assert request.session[auth.SESSION_KEY] == str(specialist.pk)
    with django_assert_num_queries(1):
        person = auth.get_user(request)
        assert person == specialist
        assert person.house.short_name == specialist.house.short_name


def test_a_verified_session_reads_its_person_house_and_device_in_one_query(
    client, specialist
):
    client.force_login(specialist)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/queue/").status_code == 200

    sql = [q["sql"] for q in captured]
    devices = [q for q in sql if "otp_totp_totpdevice" in q]
    assert len(devices) == 1
    assert '"providers_person"' in devices[0] and '"providers_house"' in devices[0]
    assert not any(
        q.split(" FROM ", 1)[1].startswith('"providers_person"') for q in sql
    )


def test_another_persons_device_does_not_verify_a_session(client, specialist):
    other = SpecialistFactory()
    client.force_login(specialist)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDeviceFactory(user=other).persistent_id
    session.save()

    assert client.get("/queue/").url.startswith("/login/code/")


def test_an_unconfirmed_device_does_not_verify_a_session(client, specialist):
    client.force_login(specialist)
    for device in TOTPDevice.objects.filter(user=specialist):
        device.confirmed = False
        device.save()

    assert client.get("/queue/").url.startswith("/login/code/")


def test_deactivating_in_the_admin_ends_the_sessions(client, specialist, db):
    admin_person = AdminFactory(is_staff=True, is_superuser=True)
    desk = Client()
    desk.force_login(specialist)
    client.force_login(admin_person)
    change = client.get(f"/admin/providers/person/{specialist.pk}/change/")
    assert change.status_code == 200
    form = change.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("password", "offices", "groups")
    }
    data.update(
        {
            "is_active": "",
            "offices": [o.pk for o in specialist.offices.all()],
            "date_joined_0": specialist.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": specialist.date_joined.strftime("%H:%M:%S"),
            "house": specialist.house_id,
        }
    )
    data.pop("is_active")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    saved = client.post(f"/admin/providers/person/{specialist.pk}/change/", data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    specialist.refresh_from_db()
    assert not specialist.is_active
    assert desk.get("/queue/").url.startswith("/login/")


# Rate limits -----------------------------------------------------------------------


@pytest.fixture
def low_rates(settings):
    """Two a minute. Counters are fixed windows of a minute: a test that began in
    its last seconds would count across two windows, so it starts in a new one."""
    settings.RATE_LIMITS = {"filing": "2/m", "lookup": "2/m", "token": "2/m"}
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.05)
    return settings


def test_filing_through_the_api_is_rate_limited_per_person(
    low_rates, api, provider_agent
):
    client = api(provider_agent)
    codes = [
        client.post(
            "/api/v1/requests/",
            {
                "kind": "blocked",
                "insurer_house": "TM",
                "cid": f"8064200035001234567{n}",
            },
            format="json",
        ).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]
    refused = client.post("/api/v1/requests/", {"kind": "blocked"}, format="json")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many requests: try again in ")
    # Reading is not filing.
    assert client.get("/api/v1/requests/").status_code == 200


def test_filing_on_the_portal_is_rate_limited(low_rates, client, provider_agent, tm):
    client.force_login(provider_agent)
    body = {"error_code": "14", "house": tm.pk}
    assert client.post("/requests/new/", body).status_code in (200, 400)
    assert client.post("/requests/new/", body).status_code in (200, 400)
    refused = client.post("/requests/new/", body)
    assert refused.status_code == 429
    assert "Too many requests: try again in" in page_of(refused)
    assert 0 < int(refused["Retry-After"]) <= 60
    assert client.get("/requests/new/").status_code == 200  # showing the form is free


def test_provider_lookups_are_rate_limited_in_the_api_and_the_console(
    low_rates, api, operator
):
    client = api(operator)
    codes = [client.get("/api/v1/providers/?q=Cab").status_code for _ in range(3)]
    assert codes == [200, 200, 429]

    console = Client()
    console.force_login(OperatorFactory())
    codes = [console.get("/console/lookup/?q=Cab").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_token_endpoint_is_rate_limited_per_address(low_rates, provider_agent):
    body = {"username": provider_agent.username, "password": PASSWORD}
    here = APIClient(REMOTE_ADDR="203.0.113.60")
    codes = [
        here.post("/api/v1/auth/token/", body, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.61")
    assert elsewhere.post("/api/v1/auth/token/", body, format="json").status_code == 200


def test_a_signed_in_person_is_counted_wherever_they_connect_from(
    low_rates, api, provider_agent, other_agent
):
    codes = [
        api(provider_agent)
        .post("/api/v1/requests/", {}, format="json", REMOTE_ADDR=f"10.1.1.{n}")
        .status_code
        for n in range(3)
    ]
    assert codes == [400, 400, 429]
    # Another person at the same address has their own count.
    other = api(other_agent).post(
        "/api/v1/requests/", {}, format="json", REMOTE_ADDR="10.1.1.0"
    )
    assert other.status_code == 400


# The client address ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.5", "", "203.0.113.5"),
        ([], "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not from a proxy
        (["10.0.0.2"], "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        (["10.0.0.2"], "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        # The client's own header comes first: the proxy appends the real peer.
        (["10.0.0.2"], "10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two trusted proxies in a row; the hop before them is the client.
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (["10.0.0.2"], "10.0.0.2", "", "10.0.0.2"),
        (["10.0.0.2"], "10.0.0.2", "not-an-address", "10.0.0.2"),
        (["::1"], "::1", "2001:db8::7", "2001:db8::7"),
        ([], "", "198.51.100.1", ""),
    ],
)
def test_the_client_address(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get(
        "/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_address(request) == expected


def test_a_forged_forwarded_for_changes_neither_lockout_nor_rate_limit(
    limits, low_rates, provider_agent
):
    limits.TRUSTED_PROXIES = []
    for n in range(3):
        sign_in(
            Client(),
            provider_agent.username,
            "wrong",
            REMOTE_ADDR="203.0.113.70",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    still = sign_in(
        Client(),
        provider_agent.username,
        REMOTE_ADDR="203.0.113.70",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert still.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "203.0.113.70"
    }

    # Rate limit (right credentials, so no sign-in failure is counted).
    client = APIClient(REMOTE_ADDR="203.0.113.71")
    body = {"username": provider_agent.username, "password": PASSWORD}
    codes = [
        client.post(
            "/api/v1/auth/token/",
            body,
            format="json",
            HTTP_X_FORWARDED_FOR=f"1.1.1.{n}",
        ).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    limits, low_rates, provider_agent, other_agent
):
    limits.TRUSTED_PROXIES = ["10.0.0.2"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(3):
        sign_in(
            Client(),
            provider_agent.username,
            "wrong",
            HTTP_X_FORWARDED_FOR="198.51.100.20",
            **proxy,
        )
    locked = sign_in(
        Client(), provider_agent.username, HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy
    )
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked.
    other = sign_in(
        Client(), provider_agent.username, HTTP_X_FORWARDED_FOR="198.51.100.21", **proxy
    )
    assert other.status_code == 302

    body = {"username": other_agent.username, "password": PASSWORD}
    client = APIClient(**proxy)
    codes = [
        client.post(
            "/api/v1/auth/token/",
            body,
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{30 + n // 3}",
        ).status_code
        for n in range(6)
    ]
    assert codes == [200, 200, 429, 200, 200, 429]


def test_the_request_log_names_the_client_address(caplog, client, settings, db):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    with caplog.at_level("INFO", logger="helpdesk.request"):
        client.get(
            "/healthz", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.40"
        )
        client.get(
            "/healthz", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4"
        )
    lines = [r for r in caplog.records if r.name == "helpdesk.request"]
    assert [line.client for line in lines] == ["198.51.100.40", "203.0.113.9"]


def test_a_card_request_page_still_opens_for_a_verified_specialist(
    client, specialist, provider_agent
):
    card_request = CardRequestFactory(filed_by=provider_agent)
    client.force_login(specialist)
    assert client.get(f"/queue/{card_request.reference}/").status_code == 200


def test_views_get_the_person_read_not_a_lazy_stand_in(client, specialist):
    """The middleware hands on the person itself: each of a page's hundreds of
    uses of `request.user` would otherwise go through two lazy wrappers."""
    from django.contrib.auth.models import AnonymousUser

    from providers.models import Person

    assert type(client.get("/login/").wsgi_request.user) is AnonymousUser
    client.force_login(specialist)
    request = client.get("/queue/").wsgi_request
    assert type(request.user) is Person
    assert request.user.is_verified()
