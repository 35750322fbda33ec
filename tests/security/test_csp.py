"""The Content Security Policy on every HTML answer of every route.

The URL resolver is walked and every route is fetched (GET) as each role and as
an anonymous visitor. Every HTML answer, whatever its status, must carry the
strict policy (nonce-based scripts, no plugins, no <base>, no framing, nothing
inline), and its markup must hold to it: every inline <script> carries that
answer's nonce, every external one is same-origin, and no element has a `style`
or `on…` attribute or a `javascript:` link. A static scan of templates/ holds our
own templates to the same rules, including branches a GET does not render.

`HTML_CHECKED` counts the answers; the terminal summary prints it.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from cards import services
from cards.models import Channel, Notification, Template
from tests.cards.factories import CallFactory, CardRequestFactory
from tests.providers.factories import (
    AdminFactory,
    AgentFactory,
    OperatorFactory,
    SpecialistFactory,
    SupervisorFactory,
)

TEMPLATES = Path(settings.BASE_DIR) / "templates"
HTML_CHECKED = {"answers": 0, "routes": set()}

# Routes that only redirect or act (POST-only views answer 405 to a GET, which is
# still checked), plus the admin's catch-all and its view-on-site redirector.
SKIPPED_GROUPS = {"format", "url", "content_type_id"}


def _routes(resolver=None, prefix="", namespace=""):
    """(name, regex) of every URL pattern, namespaces joined."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _routes(
                entry, prefix + entry.pattern.regex.pattern, inner.strip(":")
            )
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else namespace
            yield name, prefix + entry.pattern.regex.pattern


def _object_id(name: str) -> str | None:
    """The pk of an object of the model an admin route names (app_model_action)."""
    match = re.fullmatch(r"admin:(\w+?)_(\w+)_(change|delete|history)", name)
    if not match:
        return None
    for app_label in (match[1], match[1].replace("_", ".")):
        try:
            model = apps.get_model(app_label, match[2])
        except LookupError:
            continue
        first = model._default_manager.order_by("pk").first()
        return None if first is None else str(first.pk)
    return None


def _paths(values: dict) -> list[tuple[str, str]]:
    """A concrete path for every route, its groups filled from `values`."""
    paths = []
    for name, regex in _routes():
        groups = re.findall(r"\(\?P<(\w+)>([^)]*)\)", regex)
        if any(group in SKIPPED_GROUPS for group, _pattern in groups):
            continue
        fills = [{}]
        for group, pattern in groups:
            if group == "app_label":
                fills = [{**f, group: a} for f in fills for a in pattern.split("|")]
            elif group == "object_id":
                object_id = _object_id(name)
                fills = [{**f, group: object_id} for f in fills]
            else:
                value = values.get((name, group), values.get(group))
                fills = [{**f, group: value} for f in fills]
        for fill in fills:
            if None in fill.values():
                continue
            path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m, f=fill: f[m[1]], regex)
            path = re.sub(r"\\Z|\$|\^", "", path).replace("\\", "")
            paths.append((name, "/" + path))
    return paths


class MarkupProblems(HTMLParser):
    """Inline handlers and styles, javascript: links, and scripts the policy would
    refuse (inline without the nonce, or from elsewhere)."""

    def __init__(self, nonce: str):
        super().__init__()
        self.nonce = nonce
        self.problems = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action", "formaction"} and (
                (value or "").strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "script":
            self.scripts += 1
            src = attributes.get("src")
            if src is None and attributes.get("nonce") != self.nonce:
                self.problems.append("inline <script> without the nonce")
            if src is not None and (not src.startswith("/") or src.startswith("//")):
                self.problems.append(f"<script src={src}> from another origin")


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()
    }


