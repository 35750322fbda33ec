"""Personal data: identifiers masked wherever they need not be seen, messages that
carry a reference and a link but never a CID or card number, a retention purge that
leaves no copy anywhere, and no PIN in any model, form, serializer or API schema."""

import importlib
import pkgutil
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import caches
from django.db import models
from django.utils import timezone

from cards import services, sms
from cards.models import (
    Call,
    CallOutcome,
    CardRequest,
    Channel,
    Event,
    EventKind,
    IdempotencyKey,
    IdentifierAccess,
    Kind,
    Notification,
    Outcome,
    Source,
    Status,
    Template,
)
from cards.services.notifications import notification_render, notification_render_sms
from tests.cards.factories import CardRequestFactory

pytestmark = pytest.mark.django_db

CID = "80642000350012345678"
CARD_NUMBER = "RO1A2B3C4D5E6F70"
IDENTIFIERS = {Kind.BLOCKED: CID, Kind.INVALID: CARD_NUMBER}


def spaced(identifier: str) -> str:
    return " ".join(identifier[i : i + 4] for i in range(0, len(identifier), 4))


def assert_absent(identifier: str, text: str, where: str = "") -> None:
    """Neither the identifier nor its typed-in-groups form appears (any case)."""
    lowered = text.lower()
    for form in (identifier, spaced(identifier), identifier.lower()):
        assert form.lower() not in lowered, f"{where}: {form[:4]}… found"
    squeezed = re.sub(r"[\s.\-]", "", lowered)
    assert identifier.lower() not in squeezed, f"{where}: identifier found"


@pytest.fixture
def superuser_client(client, national_admin):
    national_admin.is_staff = national_admin.is_superuser = True
    national_admin.save()
    client.force_login(national_admin)
    return client


@pytest.fixture
def worked(provider_agent, specialist, operator):
    """A blocked card's request, claimed, with the CID typed into free texts the
    way people do: the filing note, a question, the operator's call note."""
    card_request, _created = services.card_request_file(
        actor=provider_agent,
        source=Source.WEB,
        house=None,
        error_code=15,
        cid=CID,
        note=f"Pacientul are CID {spaced(CID)}.",
    )
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.call_log(
        actor=operator,
        caller_phone="0256 201 234",
        note=f"Sună pentru cardul {CID}",
        card_requests=[card_request],
    )
    return card_request


# 1. Masked wherever it need not be seen -------------------------------------------


def test_web_lists_never_show_the_identifier(
    client, worked, specialist, provider_agent, operator, supervisor
):
    pages = [
        (specialist, "/queue/"),
        (specialist, "/queue/rows/"),
        (supervisor, "/queue/"),
        (provider_agent, "/requests/"),
        (provider_agent, "/messages/"),
        (operator, "/console/"),
    ]
    for person, url in pages:
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, url
        assert_absent(CID, response.content.decode(), url)
    assert IdentifierAccess.objects.count() == 0


def test_the_provider_list_names_the_card_by_its_last_4(client, worked, provider_agent):
    client.force_login(provider_agent)
    assert CID[-4:] in client.get("/requests/").content.decode()


def test_api_lists_never_show_the_identifier(api, worked, specialist, provider_agent):
    for person in (specialist, provider_agent):
        listed = api(person).get("/api/v1/requests/")
        assert listed.status_code == 200
        assert_absent(CID, listed.content.decode(), f"list for {person}")
        assert listed.json()["results"][0]["cid"] == "•" * 16 + CID[-4:]


def test_api_call_list_masks_identifiers_typed_in_notes(api, worked, operator):
    listed = api(operator).get("/api/v1/calls/")
    assert listed.status_code == 200
    assert_absent(CID, listed.content.decode(), "calls")
    assert "…" + CID[-4:] in listed.json()["results"][0]["note"]


def test_free_texts_are_masked_on_the_request_desk_even_for_its_assignee(
    client, api, worked, specialist, supervisor
):
    services.card_request_ask_info(
        actor=specialist, card_request=worked, question=f"Confirmați CID {CID}?"
    )
    client.force_login(supervisor)
    html = client.get(f"/queue/{worked.reference}/").content.decode()
    assert_absent(CID, html, "supervisor's desk")
    detail = api(supervisor).get(f"/api/v1/requests/{worked.reference}/")
    assert_absent(CID, detail.content.decode(), "supervisor's API detail")


