"""Browser hardening under the production settings: headers on every page, and safe cookies.

``portal.settings`` reads the environment when imported, so the production values are read in
a fresh interpreter started with a production environment (as tests/portal/test_settings.py
does), then applied here; every page is then fetched through the production middleware, as the
TLS-terminating proxy forwards it.
"""

from __future__ import annotations

import ipaddress
import json
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import PASSWORD
from tests.portal.test_settings import production_env, run
from tests.security.test_permission_matrix import REFUSED, expectation_for, path_for
from tests.security.urls import routes
from tests.security.world import ROLES, World

HOST = "portal.example"
SECURITY_SETTINGS = (
    "MIDDLEWARE",
    "SECURE_PROXY_SSL_HEADER",
    "PORTAL_TRUSTED_PROXIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DEBUG",
)
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": HOST}
# The test client connects from 127.0.0.1: production here sits behind a proxy there.
PROXY = "127.0.0.1"


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The security settings exactly as production computes them."""
    tmp_path: Path = tmp_path_factory.mktemp("production")
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings as s\n"
        f"print(json.dumps({{name: getattr(s, name) for name in {SECURITY_SETTINGS!r}}}, "
        "default=str))\n"
    )
    result = run(["-c", script], production_env(tmp_path, PORTAL_TRUSTED_PROXIES=PROXY))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    values["PORTAL_TRUSTED_PROXIES"] = tuple(
        map(ipaddress.ip_network, values["PORTAL_TRUSTED_PROXIES"])
    )
    return values


@pytest.fixture
def production_settings(production: dict[str, object]):
    # The suite runs production's middleware already; the values below are what differ.
    assert production["MIDDLEWARE"] == settings.MIDDLEWARE
    assert production["DEBUG"] is False
    with override_settings(**production):
        yield production


def check_headers(response, where: str) -> list[str]:
    problems = []
    hsts = response.get("Strict-Transport-Security", "")
    if "max-age=31536000" not in hsts or "includeSubDomains" not in hsts:
        problems.append(f"{where}: HSTS is {hsts!r}")
    csp = response.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in csp or "default-src 'self'" not in csp:
        problems.append(f"{where}: CSP is {csp!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: no nosniff")
    if response.get("Referrer-Policy") != "same-origin":
        problems.append(f"{where}: Referrer-Policy is {response.get('Referrer-Policy')!r}")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"{where}: X-Frame-Options is {response.get('X-Frame-Options')!r}")
    return problems


def test_production_settings_are_the_hardened_ones(production: dict[str, object]) -> None:
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] == 31_536_000
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["ALLOWED_HOSTS"] == [HOST]


def test_every_page_carries_the_security_headers(world: World, production_settings) -> None:
    """Each URL as someone who may see it, as someone refused, and signed out."""
    problems, pages = [], 0
    clients = {role: world.client_for(role, **HTTPS) for role in ROLES}
    for route in routes():
        expect = expectation_for(route)
        path = path_for(route, expect, world)
        allowed = [r for r in ROLES if expect.get[r] not in REFUSED]
        refused = [r for r in ROLES if expect.get[r] in REFUSED and r != "anonymous"]
        for role in {"anonymous", *allowed[:1], *refused[:1]}:
            response = clients[role].get(path)
            pages += 1
            problems += check_headers(response, f"GET {path} as {role} ({response.status_code})")
    assert pages > 2 * len(routes())
    assert not problems, "\n".join(problems)


def test_plain_http_is_sent_to_https(world: World, production_settings) -> None:
    response = Client(HTTP_HOST=HOST).get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"] == f"https://{HOST}{reverse('login')}"


def cookies_set(response) -> dict[str, dict[str, str]]:
    """The cookies a response sets with a value (a deleted cookie carries nothing)."""
    jar = SimpleCookie()
    for header in response.cookies.values():
        jar.load(header.output(header=""))
    return {
        name: {key: str(morsel[key]) for key in ("secure", "httponly", "samesite")}
        for name, morsel in jar.items()
        if morsel.value and morsel["max-age"] != 0
    }


def test_every_cookie_is_secure_httponly_and_samesite(world: World, production_settings):
    client = Client(**HTTPS)
    seen: dict[str, dict[str, str]] = {}
    seen |= cookies_set(client.get(reverse("login")))  # the CSRF cookie
    seen |= cookies_set(
        client.post(reverse("login"), {"username": world.team.employee.email, "password": PASSWORD})
    )  # the session
    new = "a-new-long-passphrase-for-spring"
    seen |= cookies_set(
        client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
    )  # the message shown on the next page
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages"} <= set(seen)
    for name, flags in seen.items():
        assert flags["secure"], f"{name} is not Secure"
        assert flags["httponly"], f"{name} is not HttpOnly"
        assert flags["samesite"] == "Lax", f"{name} has SameSite={flags['samesite']!r}"
