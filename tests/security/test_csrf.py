"""Cross-site request forgery: every URL refuses a POST without the token, and nothing changes.

Each URL is posted to by someone whose POST would otherwise get through (the role the
permission matrix lets in), with a client that enforces the check as a browser's request would
meet it. The same POST with the token gets past the check, so the refusal is the token's doing.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client

from tests.conftest import ROOT
from tests.security.test_permission_matrix import REFUSED, expectation_for, path_for
from tests.security.urls import Route, routes
from tests.security.world import ROLES, World, changed_tables, state

CSRF_PAGE = "403_csrf.html"


def allowed_role(route: Route, world: World) -> str:
    """The first role whose POST the matrix lets past the permission check (else anonymous)."""
    expect = expectation_for(route)
    assert expect is not None
    return next((r for r in ROLES if expect.post[r] not in REFUSED), "anonymous")


def csrf_client(world: World, role: str) -> Client:
    return world.client_for(role, enforce_csrf_checks=True)


def refused_for_csrf(response) -> bool:
    return response.status_code == 403 and CSRF_PAGE in [t.name for t in response.templates]


# Not forms: answered before the CSRF check by a middleware that takes GET and HEAD only
# (/healthz, portal.healthz), so a POST changes nothing and meets this status instead.
NOT_FORMS = {"healthz": 405}


def refused(route: Route, response) -> bool:
    if route.name in NOT_FORMS:
        return response.status_code == NOT_FORMS[route.name]
    return refused_for_csrf(response)


def test_every_url_refuses_a_post_without_the_token(world: World) -> None:
    clients = {role: csrf_client(world, role) for role in ROLES}
    before = state()
    let_through = []
    for route in routes():
        path = path_for(route, expectation_for(route), world)
        for role in {"anonymous", allowed_role(route, world)}:
            response = clients[role].post(path, {})
            if not refused(route, response):
                let_through.append(f"POST {path} ({route.name}) as {role}: {response.status_code}")
    assert not let_through, "\n".join(let_through)
    assert changed_tables(before, state()) == []


def test_the_same_post_with_the_token_gets_past_the_check(world: World) -> None:
    checked = 0
    for route in routes():
        role = allowed_role(route, world)
        client = csrf_client(world, role)
        client.get("/accounts/password/" if role != "anonymous" else "/accounts/login/")
        token = client.cookies[settings.CSRF_COOKIE_NAME].value
        path = path_for(route, expectation_for(route), world)
        response = client.post(path, {"csrfmiddlewaretoken": token})
        assert not refused_for_csrf(response), f"POST {path} with the token was refused"
        checked += 1
    assert checked == len(routes())


def test_no_view_is_exempt_from_the_check() -> None:
    exempt = [r.name for r in routes() if getattr(r.pattern.callback, "csrf_exempt", False)]
    assert exempt == []
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    sources = [
        path
        for app in ("portal", "acknowledgements", "requests")
        for path in (ROOT / app).rglob("*.py")
        if re.search(r"\bcsrf_exempt\b", path.read_text())
    ]
    assert sources == []