def test_admin_lists_and_forms_never_show_the_identifier(superuser_client, worked):
    Notification.objects.create(
        card_request=worked,
        channel=Channel.EMAIL,
        template=Template.RESOLVED,
        address="x@example.com",
        last_error=f"SMTP refused message about {CID}",
    )
    Event.objects.create(
        card_request=worked, kind=EventKind.COMMENT, text=f"CID {CID} checked"
    )
    call = Call.objects.get()
    urls = []
    for model, obj in [
        (CardRequest, worked),
        (Call, call),
        (Notification, Notification.objects.first()),
    ]:
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        urls += [base, f"{base}{obj.pk}/change/", f"{base}?q={worked.reference}"]
    for url in urls:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert_absent(CID, response.content.decode(), url)


def test_every_registered_admin_of_a_model_holding_free_text_masks_it():
    """Cards models with an identifier or free text are registered read-only and
    show those columns masked; IdempotencyKey (a hash of a body) is not shown."""
    registry = admin.site._registry
    assert IdempotencyKey not in registry
    for model in (CardRequest, Call, Notification, IdentifierAccess):
        model_admin = registry[model]
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_change_permission(None)
        assert not model_admin.has_delete_permission(None)
    assert "identifier" in registry[CardRequest].exclude
    assert "note" in registry[CardRequest].exclude
    assert "note" in registry[Call].exclude
    assert "last_error" in registry[Notification].exclude


# 2-3. Messages carry a reference and a link, never the identifier ---------------


@pytest.mark.parametrize("language", ["ro", "en"])
@pytest.mark.parametrize("kind", [Kind.BLOCKED, Kind.INVALID])
def test_every_template_on_every_channel_carries_no_identifier(
    provider_agent, supervisor, kind, language
):
    identifier = IDENTIFIERS[kind]
    card_request = CardRequestFactory(
        filed_by=provider_agent,
        kind=kind,
        identifier=identifier,
        status=Status.RESOLVED,
        outcome=Outcome.UNBLOCKED if kind == Kind.BLOCKED else Outcome.REACTIVATED,
        note=f"note {identifier}",
    )
    # Every event a message quotes, each with the identifier typed into it.
    for event_kind in (
        EventKind.RESOLVED,
        EventKind.REJECTED,
        EventKind.INFO_REQUESTED,
        EventKind.INFO_GIVEN,
        EventKind.ESCALATED,
    ):
        Event.objects.create(
            card_request=card_request,
            kind=event_kind,
            text=f"{identifier} / {spaced(identifier)} / {identifier.lower()}",
        )
    rendered = 0
    for template in Template.values:
        for channel in Channel.values:
            notification = Notification(
                card_request=card_request,
                recipient=provider_agent,
                channel=channel,
                template=template,
                language=language,
            )
            subject, body = notification_render(notification)
            short = notification_render_sms(notification)
            where = f"{template}/{channel}/{language}"
            for text in (subject, body, short):
                assert_absent(identifier, text, where)
            assert card_request.reference in subject and card_request.reference in short
            assert "https://helpdesk.example.ro/" in body
            assert "https://helpdesk.example.ro/" in short
            rendered += 1
    assert rendered == len(Template.values) * len(Channel.values)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_messages_sent_through_the_real_path_carry_no_identifier(
    settings, provider_agent, specialist
):
    """File, ask (typing the CID), answer, resolve, reject: every email, SMS and
    in-app message delivered on commit."""
    settings.SMS_BACKEND = "cards.sms.LocmemBackend"
    provider_agent.phone, provider_agent.notify_sms = "+40736203666", True
    provider_agent.save()
    sms.outbox.clear()
    mail.outbox.clear()
    first, _ = services.card_request_file(
        actor=provider_agent, source=Source.WEB, house=None, error_code=15, cid=CID
    )
    services.card_request_claim(actor=specialist, card_request=first)
    services.card_request_ask_info(
        actor=specialist, card_request=first, question=f"Este CID-ul {CID}?"
    )
    services.card_request_give_info(
        actor=provider_agent, card_request=first, answer=f"Da, {spaced(CID)}"
    )
    services.card_request_claim(actor=specialist, card_request=first)
    services.card_request_resolve(
        actor=specialist, card_request=first, outcome=Outcome.UNBLOCKED, note=CID
    )
    second, _ = services.card_request_file(
        actor=provider_agent,
        source=Source.WEB,
        house=None,
        error_code=5,
        card_number=CARD_NUMBER,
    )
    services.card_request_claim(actor=specialist, card_request=second)
    services.card_request_reject(
        actor=specialist, card_request=second, reason=f"{CARD_NUMBER} nu există"
    )
    assert len(mail.outbox) >= 3 and len(sms.outbox) >= 3
    texts = [m.subject + "\n" + m.body for m in mail.outbox]
    texts += [message["text"] for message in sms.outbox]
    texts += [
        " ".join(notification_render(n))
        for n in Notification.objects.filter(channel=Channel.IN_APP)
    ]
    for text in texts:
        assert_absent(CID, text, "message")
        assert_absent(CARD_NUMBER, text, "message")
        assert re.search(r"TM-\d{4}-\d{5}", text)
        assert "https://helpdesk.example.ro/" in text or "[" in text


