"""Fault tests with real processes: Redis stopped, a worker killed, PostgreSQL
restarted. Each test starts its own Redis / PostgreSQL on a spare loopback port,
is bounded in time and stops what it started, by PID, also when it fails.

Figures (messages sent, lost, duplicated; requests failed, time to recover) are
printed: run with `-s` to see them."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import kombu.pools
import pytest
from django.db import connection

from cards import services
from cards.models import Channel, Notification
from helpdesk.celery import app as celery_app
from tests.cards.factories import CardRequestFactory
from tests.ops.procs import (
    BASE_DIR,
    REDIS_SERVER,
    PostgresServer,
    RedisServer,
    pg_bin_dir,
    port_open,
    start_worker,
    stop_pid,
    wait_for,
)
from tests.providers.factories import SpecialistFactory

CID = "80642000350019876543"
HAS_REDIS = Path(REDIS_SERVER).exists()
HAS_POSTGRES = pg_bin_dir() is not None

needs_redis = pytest.mark.skipif(
    not HAS_REDIS, reason=f"fault tests need redis-server at {REDIS_SERVER}"
)
needs_postgres = pytest.mark.skipif(
    not HAS_POSTGRES, reason="fault tests need /usr/lib/postgresql/*/bin"
)


def figures(name: str, **values) -> None:
    print(
        f"\n[fault figures] {name}: " + ", ".join(f"{k}={v}" for k, v in values.items())
    )


def _worker_env(mail_dir: Path, redis_url: str, **extra: str) -> dict:
    """The environment of a worker reading the test database."""
    env = {key: value for key, value in os.environ.items()}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update(
        REDIS_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        SITE_URL="https://helpdesk.example.ro",
    )
    env.update(extra)
    return env


def _point_celery_at(url: str, transport_options: dict) -> None:
    """Publish from this process to `url`. kombu keeps its connection and producer
    pools in process-wide groups keyed by URL: close AND forget them all, so that
    nothing later acquires from a closed pool (eager tasks acquire a producer too)."""
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = transport_options
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_server():
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def broker(redis_server):
    """This process publishes to the test's own Redis for the test's duration."""
    previous = (
        celery_app.conf.broker_url,
        dict(celery_app.conf.broker_transport_options or {}),
    )
    options = {**previous[1], "visibility_timeout": 5}
    _point_celery_at(redis_server.url, options)
    try:
        yield redis_server
    finally:
        _point_celery_at(*previous)


@pytest.fixture
def workers(tmp_path):
    """Start workers with `workers.start(env, name)`; all are stopped by PID."""
    started: list[subprocess.Popen] = []

    class Workers:
        def start(self, env: dict, name: str) -> subprocess.Popen:
            hostname = f"{name}-{os.getpid()}@ops"
            process = start_worker(
                env=env, log_path=tmp_path / f"{name}.log", hostname=hostname
            )
            started.append(process)
            ready = wait_for(
                lambda: (
                    bool(celery_app.control.ping(destination=[hostname], timeout=0.5))
                    or process.poll() is not None
                ),
                timeout=60,
            )
            assert ready and process.poll() is None, self.log(name)
            return process

        def log(self, name: str) -> str:
            return (tmp_path / f"{name}.log").read_text(errors="replace")[-4000:]

    try:
        yield Workers()
    finally:
        for process in started:
            stop_pid(process)


def _resolved_request(provider_agent):
    specialist = SpecialistFactory(office_kinds=["primary"])
    card_request = CardRequestFactory(filed_by=provider_agent, identifier=CID)
    services.card_request_claim(actor=specialist, card_request=card_request)
    return specialist, card_request


def _mail_files(mail_dir: Path) -> list[Path]:
    return [p for p in mail_dir.iterdir() if p.is_file()]


@needs_redis
@pytest.mark.timeout(180)
@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_down_during_resolve_delays_messages_and_delivers_each_once(
    api, provider_agent, broker, workers, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    workers.start(_worker_env(mail_dir, broker.url), "redis-fault")
    specialist, card_request = _resolved_request(provider_agent)
    notifications = Notification.objects.filter(card_request=card_request)

    broker.stop()
    started = time.monotonic()
    response = api(specialist).post(
        f"/api/v1/requests/{card_request.reference}/resolve/",
        {"outcome": "unblocked"},
        format="json",
    )
    resolve_seconds = time.monotonic() - started
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert resolve_seconds < 15
    assert set(notifications.values_list("status", flat=True)) == {"pending"}
    expected_emails = notifications.filter(channel=Channel.EMAIL).count()
    assert expected_emails == 2

    time.sleep(2)  # the outage lasts a moment: nothing can be delivered meanwhile
    assert set(notifications.values_list("status", flat=True)) == {"pending"}
    broker.start()

    # What beat does every minute, every 2 s here: re-publish what is pending.
    sweeps = 0

    def swept_and_sent() -> bool:
        nonlocal sweeps
        if set(notifications.values_list("status", flat=True)) == {"sent"}:
            return True
        sweeps += 1
        services.notifications_sweep(older_than=timedelta(0))
        return False

    delivered = wait_for(swept_and_sent, timeout=90, interval=2)
    assert delivered, (
        list(notifications.values("channel", "status", "last_error")),
        workers.log("redis-fault"),
    )
    time.sleep(2)  # any duplicate delivery (repeated sweeps) would show by now
    sent = len(_mail_files(mail_dir))
    figures(
        "redis stopped during resolve",
        resolve_seconds=f"{resolve_seconds:.2f}",
        notifications=notifications.count(),
        emails_expected=expected_emails,
        sent=sent,
        lost=max(expected_emails - sent, 0),
        duplicated=max(sent - expected_emails, 0),
        sweeps=sweeps,
    )
    assert sent == expected_emails
    assert all(n.attempts == 1 for n in notifications)
    bodies = "".join(p.read_text() for p in _mail_files(mail_dir))
    assert CID not in bodies


@needs_redis
@pytest.mark.timeout(180)
@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_delivery_leaves_the_message_to_another_sent_once(
    api, provider_agent, broker, workers, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    slow = {
        "EMAIL_BACKEND": "tests.ops.slow.filebased.EmailBackend",
        "CELERY_VISIBILITY_TIMEOUT": "5",
    }
    first = workers.start(
        _worker_env(mail_dir, broker.url, SLOW_EMAIL_SECONDS="60", **slow), "doomed"
    )
    specialist, card_request = _resolved_request(provider_agent)
    notifications = Notification.objects.filter(card_request=card_request)

    response = api(specialist).post(
        f"/api/v1/requests/{card_request.reference}/resolve/",
        {"outcome": "unblocked"},
        format="json",
    )
    assert response.status_code == 200, response.content
    expected_emails = notifications.filter(channel=Channel.EMAIL).count()

    marker = tmp_path / f"sending-{first.pid}"
    assert wait_for(marker.exists, timeout=60), workers.log("doomed")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    assert _mail_files(mail_dir) == []

    workers.start(
        _worker_env(mail_dir, broker.url, SLOW_EMAIL_SECONDS="0.2", **slow), "rescuer"
    )
    delivered = wait_for(
        lambda: set(notifications.values_list("status", flat=True)) == {"sent"},
        timeout=90,
    )
    assert delivered, (
        list(notifications.values("channel", "status", "attempts", "last_error")),
        workers.log("rescuer"),
    )
    recovered_seconds = time.monotonic() - killed_at
    time.sleep(2)
    sent = len(_mail_files(mail_dir))
    figures(
        "worker SIGKILLed mid-delivery",
        emails_expected=expected_emails,
        sent=sent,
        lost=max(expected_emails - sent, 0),
        duplicated=max(sent - expected_emails, 0),
        redelivered_after_seconds=f"{recovered_seconds:.1f}",
    )
    assert sent == expected_emails == 2
    # The killed attempt never committed: each row records one attempt.
    assert all(n.attempts == 1 for n in notifications)


# PostgreSQL restarted under traffic -----------------------------------------------


def _get(url: str, timeout: float = 10) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, None
    except (OSError, TimeoutError):
        return 0, None


@pytest.fixture
def postgres_server():
    server = PostgresServer()
    try:
        server.init()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def app_server(postgres_server, tmp_path):
    """gunicorn (2 workers) serving the app against the test's own PostgreSQL."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres_server.url,
        "SECRET_KEY": "fault-test-secret-key-0123456789abcdefghijklmnopqrstuv",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_FORMAT": "json",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    from tests.ops.procs import free_port

    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "helpdesk.wsgi:application",
            "-c",
            str(BASE_DIR / "docker" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "1",
            "--timeout",
            "30",
        ],  # fmt: skip
        cwd=BASE_DIR,
        env=env,
        stdout=log_path.open("a"),
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: port_open(port), timeout=60), log_path.read_text()
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop_pid(process)


