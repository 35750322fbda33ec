"""Cross-site scripting: hostile text in every free-text field and every name an
admin can edit, rendered on every page that shows it.

A corpus of payloads (script tags, event handlers, `javascript:` URLs, SVG,
attribute breakouts, template syntax, htmx attributes, RTL tricks…) is planted in
turn in each field below, every one calling `__xss.push(id)` if it ever runs.

- `test_payloads_are_escaped_on_every_page` renders every page with Django's test
  client, one payload at a time in every field, and requires that no payload comes
  out as markup (its raw `<…`, quote breakout, `javascript:` link or evaluated
  template). The CSP would stop most of these in a browser anyway: this test
  proves the escaping itself, so a regression shows even where the CSP masks it.
- `test_no_payload_runs_in_a_browser` loads the same pages in Chromium, with
  `window.__xss = []` defined before any script and a dialog listener, and
  requires that nothing ran (and, through `new_page`, no CSP violation or page
  error).

Notifications are sent as plain text (email, SMS) and shown in the app through
the messages page, which is among the pages rendered here.
"""

import contextlib

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from cards import services
from cards.models import (
    Article,
    Call,
    CardRequest,
    Event,
    EventKind,
    Notification,
)
from providers.models import House, Location, Office, Person, Provider
from tests.cards.factories import CallFactory, CardRequestFactory
from tests.e2e.conftest import E2E
from tests.providers.factories import (
    AdminFactory,
    AgentFactory,
    OperatorFactory,
    ProviderFactory,
    SpecialistFactory,
    SupervisorFactory,
    house,
)

pytestmark = E2E

# "NN" becomes the payload's id. Each is at most 60 characters with its id.
PAYLOADS = [
    "<script>__xss.push(NN)</script>",
    "<img src=x onerror=__xss.push(NN)>",
    '"><img src=x onerror=__xss.push(NN)>',
    "'><svg onload=__xss.push(NN)>",
    "<svg/onload=__xss.push(NN)>",
    "javascript:__xss.push(NN)",
    '<a href="javascript:__xss.push(NN)">x</a>',
    '<iframe srcdoc="<script>parent.__xss.push(NN)</script>">',
    "<details open ontoggle=__xss.push(NN)>",
    "{{7*7}}xNN",
    "${7*7}#{7*7}<%= 7*7 %>xNN",
    "<div hx-get=/logout/ hx-trigger=load>xNN</div>",
    "<div hx-on::load=__xss.push(NN)>x</div>",
    "</textarea><script>__xss.push(NN)</script>",
    "</title><script>__xss.push(NN)</script>",
    "<math><style><img src=x onerror=__xss.push(NN)>",
    "' onfocus='__xss.push(NN)' autofocus='",
    '" onmouseover="__xss.push(NN)" x="',
    "\u202e<img src=x onerror=__xss.push(NN)>\u202c",
    "<scr<script>ipt>__xss.push(NN)</script>",
    "&lt;img src=x onerror=__xss.push(NN)&gt;",
    "<object data=javascript:__xss.push(NN)>",
    "<input autofocus onfocus=__xss.push(NN)>",
    "</script><script>__xss.push(NN)</script>",
    "<base href=//evil.example/>xNN",
    "<body onload=__xss.push(NN)>",
]

MARKUP = set("<>\"'")
TOTALS = {}


def planted(payload_index: int, field_index: int) -> tuple[int, str]:
    """The payload as planted in one field: its id names both."""
    ident = (payload_index + 1) * 100 + field_index
    return ident, PAYLOADS[payload_index].replace("NN", str(ident))


def raw_forms(text: str, ident: int) -> list[str]:
    """What would show that `text` went out unescaped (or was evaluated)."""
    forms = []
    if MARKUP & set(text):
        forms.append(text)
    if "&lt;" in text:  # unescaped twice
        forms.append(text.replace("&lt;", "<").replace("&gt;", ">"))
    for attribute in ("href", "src", "action", "data", "formaction"):
        for quote in ('"', "'", ""):
            link = f"{attribute}={quote}javascript:__xss.push({ident})"
            if link not in text:  # else the raw text itself is the tell
                forms.append(link)
    forms += [f"49x{ident}", "49#49<%"]
    return forms


# The world ------------------------------------------------------------------------


