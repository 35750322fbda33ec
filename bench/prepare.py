"""Seed one benchmark database and get what the load needs: signed-in sessions
(CAS staff verified with an authenticator code, as after a real sign-in), a
provider's API token, real references, and the SQL queries each scenario makes
(one request of each through the same app, in process).

Run by bench.run in its own process, with DATABASE_URL naming the database:
`python -m bench.prepare SIZE` prints JSON."""

import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django.setup()

from django.conf import settings  # noqa: E402

# The floor routes too (bench.urls), as gunicorn serves them.
settings.ROOT_URLCONF = "bench.urls"
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.scenarios import BENCH_CID_PREFIX, FILING_HOUSE, SCENARIOS  # noqa: E402
from bench.seed import seed  # noqa: E402
from cards.models import CardRequest, IdentifierAccess  # noqa: E402
from providers.middleware import LAST_ACTIVITY_KEY  # noqa: E402
from providers.models import Person, Provider  # noqa: E402


def _session(person: Person) -> str:
    client = Client()
    client.force_login(person)
    if person.provider_id is None:
        device, _ = TOTPDevice.objects.get_or_create(
            user=person, name="Benchmark", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[LAST_ACTIVITY_KEY] = int(time.time())
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _context() -> dict:
    # The Timiș provider with most requests (its agent's "my requests", its token).
    busiest = (
        CardRequest.objects.filter(house__code="TM", provider__house__code="TM")
        .values("provider_id")
        .order_by("provider_id")
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .first()
    )
    provider = Provider.objects.get(pk=busiest["provider_id"])
    agent = provider.agents.get()
    latest = CardRequest.objects.filter(provider=provider).order_by("-created_at")[0]
    # Filings come from a provider of the filing house, so that the load's filings
    # pile into neither the measured queue nor the measured provider's list.
    filer = (
        Provider.objects.filter(house__code=FILING_HOUSE).order_by("pk").first()
    ).agents.get()
    return {
        "sessions": {
            "specialist": _session(Person.objects.get(username="tm.primary1")),
            "supervisor": _session(Person.objects.get(username="tm.supervisor")),
            "operator": _session(Person.objects.get(username="tm.operator1")),
            "agent": _session(agent),
        },
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "token": Token.objects.get_or_create(user=agent)[0].key,
        "filing_token": Token.objects.get_or_create(user=filer)[0].key,
        "reference": latest.reference,
        "lookup": provider.fiscal_code,
        "max_pk": CardRequest.objects.order_by("-pk").values_list("pk", flat=True)[0],
    }


def send(client: Client, spec: dict):
    """One scenario request (`Scenario.request`) through the test client, its
    streamed body read."""
    if spec["method"] == "POST":
        response = client.post(
            spec["path"],
            data=spec["body"],
            content_type="application/json",
            headers=spec["headers"],
        )
    else:
        response = client.get(spec["path"], headers=spec["headers"])
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def card_numbers_base() -> int:
    """Where this run's card numbers start: above any earlier run's."""
    return 10**15 + time.time_ns() // 1000 % 10**14


def rows_etag(context: dict) -> str:
    """The queue rows' ETag now: what the polling holds while nothing changes."""
    rows = next(s for s in SCENARIOS if s.name == "refresh_changed")
    return send(Client(), rows.request(context))["ETag"]


def _queries(context: dict) -> dict[str, int]:
    """SQL queries of one request of each scenario (after one to warm caches, in
    the same minute: what is kept for the minute is read anew in the next).
    Card numbers are new on every run (above those of the load): a card filed by
    an earlier run would answer its open request, not file a new one."""
    counts = {}
    base = card_numbers_base()
    context["etag"] = rows_etag(context)
    for index, scenario in enumerate(SCENARIOS):
        n = base + index * 10
        minute = None
        while minute != _minute():
            minute = _minute()
            client = Client()
            send(client, scenario.request(context, n=n))
            with CaptureQueriesContext(connection) as captured:
                send(client, scenario.request(context, n=n + 1))
            n += 2
        counts[scenario.name] = len(captured)
    return counts


def _minute() -> str:
    return timezone.now().strftime("%Y%m%d%H%M")


APPEND_ONLY = IdentifierAccess._meta.db_table


def drop_earlier_filings() -> int:
    """Delete the requests earlier runs filed (their CIDs start with
    BENCH_CID_PREFIX, which the seed never gives) and every row that refers to
    them: each run measures the data seeded, not the 9,000 or so requests each
    run before it filed at each size. In SQL: Django would load every request to
    send its signals. Access records are append-only (a trigger refuses to delete
    them): here, in the benchmark's own database and for the load's own filings,
    the trigger is off for this one transaction."""
    tables = [
        (rel.field.m2m_db_table(), rel.field.m2m_reverse_name())
        if rel.many_to_many
        else (rel.related_model._meta.db_table, rel.field.column)
        for rel in CardRequest._meta.related_objects
    ]
    requests = CardRequest._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # (Deferred checks pending, as in a test's transaction, would stop ALTER.)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"ALTER TABLE {APPEND_ONLY} DISABLE TRIGGER {APPEND_ONLY}_append_only"
        )
        cursor.execute(
            f"CREATE TEMP TABLE bench_filed AS SELECT id FROM {requests} "  # noqa: S608 (a model's table)
            "WHERE identifier LIKE %s",
            [BENCH_CID_PREFIX + "%"],
        )
        for table, column in [*tables, (requests, "id")]:
            cursor.execute(
                f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM bench_filed)"  # noqa: S608 (models' tables)
            )
        dropped = cursor.rowcount
        cursor.execute("DROP TABLE bench_filed")
        cursor.execute(
            f"ALTER TABLE {APPEND_ONLY} ENABLE TRIGGER {APPEND_ONLY}_append_only"
        )
    if dropped:
        # As after the seed (VACUUM cannot run in a test's transaction).
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for table in {requests, *(table for table, _ in tables)}:
                cursor.execute(f"{vacuum} {table}")
    return dropped


def main(size: int) -> None:
    seeded = {}
    if not CardRequest.objects.exists():
        started = time.perf_counter()
        seeded = seed(size=size, log=lambda line: print(line, file=sys.stderr))
        seeded["seconds"] = round(time.perf_counter() - started, 1)
    else:
        dropped = drop_earlier_filings()
        print(f"earlier runs' filings dropped: {dropped}", file=sys.stderr)
    context = _context()
    context["queries"] = _queries(context)
    context["seeded"] = seeded
    json.dump(context, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]))
