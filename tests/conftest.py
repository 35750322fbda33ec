import time
import uuid

import pytest
from django.core.cache import caches
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk import ratelimit
from helpdesk.celery import app as celery_app
from providers.middleware import LAST_ACTIVITY_KEY
from providers.security import needs_two_factor
from tests.providers.factories import (
    AdminFactory,
    AgentFactory,
    OperatorFactory,
    ProviderFactory,
    SpecialistFactory,
    SupervisorFactory,
    TOTPDeviceFactory,
    house,
)

pytest_plugins = ["tests.identifier_guard"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "unverified: `client.force_login(staff)` leaves the session at the password "
        "step (no authentication code): for tests of the two-factor rule itself",
    )


@pytest.fixture(autouse=True)
def _test_settings(settings, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    # Rows drawn by an earlier test: its requests may have had the same ids.
    caches["fragments"].clear()
    # Unread counts are counted on every page, unless a test keeps them (its
    # people may have the ids of an earlier test's, whose counts the cache holds).
    settings.UNREAD_COUNT_SECONDS = 0
    settings.SITE_URL = "https://helpdesk.example.ro"
    settings.SECURE_SSL_REDIRECT = False
    # Tasks run in process unless a test asks for the real worker on Redis.
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _rate_limits_per_test(monkeypatch):
    """Each test counts its requests afresh (the rates stay the real ones)."""
    monkeypatch.setattr(ratelimit, "KEY_PREFIX", f"ratelimit-{uuid.uuid4().hex}")


def verify_session(client, person) -> None:
    """Make `client`'s session one that has passed the code step, as a staff
    member does by entering their app's code: a confirmed device of theirs in the
    session, and activity just now."""
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    if device is None:
        device = TOTPDeviceFactory(user=person)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[LAST_ACTIVITY_KEY] = int(time.time())
    session.save()


@pytest.fixture(autouse=True)
def _verified_staff_sessions(request, monkeypatch):
    """`client.force_login(staff)` (test client, API client, e2e `new_page`) gives
    a session verified with an authentication code, as after a real sign-in;
    tests marked `unverified` get the bare password-step session instead."""
    if request.node.get_closest_marker("unverified") is not None:
        return
    force_login = Client.force_login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        if needs_two_factor(user):
            verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login_verified)


@pytest.fixture
def tm(db):
    return house("TM")


@pytest.fixture
def cj(db):
    return house("CJ")


@pytest.fixture
def provider_agent(db):
    """Receptionist of a Timiș family practice."""
    return AgentFactory(
        username="agent", provider=ProviderFactory(name="Cabinet Dr. Ionescu")
    )


@pytest.fixture
def other_agent(db):
    """Receptionist of another Timiș provider."""
    return AgentFactory(username="other.agent")


@pytest.fixture
def operator(db):
    return OperatorFactory(username="tm.operator")


@pytest.fixture
def specialist(db):
    """Timiș specialist of the primary-care office."""
    return SpecialistFactory(username="tm.primary", office_kinds=["primary"])


@pytest.fixture
def other_specialist(db):
    return SpecialistFactory(username="tm.primary2", office_kinds=["primary"])


@pytest.fixture
def hospital_specialist(db):
    return SpecialistFactory(username="tm.hospital", office_kinds=["hospital"])


@pytest.fixture
def supervisor(db):
    return SupervisorFactory(username="tm.supervisor")


@pytest.fixture
def cj_specialist(db, cj):
    return SpecialistFactory(username="cj.primary", house=cj, office_kinds=["primary"])


@pytest.fixture
def national_admin(db):
    return AdminFactory(username="admin")


@pytest.fixture
def api():
    """An API client signed in the way each role uses the API: a provider agent
    with a token (their integration), CAS staff with a web session verified with
    an authentication code (staff cannot use tokens)."""

    def client_for(person=None):
        client = APIClient()
        if person is not None and needs_two_factor(person):
            client.force_login(person)
            verify_session(client, person)
        elif person is not None:
            token, _ = Token.objects.get_or_create(user=person)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
