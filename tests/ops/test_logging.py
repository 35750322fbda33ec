"""Structured logs: one line per request and per task, naming the request by its
reference, and never a CID or card number anywhere."""

import json
import logging

import pytest

from cards.models import Notification
from cards.tasks import notification_deliver_task
from helpdesk.logging import JsonFormatter, KeyValueFormatter, mask_identifiers

CID = "80642000350055554444"
CARD_NUMBER = "RO9Z8Y7X6W5V4U30"
CNP = "1850101350011"

pytestmark = pytest.mark.django_db


def record_texts(record: logging.LogRecord) -> list[str]:
    """Everything a record carries: message, template, arguments and extras."""
    texts = [record.getMessage(), str(record.msg), repr(record.args)]
    texts += [repr(value) for value in vars(record).values()]
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    return texts


def assert_no_identifier(records, *identifiers: str) -> None:
    for record in records:
        for text in record_texts(record):
            for identifier in identifiers:
                assert identifier not in text, (record.name, text)
                assert identifier.lower() not in text.lower(), (record.name, text)


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "helpdesk.request"]


# Transactional: messages are published on commit, as in production.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_lifecycle_logs_one_line_per_request_with_its_reference(
    api, provider_agent, specialist, caplog
):
    caplog.set_level(logging.DEBUG)
    agent, cas = api(provider_agent), api(specialist)

    filed = agent.post(
        "/api/v1/requests/", {"error_code": 15, "cid": CID}, format="json"
    )
    assert filed.status_code == 201, filed.content
    reference = filed.json()["reference"]
    base = f"/api/v1/requests/{reference}/"
    calls = [
        (cas, "post", f"{base}claim/", {}),
        (cas, "post", f"{base}resolve/", {"outcome": "unblocked"}),
        (agent, "get", base, None),
        (agent, "post", f"{base}confirm/", {"works": True}),
    ]
    for client, method, url, body in calls:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 200, (url, response.content)

    # Delivery runs as a task (in process: apply); messages already delivered on
    # commit are skipped by the task, which still logs its line.
    for pk in Notification.objects.values_list("pk", flat=True):
        notification_deliver_task.apply(args=[pk])

    lines = request_lines(caplog)
    assert len(lines) == 1 + len(calls)
    assert lines[0].path == "/api/v1/requests/" and lines[0].reference == ""
    assert lines[0].status == 201 and lines[0].method == "POST"
    assert lines[0].user_id == provider_agent.pk
    for line, (_client, method, url, _body) in zip(lines[1:], calls, strict=True):
        assert line.method == method.upper()
        assert line.path == url
        assert line.status == 200
        assert line.reference == reference
        assert isinstance(line.duration_ms, float)
        assert reference in line.getMessage()
    assert [line.user_id for line in lines[1:3]] == [specialist.pk] * 2

    # Delivery (in process here) logs one line per task, with the reference too.
    tasks = [r for r in caplog.records if r.name == "helpdesk.task"]
    # One line per run: each notification's task ran on commit, then once more.
    assert len(tasks) == 2 * Notification.objects.count() > 0
    assert {t.task for t in tasks} == {"cards.tasks.notification_deliver_task"}
    assert {t.outcome for t in tasks} == {"success"}
    assert {t.reference for t in tasks} == {reference}
    assert all(t.task_id for t in tasks)

    assert_no_identifier(caplog.records, CID)


def test_no_log_record_carries_a_card_number_or_refused_input(
    api, provider_agent, caplog
):
    caplog.set_level(logging.DEBUG)
    agent = api(provider_agent)
    filed = agent.post(
        "/api/v1/requests/",
        {"error_code": 5, "card_number": CARD_NUMBER},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    # Refused input (a CNP typed as a CID; a query string) is not logged either.
    refused = agent.post(
        "/api/v1/requests/", {"error_code": 15, "cid": CNP}, format="json"
    )
    assert refused.status_code == 400
    listed = agent.get(f"/api/v1/requests/?q={CID}")
    assert listed.status_code == 200

    lines = request_lines(caplog)
    assert [line.status for line in lines] == [201, 400, 200]
    assert lines[2].path == "/api/v1/requests/"  # no query string
    assert_no_identifier(caplog.records, CARD_NUMBER, CNP, CID)


def test_an_anonymous_request_is_logged_without_a_user(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.get("/healthz").status_code == 200
    (line,) = request_lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", "/healthz", 200)
    assert line.user_id is None and line.reference == ""


def test_the_json_formatter_writes_one_object_per_line_with_the_extras():
    record = logging.LogRecord(
        "helpdesk.request", logging.INFO, __file__, 1, "GET %s %s", ("/x", 200), None
    )
    record.reference = "TM-2611-00042"
    record.status = 200
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "INFO" and data["logger"] == "helpdesk.request"
    assert data["message"] == "GET /x 200"
    assert data["reference"] == "TM-2611-00042" and data["status"] == 200


def test_formatters_mask_anything_shaped_like_a_card_identifier():
    assert mask_identifiers(f"cid {CID} card {CARD_NUMBER} cnp {CNP}") == (
        "cid …4444 card …4U30 cnp …0011"
    )
    # A reference, a phone number or a plain word stay as they are.
    assert mask_identifiers("TM-2611-00042 +40256201234 notification") == (
        "TM-2611-00042 +40256201234 notification"
    )
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "oops %s", (CID,), None
    )
    assert CID not in JsonFormatter().format(record)
    assert CID not in KeyValueFormatter().format(record)
