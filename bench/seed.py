"""A realistic national data set, made in PostgreSQL itself (INSERT … SELECT over
generate_series: no row goes through Python), for the benchmark.

`size` requests over the two years before now, spread over the 43 houses, their
offices and 50 providers each (a house's hospital files one request in 11, its
other providers share the rest). The newest OPEN_BACKLOG (a day of national volume
at a million requests in two years) were filed in the last day and are still open
(new, in progress, waiting for information, resolved), whatever the size: the
backlog a queue shows comes from a day's work, not from the years behind it. The
rest are closed or rejected, and those closed
more than 90 days ago purged of their identifier, as the retention job leaves
them. Each request has its timeline (filed, claimed, resolved, confirmed or
rejected), closed ones their notifications (in the app and by email), and a third
as many calls are logged, half of them linked to a request.
"""

from django.db import connection, transaction
from django.utils import timezone
from stdnum.ro import cui

from providers.models import (
    DEFAULT_OFFICE_FOR_CATEGORY,
    Category,
    House,
    Location,
    Person,
    Provider,
    Role,
)

PROVIDERS_PER_HOUSE = 50
SPECIALISTS_PER_OFFICE = 3
OPERATORS_PER_HOUSE = 2
DAYS = 730
OPEN_BACKLOG = 1400
PASSWORD = "bench-password-not-for-production"  # noqa: S105 (a local benchmark)

# Categories in proportion to the kinds of providers that read cards.
CATEGORIES = [Category.MF] * 24 + [Category.CLIN] * 10 + [Category.STOM] * 6
CATEGORIES += [Category.PARA] * 4 + [Category.FARMD] * 3 + [Category.SPT] * 2
CATEGORIES += [Category.AMB]
# Each house's hospital (its first provider of that category).
HOSPITAL = CATEGORIES.index(Category.SPT)


def _fiscal_code(n: int) -> str:
    base = str(10_000_000 + n)
    return base + cui.calc_check_digit(base)


def _people_and_providers() -> None:
    """Providers with one location and one agent each; per house two operators, a
    supervisor and three specialists per office. Staff share one password hash."""
    password = Person(username="x")
    password.set_password(PASSWORD)
    hashed = password.password
    providers, staff = [], []
    for h, house in enumerate(House.objects.order_by("code")):
        for p in range(PROVIDERS_PER_HOUSE):
            n = h * PROVIDERS_PER_HOUSE + p
            providers.append(
                Provider(
                    name=f"Furnizor {house.code} {p + 1:03d}",
                    fiscal_code=_fiscal_code(n),
                    contract_number=f"C-{house.code}-{p + 1:04d}",
                    house=house,
                    category=CATEGORIES[p % len(CATEGORIES)],
                    email=f"furnizor{n}@example.ro",
                    phone=f"+4025620{n:04d}",
                )
            )
        staff.append(
            Person(
                username=f"{house.code.lower()}.supervisor",
                role=Role.SUPERVISOR,
                house=house,
                password=hashed,
                first_name="Supervizor",
                last_name=house.code,
            )
        )
        for o in range(OPERATORS_PER_HOUSE):
            staff.append(
                Person(
                    username=f"{house.code.lower()}.operator{o + 1}",
                    role=Role.PHONE_OPERATOR,
                    house=house,
                    password=hashed,
                )
            )
        for office in house.offices.all():
            for s in range(SPECIALISTS_PER_OFFICE):
                staff.append(
                    Person(
                        username=f"{house.code.lower()}.{office.kind}{s + 1}",
                        role=Role.SPECIALIST,
                        house=house,
                        password=hashed,
                        first_name="Specialist",
                        last_name=f"{office.kind} {s + 1}",
                    )
                )
    Provider.objects.bulk_create(providers, batch_size=1000)
    providers = list(Provider.objects.order_by("pk"))
    Location.objects.bulk_create(
        [Location(provider=p, name="Cabinet", phone=p.phone) for p in providers],
        batch_size=1000,
    )
    locations = {loc.provider_id: loc for loc in Location.objects.all()}
    agents = [
        Person(
            username=f"agent{p.pk}",
            role=Role.PROVIDER_AGENT,
            provider=p,
            location=locations[p.pk],
            password=hashed,
            email=f"agent{p.pk}@example.ro",
        )
        for p in providers
    ]
    Person.objects.bulk_create(staff + agents, batch_size=1000)
    through = Person.offices.through
    links = []
    for person in Person.objects.filter(role=Role.SPECIALIST).select_related("house"):
        kind = person.username.split(".", 1)[1].rstrip("0123456789")
        office = person.house.offices.get(kind=kind)
        links.append(through(person_id=person.pk, office_id=office.pk))
    through.objects.bulk_create(links, batch_size=1000)