def build_world() -> dict:
    """A Timiș provider with requests in every state, the staff who worked them, a
    logged call and in-app messages: every free text exists at least once."""
    tm = house("TM")
    provider = ProviderFactory(name="Seed provider", house=tm)
    agent = AgentFactory(provider=provider, username="xss.agent")
    specialist = SpecialistFactory(
        username="xss.specialist", first_name="", last_name=""
    )
    operator = OperatorFactory(username="xss.operator")
    supervisor = SupervisorFactory(username="xss.supervisor")
    admin = AdminFactory(username="xss.admin", is_staff=True, is_superuser=True)

    def filed():
        card_request = CardRequestFactory(filed_by=agent, note="seed")
        services.card_request_claim(actor=specialist, card_request=card_request)
        return card_request

    needs_info = filed()
    services.card_request_ask_info(
        actor=specialist, card_request=needs_info, question="seed"
    )
    answered = filed()
    services.card_request_ask_info(
        actor=specialist, card_request=answered, question="seed"
    )
    services.card_request_give_info(actor=agent, card_request=answered, answer="seed")
    rejected = filed()
    services.card_request_reject(actor=specialist, card_request=rejected, reason="seed")
    resolved = filed()
    services.card_request_resolve(
        actor=specialist, card_request=resolved, outcome="unblocked", note="seed"
    )
    closed = filed()
    services.card_request_resolve(
        actor=specialist, card_request=closed, outcome="unblocked", note="seed"
    )
    services.card_request_confirm(
        actor=agent, card_request=closed, works=True, note="seed"
    )
    reopened = filed()
    services.card_request_resolve(
        actor=specialist, card_request=reopened, outcome="unblocked"
    )
    services.card_request_confirm(
        actor=agent, card_request=reopened, works=False, note="seed"
    )
    transferred = filed()
    services.card_request_transfer(
        actor=specialist, card_request=transferred, house=house("CJ"), note="seed"
    )
    call = CallFactory(operator=operator, provider=provider, note="seed")
    call.card_requests.set([needs_info])
    requests = [needs_info, answered, rejected, resolved, closed, reopened]
    return {
        "people": {
            "agent": agent,
            "specialist": specialist,
            "operator": operator,
            "supervisor": supervisor,
            "admin": admin,
        },
        "tm": tm,
        "provider": provider,
        "call": call,
        "requests": requests,
        "transferred": transferred,
        "closed": closed,
    }


def _event_text(kind):
    return lambda world, text: Event.objects.filter(kind=kind).update(text=text)


def _person(attribute, role):
    def plant(world, text):
        person = world["people"][role]
        Person.objects.filter(pk=person.pk).update(**{attribute: text})

    return plant


# (label, max length, how to plant a text)
FIELDS = [
    ("request note", 2000, lambda w, t: CardRequest.objects.update(note=t)),
    ("ask-info question", None, _event_text(EventKind.INFO_REQUESTED)),
    ("ask-info answer", None, _event_text(EventKind.INFO_GIVEN)),
    ("resolve note", None, _event_text(EventKind.RESOLVED)),
    ("reject reason", None, _event_text(EventKind.REJECTED)),
    ("transfer note", None, _event_text(EventKind.TRANSFERRED)),
    ("confirm note", None, _event_text(EventKind.CONFIRMED)),
    ("still-fails note", None, _event_text(EventKind.REOPENED)),
    ("call note", 2000, lambda w, t: Call.objects.update(note=t)),
    ("provider name", 200, lambda w, t: Provider.objects.update(name=t)),
    (
        "provider contract type",
        60,
        lambda w, t: Provider.objects.update(contract_type=t),
    ),
    ("location name", 200, lambda w, t: Location.objects.update(name=t)),
    ("location address", 250, lambda w, t: Location.objects.update(address=t)),
    (
        "office name",
        250,
        lambda w, t: Office.objects.filter(house=w["tm"]).update(name=t),
    ),
    (
        "office hours",
        120,
        lambda w, t: Office.objects.filter(house=w["tm"]).update(hours=t),
    ),
    (
        "office phone",
        None,
        lambda w, t: Office.objects.filter(house=w["tm"]).update(
            phones=["0736 203 666", t]
        ),
    ),
    ("house name", 200, lambda w, t: House.objects.filter(code="TM").update(name=t)),
    (
        "house short name",
        80,
        lambda w, t: House.objects.filter(code="TM").update(short_name=t),
    ),
    ("agent first name", 150, _person("first_name", "agent")),
    ("agent last name", 150, _person("last_name", "agent")),
    ("operator first name", 150, _person("first_name", "operator")),
    ("operator last name", 150, _person("last_name", "operator")),
    ("supervisor last name", 150, _person("last_name", "supervisor")),
    # The specialist has no full name: pages show the username.
    ("specialist username", 150, _person("username", "specialist")),
    # Help articles, in both languages (national admins write them).
    (
        "article title",
        200,
        lambda w, t: Article.objects.update(title_ro=t, title_en=t),
    ),
    ("article text", None, lambda w, t: Article.objects.update(body_ro=t, body_en=t)),
]


