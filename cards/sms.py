"""SMS backends, pluggable like Django's mail backends: `settings.SMS_BACKEND` names
the class (a dotted path) and `get_sms_backend()` builds it.

A backend sends one text to one number (E.164) and raises when the message was not
accepted, so that the outbox records the error and tries again. It sends only the
text it is given: notification rendering names a card by its last 4 characters.
"""

import json
import logging
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Messages "sent" by LocmemBackend, oldest first (tests read and clear it).
outbox: list[dict[str, str]] = []


class SmsGatewayError(Exception):
    """The gateway refused the message or answered with an error."""


class BaseSmsBackend:
    def __init__(self, **options) -> None:
        self.sender = options.get("sender", settings.SMS_SENDER)

    def send(self, *, to: str, text: str) -> None:
        """Send `text` to the E.164 number `to`; raise unless it was accepted."""
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    """Writes each message to standard output (development, demo)."""

    _lock = threading.Lock()

    def __init__(self, *, stream=None, **options) -> None:
        super().__init__(**options)
        self.stream = stream or sys.stdout

    def send(self, *, to: str, text: str) -> None:
        with self._lock:
            self.stream.write(f"SMS from {self.sender} to {to}\n{text}\n{'-' * 40}\n")
            self.stream.flush()


class LocmemBackend(BaseSmsBackend):
    """Keeps messages in `cards.sms.outbox` (tests)."""

    def send(self, *, to: str, text: str) -> None:
        outbox.append({"to": to, "text": text, "sender": self.sender})


class HttpGatewayBackend(BaseSmsBackend):
    """POSTs `{"to", "text", "sender"}` as JSON to SMS_GATEWAY_URL with a bearer
    token; any answer but 2xx, a refused connection or a timeout raises."""

    def __init__(self, *, url=None, token=None, timeout=None, **options) -> None:
        super().__init__(**options)
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout if timeout is not None else settings.SMS_TIMEOUT
        if not self.url:
            raise ImproperlyConfigured("Set SMS_GATEWAY_URL for the HTTP SMS gateway.")
        # urlopen also opens file: and ftp: addresses: only a web gateway will do.
        if urllib.parse.urlsplit(self.url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be an http(s) address.")

    def send(self, *, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text, "sender": self.sender}).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL is our setting)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            # Bandit's B310 (file: and custom schemes): __init__ allows http(s) only.
            with urllib.request.urlopen(  # noqa: S310  # nosec B310
                request, timeout=self.timeout
            ) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsGatewayError(
                f"gateway answered {error.code} {error.reason}"
            ) from None
        if not 200 <= status < 300:
            raise SmsGatewayError(f"gateway answered {status}")
        logger.info("sms accepted by gateway", extra={"status": status})


def get_sms_backend(path: str | None = None, **options) -> BaseSmsBackend:
    """The configured SMS backend (settings.SMS_BACKEND unless `path` is given)."""
    return import_string(path or settings.SMS_BACKEND)(**options)
