"""Behind a real nginx, the portal records the client's address; straight to gunicorn, a forged
``X-Forwarded-For`` changes nothing.

gunicorn trusts only nginx's address (127.0.0.1). The test's browser connects from another
loopback address, 127.0.0.2, so the audit log shows which of the two the portal believed.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from django.urls import reverse

from portal.models import AuditEvent
from tests.integration.conftest import free_port
from tests.integration.web import Gunicorn, Nginx, post_form

BROWSER = "127.0.0.2"
FORGED = "198.51.100.66"


@pytest.fixture(scope="module")
def stack(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Nginx, Gunicorn]]:
    web = Gunicorn(free_port(), workers=1, PORTAL_TRUSTED_PROXIES="127.0.0.1")
    try:
        proxy = Nginx(free_port(), web.url, tmp_path_factory.mktemp("nginx"))
        try:
            yield proxy, web
        finally:
            proxy.stop()
    finally:
        web.stop()


def browser(url: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=BROWSER)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def failed_sign_in_from(url: str, email: str) -> str:
    with browser(url) as client:
        client.headers["X-Forwarded-For"] = FORGED
        answer = post_form(client, reverse("login"), {"username": email, "password": "wrong"})
    assert answer.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed", data__email=email)
    return event.ip_address


@pytest.mark.django_db(transaction=True)
def test_through_nginx_the_client_is_recorded(stack) -> None:
    proxy, _ = stack
    assert failed_sign_in_from(proxy.url, "through-nginx@example.com") == BROWSER


@pytest.mark.django_db(transaction=True)
def test_straight_to_gunicorn_a_forged_header_is_ignored(stack) -> None:
    _, web = stack
    assert failed_sign_in_from(web.url, "straight-in@example.com") == BROWSER
