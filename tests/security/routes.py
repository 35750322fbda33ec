"""Every route of the URL resolver, the objects that fill its URL, and a valid body
for it: shared by the route matrix, the object probe and the CSRF tests."""

from datetime import timedelta

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from providers.models import House, Office

# Namespaces and prefixes reviewed on their own (the admin has its own test).
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_PREFIXES = ("static/", "media/", "__debug__/")


def _kwarg_names(pattern) -> tuple[str, ...]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern.pattern, "regex", None)
    return tuple(n for n in regex.groupindex if n != "format") if regex else ()


def walk(patterns=None, namespace="", prefix=""):
    """(route name, full pattern, URL kwarg names) for every route, recursively."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            ns = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            if full.lstrip("^").startswith(SKIPPED_PREFIXES):
                continue
            name = namespace + entry.name if entry.name else full
            yield name, full, _kwarg_names(entry)


def routes() -> dict[str, tuple[tuple[str, ...], bool]]:
    """Route name → (URL kwarg names, is an API route). Format-suffix twins
    (`.json`) share their route's name and row."""
    found: dict[str, tuple[tuple[str, ...], bool]] = {}
    for name, full, kwargs in walk():
        found.setdefault(name, (kwargs, full.startswith("api/")))
    return found


# The request each object route is exercised on: one every role but the other
# providers' agents may see, in a status where the action makes sense.
OBJECT_FOR_ROUTE = {
    "portal:request": "own_new",
    "portal:answer": "own_needs_info",
    "portal:confirm": "own_resolved",
    "portal:print": "own_resolved",
    "queue:detail": "own_new",
    "queue:claim": "own_new",
    "queue:unclaim": "own_progress",
    "queue:resolve": "own_progress",
    "queue:reject": "own_progress",
    "queue:transfer": "own_new",
    "queue:ask_info": "own_progress",
    "card-request-detail": "own_new",
    "card-request-claim": "own_new",
    "card-request-unclaim": "own_progress",
    "card-request-resolve": "own_progress",
    "card-request-reject": "own_progress",
    "card-request-transfer": "own_new",
    "card-request-ask-info": "own_progress",
    "card-request-info": "own_needs_info",
    "card-request-confirm": "own_resolved",
    "supervise:reassign": "own_progress",
    "supervise:release": "own_progress",
}


# A help article the data migration ships.
HELP_ARTICLE_SLUG = "pin-reset"


def own_office() -> Office:
    """The office the office routes are exercised on: Timiș primary care."""
    return Office.objects.get(house__code="TM", kind="primary")


def foreign_offices(world, role) -> list[int]:
    """Offices outside what the role runs: another house's for a supervisor; every
    office for roles that run none; none for a national admin."""
    offices = Office.objects.order_by("pk")
    if role == "admin":
        return []
    if role == "supervisor":
        return list(offices.filter(house__code="CJ").values_list("pk", flat=True))
    return list(
        offices.filter(house__code__in=["TM", "CJ"]).values_list("pk", flat=True)
    )


def url_kwargs(
    name, kwarg_names, world, role, *, reference=None, pk=None, office_id=None
) -> dict:
    """Real objects for the route's URL: the route's request (or `reference`), the
    role's own in-app message (or `pk`), a house code, a help article."""
    kwargs = {}
    for kwarg in kwarg_names:
        if kwarg == "reference":
            kwargs[kwarg] = reference or world.ref(OBJECT_FOR_ROUTE[name])
        elif kwarg == "pk":
            own = world.notifications[role if role != "anonymous" else "agent"]
            kwargs[kwarg] = pk if pk is not None else own.pk
        elif kwarg == "office_id":
            kwargs[kwarg] = office_id if office_id is not None else own_office().pk
        elif kwarg == "code":
            kwargs[kwarg] = "CJ"
        elif kwarg == "slug":
            kwargs[kwarg] = HELP_ARTICLE_SLUG
        else:
            raise AssertionError(
                f"Route {name!r} takes a URL argument {kwarg!r} that the security "
                "tests do not know how to fill: add it to tests/security/routes.py."
            )
    return kwargs


def url_for(name, kwarg_names, world, role, **chosen) -> str:
    return reverse(name, kwargs=url_kwargs(name, kwarg_names, world, role, **chosen))


def _cid(n: int) -> str:
    return f"{70000000000000000000 + n}"


def _call_form(world, role):
    office = Office.objects.get(house__code="TM", kind="primary")
    return {
        "caller_phone": "0256 201 234",
        "office": office.pk,
        "reason": "status",
        "outcome": "answered",
        "started_at": (timezone.localtime() - timedelta(minutes=5)).strftime(
            "%Y-%m-%dT%H:%M:%S"
        ),
    }


def _api_filing(world, role):
    body = {"kind": "blocked", "cid": _cid(1), "note": "filed in a test"}
    if role in ("operator", "admin"):
        body["provider"] = world.providers["own"].fiscal_code
    return body


def _credentials(world, role):
    person = world.people[role if role != "anonymous" else "agent"]
    return {"username": person.username, "password": "correct horse battery"}


# A valid body per route (POST): what a legitimate user of the route sends.
PAYLOADS = {
    "portal:file": lambda w, r: {
        "error_code": "15",
        "cid": _cid(2),
        "house": House.objects.get(code="TM").pk,
        "note": "",
    },
    "portal:answer": lambda w, r: {"answer": "The reader in room 2."},
    "portal:confirm": lambda w, r: {"works": "yes"},
    "queue:resolve": lambda w, r: {"resolve-outcome": "unblocked"},
    "queue:reject": lambda w, r: {"reject-reason": "Not a card of ours."},
    "queue:transfer": lambda w, r: {
        "transfer-house": House.objects.get(code="CJ").pk,
        "transfer-note": "",
    },
    "queue:ask_info": lambda w, r: {"ask_info-question": "Which reader?"},
    "console:home": _call_form,
    "account:notifications": lambda w, r: {"language": "en"},
    "set_language": lambda w, r: {"language": "en", "next": "/contacts/"},
    "login": _credentials,
    "api-token": _credentials,
    "card-request-list": _api_filing,
    "card-request-resolve": lambda w, r: {"outcome": "unblocked"},
    "card-request-reject": lambda w, r: {"reason": "Not a card of ours."},
    "card-request-transfer": lambda w, r: {"house": "CJ"},
    "card-request-ask-info": lambda w, r: {"question": "Which reader?"},
    "card-request-info": lambda w, r: {"answer": "The reader in room 2."},
    "card-request-confirm": lambda w, r: {"works": True},
    "call-list": lambda w, r: {"caller_phone": "0256 201 234", "office": "primary"},
    "supervise:reassign": lambda w, r: {
        f"{w.ref('own_progress')}-assignee": w.people["supervisor"].pk
    },
    "supervise:office_update": lambda w, r: {
        "primary-hours": "Luni–Vineri 08:00–16:00",
        "primary-opens_at": "08:00",
        "primary-closes_at": "16:00",
        "primary-sla_minutes": "180",
        "primary-phones": "0736 203 666",
    },
}


def payload(name, world, role) -> dict:
    maker = PAYLOADS.get(name)
    return maker(world, role) if maker else {}