# 4. The purge leaves no copy -----------------------------------------------------


def _text_columns():
    """Every text-like column of every model of every installed app."""
    text_types = (models.CharField, models.TextField, models.JSONField)
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, text_types)
        ]
        if columns:
            yield model, columns


def _scan_database(identifier: str) -> tuple[int, int, list[str]]:
    tables = columns_scanned = 0
    hits = []
    for model, columns in _text_columns():
        tables += 1
        columns_scanned += len(columns)
        for row in model._base_manager.values_list("pk", *columns):
            for column, value in zip(columns, row[1:], strict=True):
                text = str(value or "")
                squeezed = re.sub(r"[\s.\-]", "", text).lower()
                if identifier.lower() in squeezed:
                    hits.append(f"{model._meta.db_table}.{column} (pk {row[0]})")
    for session in Session.objects.all():
        if identifier in str(session.get_decoded()):
            hits.append(f"session {session.pk[:6]}…")
    return tables, columns_scanned, hits


def _scan_cache(identifier: str) -> list[str]:
    cache = caches["default"]
    hits = []
    store = getattr(cache, "_cache", None)
    if isinstance(store, dict):  # locmem: pickled values
        for key, value in store.items():
            if identifier.encode() in bytes(value) or identifier in key:
                hits.append(f"cache {key}")
    elif hasattr(store, "get_client"):  # redis: this test run's database only
        client = store.get_client(None)
        readers = {  # the cache's strings, and the broker's queues beside them
            b"string": lambda key: [client.get(key) or b""],
            b"list": lambda key: client.lrange(key, 0, -1),
            b"hash": lambda key: client.hvals(key),
            b"set": lambda key: list(client.smembers(key)),
            b"zset": lambda key: client.zrange(key, 0, -1),
        }
        for key in client.scan_iter(count=500):
            values = readers.get(client.type(key), lambda key: [])(key)
            if any(identifier.encode() in value for value in [key, *values]):
                hits.append(f"redis {key!r}")
    return hits


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_purge_erases_every_copy_of_the_identifier(
    settings, client, api, provider_agent, specialist, operator, supervisor, cj
):
    """Plant the CID everywhere the app's own paths can put it, purge, then scan
    every text column of every table, the sessions and the cache: no hit."""
    settings.PURGE_AFTER_DAYS = 30
    settings.SMS_BACKEND = "cards.sms.LocmemBackend"
    agent_api = api(provider_agent)
    # API filing with an idempotency key and the CID typed into the note.
    filed = agent_api.post(
        "/api/v1/requests/",
        {"error_code": 15, "cid": spaced(CID), "note": f"CID {CID}"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-1",
    )
    assert filed.status_code == 201, filed.content
    card_request = CardRequest.objects.get(reference=filed.json()["reference"])
    assert IdempotencyKey.objects.filter(card_request=card_request).exists()
    # Web pages with sessions (the specialist's desk, the provider's page).
    client.force_login(specialist)
    assert client.post(f"/queue/{card_request.reference}/claim/").status_code == 302
    assert CID in client.get(f"/queue/{card_request.reference}/").content.decode()
    # Free texts: question, answer, transfer note, resolve note, confirm note.
    services.card_request_ask_info(
        actor=specialist, card_request=card_request, question=f"CID {CID}?"
    )
    services.card_request_give_info(
        actor=provider_agent, card_request=card_request, answer=f"da {spaced(CID)}"
    )
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_resolve(
        actor=specialist,
        card_request=card_request,
        outcome=Outcome.UNBLOCKED,
        note=f"deblocat {CID}",
    )
    services.card_request_confirm(
        actor=provider_agent,
        card_request=card_request,
        works=False,
        note=f"tot blocat {CID}",
    )
    services.card_request_claim(actor=specialist, card_request=card_request)
    services.card_request_reject(
        actor=specialist, card_request=card_request, reason=f"duplicat {CID}"
    )
    # The operator's call notes: one linked, one not linked (the same day).
    services.call_log(
        actor=operator,
        caller_phone="0256 201 234",
        note=f"apel pentru {CID}",
        card_requests=[card_request],
    )
    services.call_log(
        actor=operator,
        caller_phone="0256 201 235",
        outcome=CallOutcome.ANSWERED,
        note=f"a dictat {spaced(CID).replace(' ', '-')}",
    )
    client.force_login(provider_agent)
    assert client.get(f"/requests/{card_request.reference}/").status_code == 200
    assert IdentifierAccess.objects.filter(card_request=card_request).count() >= 2

    before = _scan_database(CID)[2]
    assert before, "nothing was planted: the scan would prove nothing"

    # A month passes: the request and the calls move back in time together.
    month = timedelta(days=31)
    CardRequest.objects.filter(pk=card_request.pk).update(
        created_at=card_request.created_at - month,
        closed_at=timezone.now() - month,
    )
    for call in Call.objects.all():
        Call.objects.filter(pk=call.pk).update(started_at=call.started_at - month)
    assert services.card_requests_purge_personal_data() == 1

    tables, columns, hits = _scan_database(CID)
    hits += _scan_cache(CID)
    print(f"purge scan: {tables} tables, {columns} text columns, {len(hits)} hits")
    assert hits == []
    assert tables > 10 and columns > 30
    # The access records stay, and the timeline keeps its texts, masked.
    assert IdentifierAccess.objects.filter(card_request=card_request).count() >= 2
    question = card_request.events.get(kind=EventKind.INFO_REQUESTED)
    assert question.text == f"CID …{CID[-4:]}?"


def test_the_purge_scrubs_the_identifier_in_any_case_and_spacing(provider_agent):
    from cards.services.maintenance import _identifier_pattern, _scrubbed

    pattern = _identifier_pattern(CARD_NUMBER)
    text = f"a {CARD_NUMBER.lower()} b {spaced(CARD_NUMBER)} c RO1A.2B3C-4D5E6F70"
    assert _scrubbed(text, pattern, "6F70") == "a …6F70 b …6F70 c …6F70"


# 5. No PIN anywhere ---------------------------------------------------------------

# "pin" as a word of a name: pin, new_pin, pinCode, pin2, card_pins; not opinion,
# pinned, shipping, spinner.
PIN_WORD = re.compile(r"(?:^|[^a-z])pin(?:s|code|[0-9]*)?(?:$|[^a-z])")


def is_pin_name(name: str) -> bool:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name)).lower()
    return bool(PIN_WORD.search(snake))


