"""Delivery by a real Celery worker process on Redis, against the test database.

Runs when REDIS_URL is set and the database is PostgreSQL (CI's second run)."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from cards import services
from cards.models import Channel, Notification, NotificationStatus, Outcome
from cards.tasks import notification_deliver_task
from helpdesk.celery import app as celery_app
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import SpecialistFactory

CID = "80642000350012345678"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL",
    ),
    pytest.mark.timeout(120),
]


def wait_for(condition, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def worker(tmp_path):
    """A worker process on the configured Redis, reading the test database and
    writing emails as files, stopped (by PID) at the end."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    celery_app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SITE_URL": "https://helpdesk.example.ro",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--hostname=test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        ready = wait_for(
            lambda: (
                bool(celery_app.control.ping(timeout=0.5)) or process.poll() is not None
            ),
            timeout=60,
        )
        assert ready and process.poll() is None, (tmp_path / "worker.log").read_text()
        yield mail_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_worker_delivers_a_resolve_notification_once(api, provider_agent, worker):
    specialist = SpecialistFactory(office_kinds=["primary"])
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    url = f"/api/v1/requests/{card_request.reference}/"

    response = api(specialist).post(
        f"{url}resolve/", {"outcome": "unblocked"}, format="json"
    )
    assert response.status_code == 200

    notifications = Notification.objects.filter(card_request=card_request)
    assert notifications.count() == 3
    delivered = wait_for(
        lambda: (
            set(notifications.values_list("status", flat=True))
            == {NotificationStatus.SENT}
        )
    )
    assert delivered, list(notifications.values("channel", "status", "last_error"))
    files = list(worker.iterdir())
    assert len(files) == 2
    bodies = "".join(f.read_text() for f in files)
    assert card_request.reference in bodies
    assert CID not in bodies

    # A redelivered task (e.g. a worker lost before its ack) sends nothing again.
    for notification in notifications.filter(channel=Channel.EMAIL):
        notification_deliver_task.delay(notification.pk)
    time.sleep(2)
    assert len(list(worker.iterdir())) == 2
    assert all(n.attempts == 1 for n in notifications)

    data = api(provider_agent).get(url).json()
    assert {n["status"] for n in data["notifications"]} == {"sent"}


def test_the_sweep_publishes_what_the_broker_missed(provider_agent, worker):
    specialist = SpecialistFactory(office_kinds=["primary"])
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    # The change commits but its messages are never published (broker down then).
    with mock.patch("cards.services.notifications.transaction.on_commit"):
        services.card_request_resolve(
            actor=specialist, card_request=card_request, outcome=Outcome.UNBLOCKED
        )
    notifications = Notification.objects.filter(card_request=card_request)
    assert set(notifications.values_list("status", flat=True)) == {"pending"}

    assert services.notifications_sweep(older_than=timedelta(0)) == 3
    assert wait_for(
        lambda: set(notifications.values_list("status", flat=True)) == {"sent"}
    )
    assert len(list(worker.iterdir())) == 2
