"""Production settings, loaded as a deployment loads them (DEBUG unset, SECRET_KEY
and ALLOWED_HOSTS set, behind a TLS proxy), checked for what `manage.py check
--deploy` does not check: the headers every answer carries, the cookies' flags,
and the API's renderers, authentication and permissions.

The settings are read in a fresh interpreter (a subprocess): the test run's own
process has test-only tweaks, and settings are read once per process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
HOST = "helpdesk.example.ro"

# API views that answer without a signed-in caller, and why.
PUBLIC_API_VIEWS = {
    # The public contacts data (DESIGN §6: houses are for anyone).
    "HouseViewSet",
    # Exchanging a username and password for a token needs no token.
    "ObtainTokenView",
    "ObtainAuthToken",
    # The OpenAPI schema and its documentation page are published.
    "SpectacularAPIView",
    "SpectacularSwaggerSplitView",
}

PROBE = r"""
import json, os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver, URLPattern, URLResolver
from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings
from rest_framework.views import APIView

call_command("migrate", verbosity=0, interactive=False)
from tests.providers.factories import AgentFactory
agent = AgentFactory(username="deploy.agent")

https = {"secure": True, "headers": {"host": "%(host)s", "x-forwarded-proto": "https"}}
client = Client()
out = {"responses": {}, "cookies": {}}
for path in ["/login/", "/contacts/", "/api/v1/houses/", "/healthz", "/requests/"]:
    response = client.get(path, **https)
    out["responses"][path] = {
        "status": response.status_code,
        "headers": {k.lower(): v for k, v in response.headers.items()},
    }
plain = client.get("/login/", headers={"host": "%(host)s"})
out["plain_http"] = {"status": plain.status_code, "location": plain.get("Location")}
login = client.post(
    "/login/",
    {"username": "deploy.agent", "password": "correct horse battery"},
    **https,
)
out["login_status"] = login.status_code
for name, morsel in client.cookies.items():
    out["cookies"][name] = {
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "samesite": morsel["samesite"],
    }


def views(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from views(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry.callback


api_views = {}
for route, callback in views(get_resolver()):
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None or not issubclass(cls, APIView):
        continue
    permissions = [type(p).__name__ for p in cls().get_permissions()]
    authentications = [type(a).__name__ for a in cls().get_authenticators()]
    api_views[route] = {
        "view": cls.__name__,
        "permissions": permissions,
        "authentication": authentications,
        "renderers": [type(r).__name__ for r in cls().get_renderers()],
    }
out["api_views"] = api_views
out["settings"] = {
    "DEBUG": settings.DEBUG,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SAMESITE": settings.SESSION_COOKIE_SAMESITE,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_HTTPONLY": settings.CSRF_COOKIE_HTTPONLY,
    "renderers": [c.__name__ for c in api_settings.DEFAULT_RENDERER_CLASSES],
    "authentication": [
        c.__name__ for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES
    ],
    "authentication_bases": sorted(
        {
            base.__name__
            for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES
            for base in c.__mro__
        }
    ),
    "permissions": [c.__name__ for c in api_settings.DEFAULT_PERMISSION_CLASSES],
}
json.dump(out, sys.stdout)
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """What a production process sees: its settings, a few answers, its cookies."""
    directory = tmp_path_factory.mktemp("deploy")
    environment = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "deploy-test-" + "k" * 50,
        "ALLOWED_HOSTS": HOST,
        "BEHIND_TLS_PROXY": "1",
        "SQLITE_PATH": str(directory / "deploy.sqlite3"),
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE % {"host": HOST}],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_is_off_without_being_asked_for(production):
    assert production["settings"]["DEBUG"] is False


def test_plain_http_is_redirected_to_https(production):
    assert production["plain_http"]["status"] == 301
    assert production["plain_http"]["location"].startswith(f"https://{HOST}/")


@pytest.mark.parametrize("path", ["/login/", "/contacts/", "/api/v1/houses/"])
def test_answers_carry_the_security_headers(production, path):
    answer = production["responses"][path]
    assert answer["status"] == 200
    headers = answer["headers"]
    hsts = dict(
        (part.strip().split("=") + [""])[:2]
        for part in headers["strict-transport-security"].split(";")
    )
    assert int(hsts["max-age"]) >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in {
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    }
    assert headers["cross-origin-opener-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/login/", "/contacts/"])
def test_html_answers_carry_a_strict_content_security_policy(production, path):
    policy = production["responses"][path]["headers"]["content-security-policy"]
    directives = {
        part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()
    }
    assert any(source.startswith("'nonce-") for source in directives["script-src"])
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy


def test_session_and_csrf_cookies_are_secure_and_http_only(production):
    assert production["login_status"] == 302, "the agent could not sign in"
    cookies = production["cookies"]
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        assert cookies[name]["secure"] is True, name
        # The CSRF token travels in the forms ({% csrf_token %}); htmx posts
        # those forms and no script reads the cookie.
        assert cookies[name]["httponly"] is True, name
        assert cookies[name]["samesite"] in {"Lax", "Strict"}, name
    assert production["settings"]["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}


def test_the_api_renders_json_only(production):
    assert production["settings"]["renderers"] == ["JSONRenderer"]
    for route, view in production["api_views"].items():
        assert "BrowsableAPIRenderer" not in view["renderers"], route


def test_the_api_does_not_take_passwords_on_every_request(production):
    assert "BasicAuthentication" not in production["settings"]["authentication_bases"]
    for route, view in production["api_views"].items():
        assert "BasicAuthentication" not in view["authentication"], route


def test_the_api_requires_a_signed_in_caller_by_default(production):
    assert "AllowAny" not in production["settings"]["permissions"]
    assert production["settings"]["permissions"]


def test_only_the_listed_api_views_are_open_to_anyone(production):
    open_views = {
        view["view"]
        for view in production["api_views"].values()
        if "AllowAny" in view["permissions"] or not view["permissions"]
    }
    assert open_views <= PUBLIC_API_VIEWS, open_views - PUBLIC_API_VIEWS
    assert "HouseViewSet" in open_views
    closed = {
        view["view"]
        for view in production["api_views"].values()
        if view["view"] not in PUBLIC_API_VIEWS
    }
    assert {"CardRequestViewSet", "CallViewSet", "ProviderLookupViewSet"} <= closed


def test_a_page_behind_sign_in_redirects_to_it(production):
    answer = production["responses"]["/requests/"]
    assert answer["status"] == 302
    assert "/login/" in answer["headers"]["location"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://gw.example.ro/sms"])
def test_the_sms_gateway_must_be_a_web_address(settings, url):
    """Bandit's B310: urlopen would read a file: address as happily as https:."""
    from django.core.exceptions import ImproperlyConfigured

    from cards.sms import HttpGatewayBackend

    settings.SMS_GATEWAY_URL = url
    with pytest.raises(ImproperlyConfigured, match="http"):
        HttpGatewayBackend()