def assert_strict_policy(response, where: str) -> None:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"{where}: no Content-Security-Policy"
    directives = _directives(policy)
    # Scripts from this origin, and inline ones only with this answer's nonce
    # (Django names the nonce only in answers whose markup used it).
    nonces = [s for s in directives["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) <= 1, where
    assert set(directives["script-src"]) - set(nonces) == {"'self'"}, where
    assert directives["object-src"] == ["'none'"], where
    assert directives["base-uri"] == ["'none'"], where
    assert directives["frame-ancestors"] == ["'none'"], where
    assert "'unsafe-inline'" not in policy, where
    assert "'unsafe-eval'" not in policy, where
    assert "*" not in directives["script-src"], where
    markup = MarkupProblems(nonces[0][len("'nonce-") : -1] if nonces else None)
    markup.feed(response.content.decode())
    assert markup.problems == [], f"{where}: {markup.problems}"
    return markup.scripts


@pytest.fixture
def world(db):
    agent = AgentFactory(username="csp.agent")
    specialist = SpecialistFactory(username="csp.specialist")
    operator = OperatorFactory(username="csp.operator")
    supervisor = SupervisorFactory(username="csp.supervisor")
    admin = AdminFactory(username="csp.admin", is_staff=True, is_superuser=True)
    open_request = CardRequestFactory(filed_by=agent)
    closed = CardRequestFactory(filed_by=agent)
    services.card_request_claim(actor=specialist, card_request=closed)
    services.card_request_resolve(
        actor=specialist, card_request=closed, outcome="unblocked"
    )
    services.card_request_confirm(actor=agent, card_request=closed, works=True)
    call = CallFactory(operator=operator)
    call.card_requests.set([open_request])
    notification = Notification.objects.create(
        card_request=closed,
        recipient=agent,
        channel=Channel.IN_APP,
        template=Template.RESOLVED,
    )
    return {
        "people": {
            "anonymous": None,
            "provider_agent": agent,
            "phone_operator": operator,
            "specialist": specialist,
            "supervisor": supervisor,
            "national_admin": admin,
        },
        "values": {
            "reference": open_request.reference,
            ("portal:print", "reference"): closed.reference,
            "code": "CJ",
            "slug": "pin-reset",
            "pk": str(notification.pk),
            "id": str(agent.pk),
        },
    }


ROLES = [
    "anonymous",
    "provider_agent",
    "phone_operator",
    "specialist",
    "supervisor",
    "national_admin",
]


@pytest.mark.parametrize("role", ROLES)
def test_every_html_answer_of_every_route_carries_the_strict_policy(
    client, world, role
):
    person = world["people"][role]
    if person is not None:
        client.force_login(person)
    checked = with_nonce = 0
    for name, path in _paths(world["values"]):
        if name == "logout":
            continue  # a GET does not sign out (405), but keep the session anyway
        response = client.get(path)
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        scripts = assert_strict_policy(
            response, f"{role} GET {path} ({response.status_code})"
        )
        checked += 1
        with_nonce += bool(scripts)
        HTML_CHECKED["routes"].add(name)
    HTML_CHECKED["answers"] += checked
    assert with_nonce >= 2, "no page with scripts was checked"


def test_the_walk_reaches_the_pages_people_use(client, world):
    """The substitution above must not silently skip the main screens."""
    names = {name for name, _path in _paths(world["values"])}
    assert {
        "portal:requests",
        "portal:request",
        "portal:print",
        "portal:notifications",
        "queue:home",
        "queue:rows",
        "queue:detail",
        "console:home",
        "console:house",
        "public:contacts",
        "account:notifications",
        "login",
        "admin:index",
        "admin:providers_house_change",
        "admin:cards_cardrequest_change",
        "admin:providers_person_change",
    } <= names


def test_error_pages_carry_the_policy_too(client, world):
    client.force_login(world["people"]["provider_agent"])
    response = client.get("/requests/TM-0000-00000/")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response.headers


# The static scan ------------------------------------------------------------------

INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.DOTALL)
INLINE_STYLE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.DOTALL)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _templates():
    return sorted(p for p in TEMPLATES.rglob("*.html"))


def test_the_scan_reads_the_templates():
    assert len(_templates()) >= 20


@pytest.mark.parametrize(
    "template", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_have_no_inline_handlers_styles_or_unnonced_scripts(template):
    text = template.read_text()
    assert not INLINE_HANDLER.search(text), INLINE_HANDLER.search(text)[0]
    assert not INLINE_STYLE.search(text), INLINE_STYLE.search(text)[0]
    assert not JAVASCRIPT_URL.search(text)
    for tag in SCRIPT_TAG.findall(text):
        assert 'nonce="{{ csp_nonce }}"' in tag, tag
        if "src=" in tag:
            assert re.search(r"""src="\{% static '[^']+' %\}\"""", tag), tag


def test_templates_do_not_turn_escaping_off():
    """Autoescaping stays on in HTML templates: no |safe, no autoescape off."""
    for template in _templates():
        text = template.read_text()
        assert "|safe" not in text, template
        assert "{% autoescape off" not in text, template
