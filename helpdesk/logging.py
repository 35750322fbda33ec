"""Structured logs: one JSON line per record, one line per HTTP request and one per
Celery task run, naming a card request by its reference (never by its CID or card
number, which are also masked by the formatter should any code log one)."""

import json
import logging
import re
import time
from datetime import UTC, datetime

from helpdesk.network import client_address

REFERENCE_RE = re.compile(r"^[A-Z]{1,10}-\d{4}-\d{5,}$")
# A CID (20 digits), a CNP (13 digits) or a card number (16 letters/digits with at
# least one digit): masked to the last 4 in formatted output, as a last defence.
_IDENTIFIER_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{20}|\d{13}|(?=[A-Za-z]*\d)[A-Za-z0-9]{16})(?![0-9A-Za-z])"
)
# Attributes every LogRecord has; anything else was passed in `extra`.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}

request_logger = logging.getLogger("helpdesk.request")
task_logger = logging.getLogger("helpdesk.task")


def mask_identifiers(text: str) -> str:
    """Replace anything shaped like a CID, CNP or card number by its last 4."""
    return _IDENTIFIER_RE.sub(lambda m: "…" + m.group(0)[-4:], text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_identifiers(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                data[key] = _extra(value)
        if record.exc_info:
            data["exc"] = mask_identifiers(self.formatException(record.exc_info))
        return json.dumps(data, default=str, ensure_ascii=False)


def _extra(value):
    """An extra as written, with identifiers masked in its text: numbers, flags,
    dicts and lists keep their JSON shape; anything else is written as its masked
    text (Django's `request` extra, for one, shows the query string)."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**12 else mask_identifiers(str(value))
    if isinstance(value, dict):
        return {str(key): _extra(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_extra(item) for item in value]
    return mask_identifiers(str(value))


class KeyValueFormatter(logging.Formatter):
    """`time level logger message key=value …` for people reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={_extra(value)}"
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        )
        line = f"{self.formatTime(record)} {record.levelname} {record.name} "
        line += mask_identifiers(record.getMessage())
        if extras:
            line += " " + extras
        if record.exc_info:
            line += "\n" + mask_identifiers(self.formatException(record.exc_info))
        return line


def _reference_from(request) -> str:
    match = getattr(request, "resolver_match", None)
    reference = (match.kwargs.get("reference") if match else None) or ""
    return reference if REFERENCE_RE.match(reference) else ""


def _user_id(request) -> int | None:
    try:
        user = getattr(request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:  # the session store may be down: the line still goes out
        return None


class RequestLogMiddleware:
    """One line per request: method, path (no query string), status, duration,
    user id, client address (helpdesk.network: X-Forwarded-For only from a trusted
    proxy) and the card request reference when the URL names one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            reference = _reference_from(request)
            user_id = _user_id(request)
            level = logging.ERROR if status >= 500 else logging.INFO
            request_logger.log(
                level,
                "%s %s %s %sms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                    "client": client_address(request),
                    "reference": reference,
                },
            )


# Celery ---------------------------------------------------------------------------

_started: dict[str, float] = {}


def _task_reference(task, args, kwargs) -> str:
    """The reference of the card request a task concerns (by its notification or
    card request id argument), or ""."""
    import inspect

    try:
        bound = inspect.signature(task.run).bind_partial(
            *(args or ()), **(kwargs or {})
        )
    except (TypeError, ValueError):
        return ""
    arguments = bound.arguments
    try:
        if "notification_id" in arguments:
            from cards.models import Notification

            return (
                Notification.objects.filter(pk=arguments["notification_id"])
                .values_list("card_request__reference", flat=True)
                .first()
                or ""
            )
        if "card_request_id" in arguments:
            from cards.models import CardRequest

            return (
                CardRequest.objects.filter(pk=arguments["card_request_id"])
                .values_list("reference", flat=True)
                .first()
                or ""
            )
    except Exception:  # the database may be down: the line still goes out
        return ""
    return ""


def task_started(task_id=None, **_kwargs) -> None:
    _started[task_id] = time.monotonic()


def task_finished(
    task_id=None, task=None, args=None, kwargs=None, state=None, **_kwargs
) -> None:
    started = _started.pop(task_id, None)
    duration_ms = (
        round((time.monotonic() - started) * 1000, 1) if started is not None else None
    )
    outcome = (state or "unknown").lower()
    reference = _task_reference(task, args, kwargs) if task is not None else ""
    name = getattr(task, "name", "?")
    task_logger.log(
        logging.WARNING if outcome in {"failure", "retry"} else logging.INFO,
        "task %s %s %sms",
        name,
        outcome,
        duration_ms,
        extra={
            "task": name,
            "task_id": task_id,
            "duration_ms": duration_ms,
            "outcome": outcome,
            "reference": reference,
        },
    )


def connect_task_signals() -> None:
    """Log one line per task run (called by helpdesk.celery)."""
    from celery import signals

    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_finished, weak=False)