def plant_round(world, pieces_for) -> dict[str, list[tuple[int, str]]]:
    """Set every field to its pieces (joined by a space); returns what was set."""
    planted_now = {}
    for field_index, (label, max_length, plant) in enumerate(FIELDS):
        pieces = pieces_for(field_index, max_length)
        if not pieces:
            continue
        plant(world, " ".join(text for _ident, text in pieces))
        planted_now[label] = pieces
    return planted_now


def pages(world) -> list[tuple[str, str]]:
    """(who, path) of every page that shows one of the fields."""
    tm_refs = [r.reference for r in world["requests"]]
    closed, transferred = world["closed"].reference, world["transferred"].reference
    listed = [
        ("agent", "/requests/"),
        ("agent", "/requests/?status=needs_info"),
        *[("agent", f"/requests/{ref}/") for ref in [*tm_refs, transferred]],
        ("agent", f"/requests/{closed}/print/"),
        ("agent", "/messages/"),
        ("agent", "/account/notifications/"),
        ("agent", "/requests/new/"),
        ("agent", "/contacts/"),
        ("anonymous", "/contacts/?q=TM"),
        ("anonymous", "/help/"),
        ("anonymous", "/help/pin-reset/"),
        ("agent", "/help/reader-errors/"),
        ("specialist", "/queue/"),
        ("specialist", "/queue/rows/"),
        ("specialist", "/queue/rows/?status=rejected&status=closed"),
        *[("specialist", f"/queue/{ref}/") for ref in [*tm_refs, transferred]],
        ("specialist", "/messages/"),
        ("supervisor", "/queue/"),
        ("supervisor", "/supervise/workload/"),
        ("supervisor", "/supervise/offices/"),
        ("supervisor", "/reports/"),
        ("admin", "/reports/"),
        ("operator", "/console/"),
        ("operator", f"/console/?provider={world['provider'].pk}"),
        ("operator", f"/console/lookup/?q={world['provider'].fiscal_code}"),
        ("operator", "/console/houses/TM/"),
        ("operator", f"/queue/{tm_refs[0]}/"),
        ("admin", "/admin/"),
    ]
    with contextlib.suppress(NoReverseMatch):  # the access log, where it exists
        listed.append(("supervisor", reverse("audit:access")))
    admin_objects = {
        "providers/house": world["tm"].pk,
        "providers/office": Office.objects.filter(house=world["tm"]).first().pk,
        "providers/provider": world["provider"].pk,
        "providers/person": world["people"]["agent"].pk,
        "cards/cardrequest": world["requests"][0].pk,
        "cards/call": world["call"].pk,
        "cards/notification": Notification.objects.order_by("pk").first().pk,
        "cards/article": Article.objects.order_by("pk").first().pk,
    }
    for model, pk in admin_objects.items():
        listed.append(("admin", f"/admin/{model}/"))
        if pk is not None:
            listed.append(("admin", f"/admin/{model}/{pk}/change/"))
    specialist = world["people"]["specialist"]
    listed.append(("admin", f"/admin/providers/person/{specialist.pk}/change/"))
    return listed


def signed_in_clients(world) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role, person in world["people"].items():
        clients[role] = Client()
        clients[role].force_login(person)
    return clients


# The escaping, without a browser -------------------------------------------------


