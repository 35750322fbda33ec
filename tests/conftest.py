import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk.celery import app as celery_app
from tests.providers.factories import (
    AdminFactory,
    AgentFactory,
    OperatorFactory,
    ProviderFactory,
    SpecialistFactory,
    SupervisorFactory,
    house,
)


@pytest.fixture(autouse=True)
def _test_settings(settings, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    settings.SITE_URL = "https://helpdesk.example.ro"
    settings.SECURE_SSL_REDIRECT = False
    # Tasks run in process unless a test asks for the real worker on Redis.
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


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
    """An API client authenticated the way integrations are: with a token."""

    def client_for(person=None):
        client = APIClient()
        if person is not None:
            token, _ = Token.objects.get_or_create(user=person)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