_MAPS = """
CREATE TEMP TABLE bench_provider AS
SELECT row_number() OVER (ORDER BY p.id) - 1 AS n, p.id, p.house_id, l.id AS location_id,
       a.id AS agent_id, o.id AS office_id, o.kind AS office_kind
FROM providers_provider p
JOIN providers_location l ON l.provider_id = p.id
JOIN providers_person a ON a.provider_id = p.id
JOIN providers_office o ON o.house_id = p.house_id AND o.kind = CASE p.category
    {category_cases} ELSE 'clinical' END;
CREATE TEMP TABLE bench_specialist AS
SELECT po.office_id, row_number() OVER (PARTITION BY po.office_id ORDER BY p.id) - 1 AS n,
       p.id
FROM providers_person p JOIN providers_person_offices po ON po.person_id = p.id;
CREATE TEMP TABLE bench_house AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, code FROM providers_house;
ANALYZE bench_provider; ANALYZE bench_specialist; ANALYZE bench_house;
"""

# Requests: g = 1 is the newest. The first OPEN_BACKLOG were filed in the last day
# and are open; older ones are closed (9 in 10), rejected, or (in the last week)
# resolved and not yet confirmed.
_REQUESTS = """
INSERT INTO cards_cardrequest (reference, kind, error_code, identifier, source, status,
    priority, due_at, outcome, note, created_at, updated_at, resolved_at, closed_at,
    first_action_at, assignee_id, filed_by_id, house_id, location_id, office_id,
    provider_id, purged_at)
SELECT
    h.code || '-' || to_char(t.created AT TIME ZONE 'Europe/Bucharest', 'YYMM') || '-'
        || lpad(g::text, 7, '0'),
    CASE WHEN g %% 4 = 0 THEN 'invalid' ELSE 'blocked' END,
    CASE WHEN g %% 4 = 0 THEN (CASE WHEN g %% 8 = 0 THEN 17 ELSE 5 END) ELSE 15 END,
    CASE WHEN t.purged THEN ''
         WHEN g %% 4 = 0 THEN 'RO' || lpad(g::text, 14, '0')
         ELSE '8064' || lpad(g::text, 16, '0') END,
    (ARRAY['web', 'web', 'api', 'phone'])[1 + g %% 4],
    t.status,
    CASE WHEN bp.office_kind = 'hospital' THEN 1 ELSE 0 END,
    t.created + interval '4 hours',
    CASE WHEN t.status IN ('resolved', 'closed')
         THEN CASE WHEN g %% 4 = 0 THEN 'reactivated' ELSE 'unblocked' END ELSE '' END,
    '',
    t.created,
    t.created + interval '1 minute' * t.work,
    CASE WHEN t.status IN ('resolved', 'closed')
         THEN t.created + interval '1 minute' * t.work END,
    CASE WHEN t.status IN ('closed', 'rejected')
         THEN t.created + interval '1 minute' * t.work + interval '1 day' END,
    CASE WHEN t.status <> 'new' THEN t.created + interval '1 minute' * (3 + g %% 40) END,
    CASE WHEN t.status IN ('in_progress', 'needs_info', 'resolved', 'closed', 'rejected')
         THEN s.id END,
    bp.agent_id, h.id, bp.location_id,
    o.id,
    bp.id,
    CASE WHEN t.purged THEN t.created + interval '92 days' END
FROM generate_series(1::bigint, %(size)s) AS g
CROSS JOIN LATERAL (
    SELECT CASE WHEN g <= %(open)s
                THEN %(now)s::timestamptz - interval '1 second' * (g::float8 / %(open)s * 86400)
                ELSE %(now)s::timestamptz - interval '1 day' - interval '1 second'
                     * ((g - %(open)s)::float8 / greatest(%(size)s - %(open)s, 1)
                        * (%(span)s - 86400)) END
           AS created,
           20 + (g * 7919) %% 400 AS work
) AS c
CROSS JOIN LATERAL (
    SELECT c.created,
           c.work,
           CASE WHEN g <= %(open)s THEN
                    (ARRAY['new', 'new', 'in_progress', 'needs_info', 'resolved'])
                    [1 + g %% 5]
                WHEN %(now)s::timestamptz - c.created < interval '7 days'
                     AND g %% 10 = 0 THEN 'resolved'
                WHEN g %% 20 = 0 THEN 'rejected'
                ELSE 'closed' END AS status,
           %(now)s::timestamptz - c.created > interval '92 days' AS purged
) AS t
-- One request in 11 comes from a house's hospital, the rest from any provider: a
-- hospital's list is long (a full page even at 10,000 requests), a practice's short.
JOIN bench_provider bp ON bp.n = CASE WHEN g %% 11 = 3
    THEN (g / 11 %% %(houses)s) * %(per_house)s + %(hospital)s
    ELSE (g * 31) %% %(providers)s END
-- One card in 20 belongs to the next house (the insured person's, not the
-- provider's).
JOIN bench_house hp ON hp.id = bp.house_id
JOIN bench_house h ON h.n = CASE WHEN g %% 20 = 7 THEN (hp.n + 1) %% 43 ELSE hp.n END
JOIN providers_office o ON o.house_id = h.id AND o.kind = bp.office_kind
JOIN bench_specialist s ON s.office_id = o.id AND s.n = g %% 3
"""