@needs_postgres
@pytest.mark.timeout(300)
def test_postgres_restart_under_traffic_reports_not_ready_and_recovers_alone(
    postgres_server, app_server
):
    base, process = app_server
    api_url = f"{base}/api/v1/houses/"
    assert _get(f"{base}/readyz")[0] == 200
    assert _get(api_url)[0] == 200

    def round_trip() -> tuple[int, int, dict | None]:
        ready_status, ready_body = _get(f"{base}/readyz")
        api_status, _ = _get(api_url)
        return ready_status, api_status, ready_body

    before = [round_trip() for _ in range(10)]
    assert all(r[0] == 200 and r[1] == 200 for r in before)

    postgres_server.stop()
    outage = []
    slowest = 0.0
    for _ in range(10):
        started = time.monotonic()
        outage.append(round_trip())
        slowest = max(slowest, time.monotonic() - started)
    readyz_during = [r[0] for r in outage]
    api_during = [r[1] for r in outage]
    assert set(readyz_during) == {503}, outage
    assert all(r[2]["checks"]["database"] is False for r in outage)
    assert all(500 <= status < 600 for status in api_during), api_during
    assert slowest < 20  # failing, not hanging

    postgres_server.start()
    restarted = time.monotonic()
    failed_after_restart = 0

    def recovered() -> bool:
        nonlocal failed_after_restart
        results = [round_trip() for _ in range(4)]  # reach both gunicorn workers
        ok = all(r[0] == 200 and r[1] == 200 for r in results)
        if not ok:
            failed_after_restart += sum(r[0] != 200 or r[1] != 200 for r in results)
        return ok

    assert wait_for(recovered, timeout=30, interval=0.2)
    recover_seconds = time.monotonic() - restarted
    after = [round_trip() for _ in range(10)]
    assert all(r[0] == 200 and r[1] == 200 for r in after)
    assert process.poll() is None  # the app was never restarted
    figures(
        "postgresql restarted under traffic",
        ok_before=2 * len(before),
        failed_during_outage=sum(s != 200 for s in readyz_during + api_during),
        ok_during_outage=sum(s == 200 for s in readyz_during + api_during),
        slowest_failure_seconds=f"{slowest:.2f}",
        failed_after_restart=failed_after_restart,
        recover_seconds=f"{recover_seconds:.2f}",
        ok_after=2 * len(after),
    )
    assert recover_seconds < 30
