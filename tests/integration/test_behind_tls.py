"""The portal behind a real nginx that terminates TLS, configured by the compose stack's own
template (deploy/nginx/templates/) and serving a certificate made by make_local_certificate.

gunicorn trusts only nginx's address (127.0.0.1). Each browser connects from a loopback address
of its own, so the test can tell which address the portal believed: signatures, the audit log
and the sign-in lockout must all see the browser's, never the proxy's, and never one the browser
made up. Two colleagues in a care home share one address (``CARE_HOME``).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.urls import reverse

from acknowledgements import publishing
from acknowledgements.models import Acknowledgement
from portal import local_certificate
from portal.models import AuditEvent, User
from tests.factories import PASSWORD, UserFactory
from tests.helpers import free_port
from tests.integration.web import Gunicorn, Nginx, post_form, stack_servers

FAILURE_LIMIT = 3  # failed sign-ins before an account is paused at one address
FAILURES_PER_CLIENT = 6  # failed sign-ins from one address, any accounts, before it is limited
CARE_HOME = "127.0.0.4"
FORGED = "198.51.100.66"
LOCKED_OUT = "Too many attempts"
SIGN_IN = reverse("login")


@dataclass(frozen=True)
class Stack:
    proxy: Nginx
    web: Gunicorn
    http_url: str  # the plain HTTP side, for the redirect and the ACME challenge
    acme: Path  # the webroot certbot would write its challenge files into


@pytest.fixture(scope="module")
def stack(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tls, acme = tmp_path_factory.mktemp("tls"), tmp_path_factory.mktemp("acme")
    local_certificate.write(tls, list(local_certificate.DEFAULT_NAMES))  # the stack's default
    https_port, http_port, web_port = free_port(), free_port(), free_port()
    servers = stack_servers(
        http_port=http_port,
        https_port=https_port,
        upstream=f"http://127.0.0.1:{web_port}",
        tls=tls,
        acme=acme,
        base_url=f"https://127.0.0.1:{https_port}",
    )
    web = Gunicorn(
        web_port,
        workers=1,
        PORTAL_TRUSTED_PROXIES="127.0.0.1",
        # gunicorn itself believes X-Forwarded-Proto from 127.0.0.1 unless told otherwise; in
        # the compose stack nginx is another host, so there only the portal's setting decides.
        FORWARDED_ALLOW_IPS="",
        DJANGO_HTTPS="1",
        PORTAL_LOGIN_FAILURE_LIMIT=str(FAILURE_LIMIT),
        PORTAL_SIGN_IN_FAILURES_PER_CLIENT=str(FAILURES_PER_CLIENT),
    )
    try:
        home = tmp_path_factory.mktemp("nginx")
        proxy = Nginx(https_port, web.url, home, tls=tls, servers=servers)
        try:
            yield Stack(proxy, web, f"http://127.0.0.1:{http_port}", acme)
        finally:
            proxy.stop()
    finally:
        web.stop()


def browser(url: str, address: str, trust: ssl.SSLContext | bool = True) -> httpx.Client:
    """A browser on ``address``; over HTTPS it believes only what ``trust`` vouches for."""
    transport = httpx.HTTPTransport(local_address=address, verify=trust)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def through_nginx(stack: Stack, address: str) -> httpx.Client:
    return browser(stack.proxy.url, address, stack.proxy.trust)


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return post_form(client, SIGN_IN, {"username": email, "password": password})


def signed_in(answer: httpx.Response) -> bool:
    return answer.status_code == 302 and answer.headers["Location"] == reverse("home")


def locked_out(answer: httpx.Response) -> bool:
    return answer.status_code == 429 and LOCKED_OUT in answer.text


def fail_until_locked(client: httpx.Client, email: str) -> None:
    for _ in range(FAILURE_LIMIT - 1):
        assert sign_in(client, email, "not-the-password").status_code == 200
    assert locked_out(sign_in(client, email, "not-the-password"))


def colleague(email: str) -> User:
    return UserFactory(email=email)


# --- Signing through the proxy -------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_signature_through_the_proxy_records_the_signers_address(stack, employee) -> None:
    version = publishing.load_seed_policy()
    publishing.assign_outstanding(policy=version.policy)
    sign = reverse("acknowledgements:sign", args=[version.policy.slug])

    with through_nginx(stack, "127.0.0.3") as client:
        client.headers["X-Forwarded-For"] = FORGED  # believed by nobody
        assert signed_in(sign_in(client, employee.email, PASSWORD))
        answer = post_form(
            client,
            sign,
            {
                "version": str(version.number),
                "printed_name": employee.full_name,
                "password": PASSWORD,
                "agree": "on",
            },
        )

    signature = Acknowledgement.objects.get(user=employee, version=version)
    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("acknowledgements:receipt", args=[signature.pk])
    assert signature.ip_address == "127.0.0.3"
    signed = AuditEvent.objects.get(action="policy.signed", actor=employee)
    assert signed.ip_address == "127.0.0.3"
    assert AuditEvent.objects.get(action="auth.login", actor=employee).ip_address == "127.0.0.3"


# --- The sign-in lockout counts the account at the client's address -------------------------------
@pytest.mark.django_db(transaction=True)
def test_colleagues_behind_one_address_do_not_lock_each_other_out(stack) -> None:
    alice, bob = colleague("alice@example.com"), colleague("bob@example.com")

    with through_nginx(stack, CARE_HOME) as client:
        fail_until_locked(client, alice.email)
        assert locked_out(sign_in(client, alice.email, PASSWORD))
    with through_nginx(stack, CARE_HOME) as client:
        assert signed_in(sign_in(client, bob.email, PASSWORD))

    paused = AuditEvent.objects.filter(action="auth.locked_out")
    assert {(event.data["email"], event.ip_address) for event in paused} == {
        (alice.email, CARE_HOME)
    }


@pytest.mark.django_db(transaction=True)
def test_failing_on_a_colleagues_account_elsewhere_does_not_lock_them_out(stack) -> None:
    carol = colleague("carol@example.com")

    with through_nginx(stack, "127.0.0.5") as client:
        fail_until_locked(client, carol.email)
        assert locked_out(sign_in(client, carol.email, PASSWORD))
    with through_nginx(stack, "127.0.0.6") as client:
        assert signed_in(sign_in(client, carol.email, PASSWORD))


@pytest.mark.django_db(transaction=True)
def test_an_address_trying_many_accounts_is_limited_but_not_its_colleagues(stack) -> None:
    # The limit per address must not shut a whole care home out: whoever has signed in from
    # the address before may still try their password there.
    bob = colleague("bob@example.com")
    with through_nginx(stack, CARE_HOME) as client:
        assert signed_in(sign_in(client, bob.email, PASSWORD))

    with through_nginx(stack, CARE_HOME) as client:
        for n in range(FAILURES_PER_CLIENT):
            assert sign_in(client, f"guess{n}@example.com", "not-the-password").status_code == 200
        newcomer = colleague("new.starter@example.com")
        refused = sign_in(client, newcomer.email, PASSWORD)
    with through_nginx(stack, CARE_HOME) as client:
        assert signed_in(sign_in(client, bob.email, PASSWORD))

    assert refused.status_code == 200 and "Signing in from your network is paused" in refused.text
    throttled = AuditEvent.objects.filter(action="auth.address_throttled")
    assert list(throttled.values_list("ip_address", flat=True)) == [CARE_HOME]


# --- HTTPS: known through nginx, never taken from the client -----------------------------------
@pytest.mark.django_db(transaction=True)
def test_through_tls_nginx_the_portal_knows_the_request_is_https(stack) -> None:
    with through_nginx(stack, "127.0.0.7") as client:
        client.headers["X-Forwarded-Proto"] = "http"  # replaced by nginx
        answer = client.get(SIGN_IN)

    assert answer.status_code == 200
    # Sent only when the request is secure (request.is_secure()), and the cookie only over HTTPS.
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    cookies = answer.headers.get_list("Set-Cookie")
    assert cookies, "the sign-in form sets its CSRF cookie"
    assert all("; secure" in cookie.lower() for cookie in cookies)


@pytest.mark.django_db(transaction=True)
def test_straight_to_gunicorn_a_claim_of_https_is_not_believed(stack) -> None:
    with browser(stack.web.url, "127.0.0.8") as client:
        answer = client.get(SIGN_IN, headers={"X-Forwarded-Proto": "https"})

    assert answer.status_code == 301
    assert answer.headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in answer.headers


# --- Plain HTTP: a redirect, and the ACME challenge for certbot ---------------------------------
def test_plain_http_is_sent_to_the_portals_https_address(stack) -> None:
    with browser(stack.http_url, "127.0.0.9") as client:
        answer = client.get(f"{SIGN_IN}?next=/policies/")

    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{stack.proxy.url}{SIGN_IN}?next=/policies/"


def test_the_acme_challenge_is_served_over_plain_http_from_the_webroot(stack) -> None:
    challenges = stack.acme / ".well-known" / "acme-challenge"
    challenges.mkdir(parents=True, exist_ok=True)
    (challenges / "token-123").write_text("token-123.thumbprint")
    with browser(stack.http_url, "127.0.0.9") as client:
        answer = client.get("/.well-known/acme-challenge/token-123")
        missing = client.get("/.well-known/acme-challenge/no-such-token")

    assert answer.status_code == 200
    assert answer.text == "token-123.thumbprint"
    assert missing.status_code == 404
