import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from cards.models import Channel, Notification, NotificationStatus, Status, Template
from tests.cards.factories import CardRequestFactory
from tests.ops.procs import REDIS_SERVER, RedisServer, free_port

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("ops_status", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def activity(tm, cj):
    past = timezone.now() - timedelta(hours=1)
    late = CardRequestFactory(house=tm, due_at=past)
    CardRequestFactory(house=tm, status=Status.IN_PROGRESS, due_at=past)
    CardRequestFactory(house=tm, status=Status.NEEDS_INFO)
    # Waiting for the provider, or finished: never an SLA breach.
    CardRequestFactory(house=tm, status=Status.RESOLVED, due_at=past)
    CardRequestFactory(house=tm, status=Status.CLOSED, due_at=past)
    cj_request = CardRequestFactory(house=cj)
    for status in (NotificationStatus.PENDING, NotificationStatus.FAILED):
        Notification.objects.create(
            card_request=late,
            channel=Channel.EMAIL,
            address="a@example.ro",
            template=Template.RESOLVED,
            status=status,
        )
    Notification.objects.create(
        card_request=cj_request,
        channel=Channel.EMAIL,
        address="b@example.ro",
        template=Template.RESOLVED,
        status=NotificationStatus.SENT,
    )
    return late


def test_json_counts_open_requests_notifications_and_breaches_per_house(
    activity, settings
):
    settings.REDIS_URL = ""
    data = json.loads(run("--json"))
    houses = {h["house"]: h for h in data["houses"]}
    assert houses["TM"]["open"] == {
        "new": 1,
        "in_progress": 1,
        "needs_info": 1,
        "resolved": 1,
    }
    assert houses["TM"]["sla_breaches"] == 2
    assert houses["TM"]["pending_notifications"] == 1
    assert houses["TM"]["failed_notifications"] == 1
    assert houses["CJ"]["open"]["new"] == 1
    assert houses["CJ"]["sla_breaches"] == 0
    assert houses["CJ"]["pending_notifications"] == 0
    assert data["totals"] == {
        "open": 5,
        "pending_notifications": 1,
        "failed_notifications": 1,
        "sla_breaches": 2,
    }
    assert data["broker"] is None
    # The busiest house (most breaches) comes first; quiet houses are left out.
    assert [h["house"] for h in data["houses"]] == ["TM", "CJ"]


def test_text_output_names_each_house_and_never_an_identifier(activity, settings):
    settings.REDIS_URL = ""
    text = run()
    tm_line = next(line for line in text.splitlines() if line.startswith("TM"))
    assert tm_line.split() == ["TM", "1", "1", "1", "1", "1", "1", "2"]
    assert "2 SLA breaches" in text
    assert "broker: none" in text
    assert activity.identifier not in text


def test_an_unreachable_broker_is_reported_not_raised(settings, db):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    assert "broker: unreachable" in run()
    assert "error" in json.loads(run("--json"))["broker"]


@pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="needs redis-server")
@pytest.mark.timeout(60)
def test_the_broker_queue_length_is_read_from_redis(settings, db):
    server = RedisServer()
    try:
        server.start()
        client = redis.Redis.from_url(server.url)
        client.rpush("celery", "m1", "m2", "m3")
        client.hset("unacked", "tag", "m0")
        settings.REDIS_URL = server.url
        data = json.loads(run("--json"))
        assert data["broker"] == {"queue": "celery", "waiting": 3, "unacked": 1}
        assert "3 waiting in 'celery', 1 delivered but not acknowledged" in run()
    finally:
        server.cleanup()