_EVENTS = """
INSERT INTO cards_event (kind, from_status, to_status, text, created_at, actor_id,
    card_request_id)
SELECT e.kind, e.from_status, e.to_status, '', e.at, e.actor_id, r.id
FROM cards_cardrequest r
CROSS JOIN LATERAL (VALUES
    ('filed', '', 'new', r.created_at, r.filed_by_id, true),
    ('claimed', 'new', 'in_progress', r.first_action_at, r.assignee_id,
        r.first_action_at IS NOT NULL),
    ('info_requested', 'in_progress', 'needs_info', r.first_action_at
        + interval '1 minute', r.assignee_id, r.status = 'needs_info'),
    ('resolved', 'in_progress', 'resolved', r.resolved_at, r.assignee_id,
        r.resolved_at IS NOT NULL),
    ('rejected', 'in_progress', 'rejected', r.closed_at, r.assignee_id,
        r.status = 'rejected'),
    ('confirmed', 'resolved', 'closed', r.closed_at, r.filed_by_id,
        r.status = 'closed')
) AS e(kind, from_status, to_status, at, actor_id, wanted)
WHERE e.wanted
"""

_NOTIFICATIONS = """
INSERT INTO cards_notification (address, channel, template, language, status,
    attempts, last_error, created_at, sent_at, read_at, card_request_id, recipient_id)
SELECT CASE WHEN n.channel = 'email' THEN 'agent' || r.provider_id || '@example.ro'
            ELSE '' END,
       n.channel, CASE WHEN r.status = 'rejected' THEN 'rejected' ELSE 'resolved' END,
       'ro', 'sent', 1, '', coalesce(r.resolved_at, r.closed_at),
       coalesce(r.resolved_at, r.closed_at),
       CASE WHEN n.channel = 'in_app' AND r.status <> 'resolved' THEN r.closed_at END,
       r.id, r.filed_by_id
FROM cards_cardrequest r
CROSS JOIN (VALUES ('in_app'), ('email')) AS n(channel)
WHERE r.status IN ('resolved', 'closed', 'rejected')
"""

