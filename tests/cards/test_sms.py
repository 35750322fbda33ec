"""The SMS channel: backends, the short text, the agent's choices, and the HTTP
gateway against a real server started on 127.0.0.1."""

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from cards import services, sms
from cards.models import Channel, Notification, NotificationStatus, Outcome, Source
from tests.cards.factories import CardRequestFactory
from tests.providers.factories import AgentFactory, OperatorFactory, house

CID = "80642000350012345678"
CARD_NUMBER = "RO1A2B3C4D5E6F70"
MOBILE = "+40736203666"
TOKEN = "s3cret-gateway-token"  # noqa: S105


class Gateway:
    """A small SMS gateway: records each POST, answers with `status` after `delay`
    seconds (released at teardown so that no thread outlives the test)."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.release = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                gateway.received.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                if gateway.delay:
                    gateway.release.wait(gateway.delay)
                body = b'{"id": "msg-1"}'
                try:
                    self.send_response(gateway.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def gateway(settings):
    server = Gateway()
    settings.SMS_BACKEND = "cards.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = server.url
    settings.SMS_GATEWAY_TOKEN = TOKEN
    settings.SMS_SENDER = "CAS-TM"
    settings.SMS_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def locmem(settings):
    settings.SMS_BACKEND = "cards.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def sms_agent(provider_agent):
    provider_agent.phone = MOBILE
    provider_agent.notify_sms = True
    provider_agent.save()
    return provider_agent


@pytest.fixture
def claimed_request(sms_agent, specialist):
    card_request = CardRequestFactory(filed_by=sms_agent, identifier=CID)
    return services.card_request_claim(actor=specialist, card_request=card_request)


def resolve(card_request, specialist):
    outcome = (
        Outcome.UNBLOCKED if card_request.kind == "blocked" else Outcome.REACTIVATED
    )
    return services.card_request_resolve(
        actor=specialist, card_request=card_request, outcome=outcome
    )


def sms_row():
    return Notification.objects.get(channel=Channel.SMS)


# Backends -------------------------------------------------------------------------


def test_the_default_backend_prints_the_message(settings):
    assert settings.SMS_BACKEND == "cards.sms.ConsoleBackend"
    stream = io.StringIO()

    sms.get_sms_backend(stream=stream).send(to=MOBILE, text="TM-2611-00042: ok")

    assert f"to {MOBILE}" in stream.getvalue()
    assert "TM-2611-00042: ok" in stream.getvalue()


def test_the_gateway_backend_refuses_to_start_without_a_url(settings):
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(ImproperlyConfigured, match="SMS_GATEWAY_URL"):
        sms.get_sms_backend("cards.sms.HttpGatewayBackend")


# The text -------------------------------------------------------------------------


def test_a_resolved_blocked_card_sms_is_short_and_names_the_card_by_last4_only(
    claimed_request, specialist, locmem, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resolve(claimed_request, specialist)

    [message] = locmem
    text = message["text"]
    print(f"\nSMS ({len(text)} chars): {text}")
    assert message["to"] == MOBILE
    assert claimed_request.reference in text
    assert "unblocked: run the PIN reset" in text
    assert "0000" in text
    assert "ending in 5678" in text
    assert f"https://helpdesk.example.ro/requests/{claimed_request.reference}/" in text
    assert CID not in text and CID[:16] not in text
    assert len(text) <= 300
    assert sms_row().status == NotificationStatus.SENT


def test_a_resolved_invalid_card_sms_says_the_card_works_again(
    sms_agent, specialist, locmem, django_capture_on_commit_callbacks
):
    card_request = CardRequestFactory(
        filed_by=sms_agent, kind="invalid", identifier=CARD_NUMBER
    )
    services.card_request_claim(actor=specialist, card_request=card_request)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(card_request, specialist)

    text = locmem[0]["text"]
    print(f"\nSMS ({len(text)} chars): {text}")
    assert "The card works again" in text
    assert "PIN reset" not in text
    assert CARD_NUMBER not in text and "F70" in text


@pytest.mark.parametrize(
    ("act", "text"),
    [
        ("reject", "The card belongs to another house. " * 10),
        ("ask_info", "What does the reader show now?"),
    ],
)
def test_reject_and_ask_info_sms_quote_the_text_within_the_length_limit(
    claimed_request,
    specialist,
    locmem,
    django_capture_on_commit_callbacks,
    act,
    text,
):
    with django_capture_on_commit_callbacks(execute=True):
        if act == "reject":
            services.card_request_reject(
                actor=specialist, card_request=claimed_request, reason=text
            )
        else:
            services.card_request_ask_info(
                actor=specialist, card_request=claimed_request, question=text
            )

    message = locmem[0]["text"]
    print(f"\nSMS ({len(message)} chars): {message}")
    assert text[:40] in message
    assert claimed_request.reference in message
    assert claimed_request.reference + "/" in message  # the link
    assert len(message) <= 300
    assert CID not in message


def test_an_sms_is_written_in_the_recipients_language(
    claimed_request, specialist, sms_agent, locmem, django_capture_on_commit_callbacks
):
    sms_agent.language = "ro"
    sms_agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        resolve(claimed_request, specialist)

    text = locmem[0]["text"]
    print(f"\nSMS ({len(text)} chars): {text}")
    assert "Cardul a fost deblocat: efectuați resetarea PIN-ului" in text
    assert "Spuneți-ne dacă acum cardul funcționează:" in text


# Recipients -----------------------------------------------------------------------


def test_recipients_follow_the_agents_choices(
    provider_agent, specialist, django_capture_on_commit_callbacks, locmem
):
    sms_only = AgentFactory(
        provider=provider_agent.provider,
        notify_email=False,
        notify_sms=True,
        phone="+40722000001",
    )
    both = AgentFactory(
        provider=provider_agent.provider, notify_sms=True, phone="+40722000002"
    )
    app_only = AgentFactory(provider=provider_agent.provider, notify_email=False)
    sms_without_phone = AgentFactory(provider=provider_agent.provider, notify_sms=True)
    card_request, _ = services.card_request_file(
        actor=OperatorFactory(),
        source=Source.PHONE,
        house=house("TM"),
        kind="blocked",
        cid=CID,
        provider=provider_agent.provider,
    )
    services.card_request_claim(actor=specialist, card_request=card_request)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(card_request, specialist)

    rows = Notification.objects.filter(card_request=card_request)
    channels = {
        agent: set(rows.filter(recipient=agent).values_list("channel", flat=True))
        for agent in (provider_agent, sms_only, both, app_only, sms_without_phone)
    }
    assert channels == {
        provider_agent: {Channel.IN_APP, Channel.EMAIL},
        sms_only: {Channel.IN_APP, Channel.SMS},
        both: {Channel.IN_APP, Channel.EMAIL, Channel.SMS},
        app_only: {Channel.IN_APP},
        sms_without_phone: {Channel.IN_APP, Channel.EMAIL},
    }
    # The provider's contact address is told whatever the agents chose.
    assert rows.filter(
        recipient=None, channel=Channel.EMAIL, address=provider_agent.provider.email
    ).exists()
    assert sorted(m["to"] for m in locmem) == ["+40722000001", "+40722000002"]


# The HTTP gateway -----------------------------------------------------------------


def test_the_gateway_receives_json_with_the_bearer_token_and_no_cid(
    claimed_request, specialist, gateway, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resolve(claimed_request, specialist)

    [received] = gateway.received
    print(f"\ngateway received: {received['json']}")
    assert received["path"] == "/v1/sms"
    assert received["authorization"] == f"Bearer {TOKEN}"
    assert received["content_type"].startswith("application/json")
    payload = received["json"]
    assert set(payload) == {"to", "text", "sender"}
    assert (payload["to"], payload["sender"]) == (MOBILE, "CAS-TM")
    assert claimed_request.reference in payload["text"]
    assert f"/requests/{claimed_request.reference}/" in payload["text"]
    assert CID not in json.dumps(received)
    row = sms_row()
    assert (row.status, row.attempts, row.last_error) == (
        NotificationStatus.SENT,
        1,
        "",
    )


def test_a_gateway_error_leaves_the_sms_pending_then_failed_at_the_limit(
    claimed_request, specialist, gateway, settings, django_capture_on_commit_callbacks
):
    gateway.status = 500
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        card_request = resolve(claimed_request, specialist)

    assert card_request.status == "resolved"
    row = sms_row()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert "500" in row.last_error

    services.notification_deliver(notification_id=row.pk)
    services.notification_deliver(notification_id=row.pk)
    services.notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 3)
    assert len(gateway.received) == 3
    # The other channels did not suffer.
    assert set(
        Notification.objects.exclude(channel=Channel.SMS).values_list(
            "status", flat=True
        )
    ) == {NotificationStatus.SENT}


def test_a_gateway_that_recovers_delivers_the_pending_sms(
    claimed_request, specialist, gateway, django_capture_on_commit_callbacks
):
    gateway.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        resolve(claimed_request, specialist)
    gateway.status = 202

    services.notification_deliver(notification_id=sms_row().pk)

    row = sms_row()
    assert (row.status, row.attempts, row.last_error) == (
        NotificationStatus.SENT,
        2,
        "",
    )


@pytest.mark.timeout(30)
def test_a_slow_gateway_is_cut_off_by_the_timeout(
    claimed_request, specialist, gateway, settings, django_capture_on_commit_callbacks
):
    gateway.delay = 20
    settings.SMS_TIMEOUT = 0.5
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        card_request = resolve(claimed_request, specialist)
    elapsed = time.monotonic() - started
    print(f"\nresolve with a hung gateway took {elapsed:.2f} s (SMS_TIMEOUT 0.5 s)")

    assert card_request.status == "resolved"
    row = sms_row()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert "timed out" in row.last_error.lower()
    # Bounded: well under the 20 s the gateway would have made it wait.
    assert elapsed < 15


def test_an_unreachable_gateway_is_recorded_as_an_error(
    claimed_request, specialist, settings, django_capture_on_commit_callbacks
):
    gateway = Gateway()
    url = gateway.url
    gateway.stop()  # nothing listens on that port any more
    with (
        override_settings(
            SMS_BACKEND="cards.sms.HttpGatewayBackend",
            SMS_GATEWAY_URL=url,
            SMS_TIMEOUT=2,
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        resolve(claimed_request, specialist)

    row = sms_row()
    assert row.status == NotificationStatus.PENDING
    assert "refused" in row.last_error.lower() or "urlerror" in row.last_error.lower()


def test_delivering_an_sms_twice_sends_it_once(
    claimed_request, specialist, gateway, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        resolve(claimed_request, specialist)
    row = sms_row()

    services.notification_deliver(notification_id=row.pk)
    services.notification_deliver(notification_id=row.pk)

    assert len(gateway.received) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1)