# Every payload on every page: some 1,300 renders (a few minutes on PostgreSQL).
@pytest.mark.timeout(900)
def test_payloads_are_escaped_on_every_page(settings):
    settings.RATE_LIMITS = {}
    world = build_world()
    clients = signed_in_clients(world)
    listed = pages(world)
    rendered = set()  # (payload, field, page) seen escaped on the page
    for payload_index in range(len(PAYLOADS)):

        def one_payload(field_index, max_length, p=payload_index):
            ident, text = planted(p, field_index)
            fits = max_length is None or len(text) <= max_length
            return [(ident, text)] if fits else []

        planted_now = plant_round(world, one_payload)
        for who, path in listed:
            # The console's fragments answer htmx; a plain visit is redirected.
            hx = {"HX-Request": "true"} if path.startswith("/console/houses/") else {}
            response = clients[who].get(path, headers=hx)
            assert response.status_code == 200, (who, path, response.status_code)
            html = response.content.decode()
            for label, pieces in planted_now.items():
                for ident, text in pieces:
                    for raw in raw_forms(text, ident):
                        assert raw not in html, f"{label} unescaped on {path}: {raw}"
                    if escape(text) in html:
                        rendered.add((payload_index, label, path))
    fields_seen = {label for _p, label, _path in rendered}
    missing = {label for label, *_rest in FIELDS} - fields_seen
    assert not missing, f"fields never rendered: {missing}"
    TOTALS["escaped"] = (
        f"xss escaping: {len(PAYLOADS)} payloads x {len(fields_seen)} fields on "
        f"{len(listed)} pages: {len(rendered)} payload-field-page renders, "
        "0 unescaped"
    )


# In the browser -------------------------------------------------------------------

# Runs before any script of every page: what a payload would call.
RECORDER = "window.__xss = [];"


@pytest.mark.timeout(900)
def test_no_payload_runs_in_a_browser(new_page, settings, live_server):
    settings.RATE_LIMITS = {}
    world = build_world()
    listed = pages(world)
    browser_pages = {}
    dialogs = []
    executions = []
    rendered = set()
    # Five rounds of five or six payloads: each field takes, in a rotating order,
    # as many of the round's payloads as fit its length.
    rounds = [list(range(start, len(PAYLOADS), 5)) for start in range(5)]
    for round_payloads in rounds:

        def bundle(field_index, max_length, chosen=round_payloads):
            turn = field_index % len(chosen)
            order = chosen[turn:] + chosen[:turn]
            pieces, length = [], 0
            for p in order:
                ident, text = planted(p, field_index)
                if max_length is None or length + len(text) + 1 <= max_length:
                    pieces.append((ident, text))
                    length += len(text) + 1
            return pieces

        planted_now = plant_round(world, bundle)
        for who, path in listed:
            if who not in browser_pages:
                person = None if who == "anonymous" else world["people"][who]
                page = new_page(person)
                page.context.add_init_script(RECORDER)
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                browser_pages[who] = page
            page = browser_pages[who]
            response = page.goto(path)
            assert response.status == 200, (who, path, response.status)
            page.wait_for_load_state("load")
            ran = page.evaluate("window.__xss || []")
            executions.extend((path, ident) for ident in ran)
            text = page.evaluate(
                "document.documentElement.textContent + ' ' + "
                "[...document.querySelectorAll('input, textarea')]"
                ".map(e => e.value).join(' ')"
            )
            for label, pieces in planted_now.items():
                for ident, piece in pieces:
                    shown = piece.replace("&lt;", "<").replace("&gt;", ">")
                    if shown in text or piece in text:
                        rendered.add((ident // 100, label, path))
    assert executions == []
    assert dialogs == []
    fields_seen = {label for _p, label, _path in rendered}
    TOTALS["browser"] = (
        f"xss browser: {len(PAYLOADS)} payloads x {len(fields_seen)} fields on "
        f"{len(listed)} pages ({len(rounds) * len(listed)} page loads): "
        f"{len(rendered)} payload-field-page renders, {len(executions)} executions, "
        f"{len(dialogs)} dialogs"
    )
    assert len(fields_seen) == len(FIELDS)


def test_the_recorder_sees_a_payload_that_runs(new_page):
    """The canary: without escaping and without the CSP, the payloads do run and
    the hook above records them (so its 0 means something)."""
    page = new_page()
    page.add_init_script(RECORDER)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("about:blank")
    page.set_content(
        planted(1, 0)[1] + planted(4, 0)[1] + "<img src=x onerror=alert(1)>"
    )
    page.wait_for_function("window.__xss.length >= 2")
    assert sorted(page.evaluate("window.__xss")) == [200, 500]
    page.wait_for_timeout(200)
    assert dialogs == ["1"]