_CALLS = """
INSERT INTO cards_call (caller_phone, reason, outcome, note, started_at, ended_at,
    created_at, house_id, office_id, operator_id, provider_id)
SELECT p.phone,
       (ARRAY['blocked_card', 'invalid_card', 'status', 'other_error'])[1 + g %% 4],
       (ARRAY['request_filed', 'answered', 'redirected', 'answered'])[1 + g %% 4],
       '',
       c.at, c.at + interval '1 second' * (60 + g %% 300), c.at,
       p.house_id, bp.office_id, op.id, p.id
FROM generate_series(1::bigint, %(calls)s) AS g
CROSS JOIN LATERAL (
    SELECT date_trunc('day', %(now)s::timestamptz
               - interval '1 second' * (g::float8 / %(calls)s * %(span)s))
           + interval '1 hour' * (6 + g %% 10) + interval '1 minute' * (g %% 60) AS at
) AS c
JOIN bench_provider bp ON bp.n = (g * 17) %% %(providers)s
JOIN providers_provider p ON p.id = bp.id
JOIN LATERAL (
    SELECT id FROM providers_person
    WHERE house_id = p.house_id AND role = 'phone_operator' ORDER BY id
    LIMIT 1 OFFSET g %% 2
) AS op ON true
"""

# Half the calls name the provider's latest request filed by phone before them.
_CALL_LINKS = """
INSERT INTO cards_call_card_requests (call_id, cardrequest_id)
SELECT c.id, r.id
FROM cards_call c
JOIN LATERAL (
    SELECT id FROM cards_cardrequest
    WHERE provider_id = c.provider_id AND created_at <= c.started_at
    ORDER BY provider_id, created_at DESC, id DESC LIMIT 1
) AS r ON true
WHERE c.id %% 2 = 0
"""


def seed(*, size: int, log=print) -> dict[str, int]:
    """Fill an empty, migrated database with `size` requests and all that comes
    with them; returns the row counts."""
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark runs on PostgreSQL: set DATABASE_URL.")
    now = timezone.now()
    params = {
        "size": size,
        "now": now,
        "span": DAYS * 86400,
        "open": min(size, OPEN_BACKLOG),
        "calls": max(size // 3, 1),
        "providers": House.objects.count() * PROVIDERS_PER_HOUSE,
        "houses": House.objects.count(),
        "per_house": PROVIDERS_PER_HOUSE,
        "hospital": HOSPITAL,
    }
    cases = " ".join(
        f"WHEN '{category}' THEN '{kind}'"
        for category, kind in DEFAULT_OFFICE_FOR_CATEGORY.items()
    )
    steps = [
        ("maps", _MAPS.format(category_cases=cases)),
        ("requests", _REQUESTS),
        ("events", _EVENTS),
        ("notifications", _NOTIFICATIONS),
        ("calls", _CALLS),
        ("call links", _CALL_LINKS),
    ]
    with transaction.atomic():
        log("seed: people and providers")
        _people_and_providers()
        with connection.cursor() as cursor:
            for name, sql in steps:
                started = timezone.now()
                if name == "maps":
                    cursor.execute(sql)
                else:
                    cursor.execute(sql, params)
                seconds = (timezone.now() - started).total_seconds()
                log(f"seed: {name} ({cursor.rowcount} rows, {seconds:.1f} s)")
    with connection.cursor() as cursor:
        # As autovacuum leaves a table in use: statistics, and the visibility map
        # that lets counts be read from an index alone. (VACUUM cannot run in a
        # transaction: seeded inside one, by a test, the tables are analysed only.)
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        counts = {}
        for table in (
            "cards_cardrequest",
            "cards_event",
            "cards_notification",
            "cards_call",
            "providers_provider",
            "providers_person",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our names)
            counts[table] = cursor.fetchone()[0]
    return counts