def test_the_pin_name_rule():
    for name in ["pin", "PIN", "new_pin", "pinCode", "pin2", "card_pins", "pin-code"]:
        assert is_pin_name(name), name
    for name in ["opinion", "pinned", "shipping", "spinner", "pinpoint", "spin"]:
        assert not is_pin_name(name), name


def _project_modules():
    for package in ("cards", "providers", "helpdesk"):
        module = importlib.import_module(package)
        yield module
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" in info.name or info.name.endswith("wsgi"):
                continue
            yield importlib.import_module(info.name)


def _classes(base):
    seen = {}
    for module in _project_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value.__module__.split(".")[0] in ("cards", "providers", "helpdesk")
            ):
                seen[f"{value.__module__}.{value.__qualname__}"] = value
    return seen


def test_no_model_form_serializer_or_api_field_is_named_after_a_pin():
    from django import forms
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework import serializers

    names: dict[str, list[str]] = {"models": [], "forms": [], "serializers": []}
    for model in apps.get_models(include_auto_created=True):
        names["models"] += [
            f"{model._meta.label}.{f.name}" for f in model._meta.get_fields()
        ]
    for label, form in _classes(forms.BaseForm).items():
        names["forms"] += [f"{label}.{name}" for name in form.base_fields]
    for label, serializer in _classes(serializers.BaseSerializer).items():
        try:
            fields = serializer(context={}).fields
        except Exception:
            fields = getattr(serializer, "_declared_fields", {})
        names["serializers"] += [f"{label}.{name}" for name in fields]
    schema = SchemaGenerator().get_schema(request=None, public=True)
    schema_names = []

    def walk(node, path):
        if isinstance(node, dict):
            for key in node.get("properties", {}):
                schema_names.append(f"{path}.{key}")
            if node.get("in") and node.get("name"):
                schema_names.append(f"{path}?{node['name']}")
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    walk(schema, "")
    names["schema"] = schema_names
    found = [
        name
        for group in names.values()
        for name in group
        if is_pin_name(name.rsplit(".", 1)[-1].rsplit("?", 1)[-1])
    ]
    counts = {group: len(group_names) for group, group_names in names.items()}
    print(f"pin scan: {counts}, {len(found)} named after a PIN")
    assert found == []
    assert counts["models"] > 100 and counts["forms"] > 20
    assert counts["serializers"] > 50 and counts["schema"] > 50


@pytest.mark.parametrize("field", ["pin", "new_pin", "PIN"])
def test_the_api_still_refuses_a_pin_field_without_echoing_it(
    api, provider_agent, field
):
    response = api(provider_agent).post(
        "/api/v1/requests/",
        {"error_code": 15, "cid": CID, field: "4821"},
        format="json",
    )
    assert response.status_code == 400
    assert "Never send a PIN" in response.json()[field][0]
    assert "4821" not in response.content.decode()
    assert not CardRequest.objects.exists()


def test_a_pin_typed_into_a_free_text_is_still_refused(provider_agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Remove the PIN"):
        services.card_request_file(
            actor=provider_agent,
            source=Source.WEB,
            house=None,
            error_code=15,
            cid=CID,
            note="PIN 4821",
        )
    assert not CardRequest.objects.exists()


# 6. The identifier guard (tests/identifier_guard.py) -----------------------------


def test_the_guard_recognises_identifiers_and_allows_masked_forms():
    from tests.identifier_guard import Guard

    guard = Guard()
    assert guard.found_in(f"cid {CID}") == [CID]
    assert guard.found_in(f"card {CARD_NUMBER.lower()}") == [CARD_NUMBER.lower()]
    assert guard.found_in(f"typed {spaced(CID)}") == [CID]
    assert (
        guard.found_in(f"masked {'•' * 16}{CID[-4:]} …{CID[-4:]} TM-2611-00042") == []
    )
    guard.corpus.add("XY98765432109876")
    assert guard.found_in("odd XY98765432109876 shape") == ["XY98765432109876"]
    # A random token of mixed case that happens to start with "Ro" is not a card.
    assert guard.found_in("nonce RoXyAbcdEfGhBGpg in a context") == []


def test_the_guard_catches_a_record_and_names_its_logger():
    import logging

    from tests.identifier_guard import Guard

    guard = Guard()
    record = logging.LogRecord(
        "probe", logging.DEBUG, __file__, 1, "cid %s", (CID,), None
    )
    guard.capture_record(record)
    assert guard.records == 1
    assert guard.hits == [
        f"log record of logger 'probe' in (outside a test): {'•' * 16}{CID[-4:]}"
    ]


def test_the_guard_is_watching_this_session():
    import logging

    from tests import identifier_guard

    assert logging.Logger.handle is identifier_guard._handle
    before = identifier_guard.GUARD.records
    logging.getLogger("tests.pdata").debug("a debug line, below the level")
    assert identifier_guard.GUARD.records == before + 1


def test_a_django_request_extra_with_a_query_string_is_masked_in_the_log_line(
    rf,
):
    import logging

    from helpdesk.logging import JsonFormatter, KeyValueFormatter

    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x/",), None
    )
    record.request = rf.get(f"/x/?cid={CID}")
    record.status_code = 404
    for formatter in (JsonFormatter(), KeyValueFormatter()):
        line = formatter.format(record)
        assert_absent(CID, line, type(formatter).__name__)
        assert "404" in line


def test_a_session_that_logs_an_identifier_fails(tmp_path):
    """Run pytest on a probe that logs a CID at DEBUG (below the configured level,
    so nothing is printed): the session's exit status is 1 and the guard names the
    logger."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import logging\n\n\n"
        "def test_probe():\n"
        f"    logging.getLogger('probe.leak').debug('cid %s', '{CID}')\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.identifier_guard",
            f"--rootdir={django_settings.BASE_DIR}",
            str(probe),
        ],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "PYTHONPATH": str(django_settings.BASE_DIR)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 passed" in output
    assert re.search(
        r"identifier guard: \d+ log records, 0 broker messages, 1 ", output
    )
    assert "logger 'probe.leak'" in output
    assert CID not in output
