"""The client's address and scheme behind a reverse proxy: forwarding headers are believed only
from a trusted proxy, and the one address they give is what the audit log, django-axes and the
per-client limits all use."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.client import client_address
from portal.models import AuditEvent, Notification
from tests.portal.test_settings import production_env, run

PROXY = "10.0.0.2"
CLIENT = "203.0.113.9"
COLLEAGUE = "203.0.113.10"
FORGED = "198.51.100.66"
OUTSIDER = "192.0.2.50"
LOCKED_OUT = b"Too many attempts"


@pytest.fixture
def behind_proxy(settings) -> None:
    settings.PORTAL_TRUSTED_PROXIES = (
        ipaddress.ip_network(PROXY),
        ipaddress.ip_network("172.18.0.0/16"),
        ipaddress.ip_network("fd00::/64"),
    )


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def via_proxy(forwarded: str = CLIENT) -> dict[str, str]:
    """What the test client sends for a request that reached the portal through the proxy."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


# --- Which address --------------------------------------------------------------------------


def test_with_no_trusted_proxy_the_header_is_ignored(settings) -> None:
    assert settings.PORTAL_TRUSTED_PROXIES == ()
    assert address(PROXY, CLIENT) == PROXY


def test_a_forged_header_from_an_untrusted_peer_is_ignored(behind_proxy) -> None:
    assert address(OUTSIDER, FORGED) == OUTSIDER
    assert address(OUTSIDER, f"{FORGED}, {PROXY}") == OUTSIDER


def test_a_trusted_proxy_names_the_client(behind_proxy) -> None:
    assert address(PROXY, CLIENT) == CLIENT
    assert address(PROXY, f" {CLIENT} ") == CLIENT
    # Without the header the proxy itself is the only address known.
    assert address(PROXY) == PROXY


def test_what_the_client_sent_before_the_proxy_appended_is_ignored(behind_proxy) -> None:
    # nginx's $proxy_add_x_forwarded_for appends the peer to whatever the client sent.
    assert address(PROXY, f"{FORGED}, {CLIENT}") == CLIENT
    assert address(PROXY, f"{PROXY}, {CLIENT}") == CLIENT


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(behind_proxy) -> None:
    assert address("172.18.0.3", f"{FORGED}, {CLIENT}, {PROXY}, 172.18.0.4") == CLIENT
    # Only trusted addresses: the request came from inside, from the furthest of them.
    assert address("172.18.0.3", f"{PROXY}, 172.18.0.4") == PROXY


@pytest.mark.parametrize(
    "forwarded",
    [
        "not-an-address",
        "unknown",
        f"{CLIENT}:4431",
        "[2001:db8::1]",
        "999.1.1.1",
        "<script>alert(1)</script>",
        "\x00",
        f"{CLIENT} {FORGED}",
    ],
)
def test_a_malformed_entry_ends_the_walk_at_the_last_proxy(behind_proxy, forwarded) -> None:
    assert address(PROXY, forwarded) == PROXY
    # ...whatever the client put to the left of it.
    assert address(PROXY, f"{FORGED}, {forwarded}") == PROXY
    # Empty entries between commas are skipped; a malformed one further left is never reached.
    assert address(PROXY, f"{forwarded}, {CLIENT},, ") == CLIENT


def test_an_unreadable_peer_is_unknown(behind_proxy) -> None:
    assert address("", CLIENT) is None
    assert address("not-an-address", CLIENT) is None


def test_ipv6_addresses_are_stored_compressed_and_in_lower_case(behind_proxy) -> None:
    assert address("2001:DB8:0:0::0001") == "2001:db8::1"
    assert address("fd00::5", "2001:0DB8::0:0:ABCD") == "2001:db8::abcd"
    assert address(PROXY, "2001:DB8::1") == "2001:db8::1"
    assert address("fd00::5", f"{CLIENT}, fd00::7") == CLIENT
    # A dual-stack socket reports an IPv4 proxy as ::ffff:10.0.0.2; it is still that proxy.
    assert address(f"::ffff:{PROXY}", CLIENT) == CLIENT
    assert address(f"::ffff:{OUTSIDER}", FORGED) == f"::ffff:{OUTSIDER}"


# --- Where it is used -----------------------------------------------------------------------


def sign_in(client: Client, email: str, password: str, **where: str):
    return client.post(reverse("login"), {"username": email, "password": password}, **where)


def test_the_audit_log_records_the_client_behind_the_proxy(
    behind_proxy, employee, manager, password
) -> None:
    sign_in(Client(), employee.email, password, **via_proxy(f"{FORGED}, {CLIENT}"))
    sign_in(Client(), manager.email, password, REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR=FORGED)

    logins = AuditEvent.objects.filter(action="auth.login")
    assert {(e.actor, e.ip_address) for e in logins} == {(employee, CLIENT), (manager, OUTSIDER)}


def test_a_lockout_holds_the_guesser_not_a_colleague_behind_the_same_proxy(
    behind_proxy, employee, password
) -> None:
    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, employee.email, "not-the-password", **via_proxy(FORGED))
    assert LOCKED_OUT in sign_in(guesser, employee.email, password, **via_proxy(FORGED)).content

    # Emma at her desk, through the same proxy, still signs in.
    response = sign_in(Client(), employee.email, password, **via_proxy(COLLEAGUE))
    assert response.status_code == 302
    locked = AuditEvent.objects.filter(action="auth.locked_out")
    assert {e.ip_address for e in locked} == {FORGED}


def test_the_sign_in_throttle_counts_each_client_behind_the_proxy(
    behind_proxy, manager, password
) -> None:
    for n in range(settings.SIGN_IN_FAILURES_PER_CLIENT + 1):
        sign_in(Client(), f"guess{n}@example.com", "Summer2026!", **via_proxy(FORGED))
    throttled = AuditEvent.objects.filter(action="auth.address_throttled")
    assert {e.ip_address for e in throttled} == {FORGED}

    # A colleague new to the portal, behind the same proxy, is not held back.
    assert sign_in(Client(), manager.email, password, **via_proxy(COLLEAGUE)).status_code == 302


def test_the_reset_limit_counts_each_client_behind_the_proxy(behind_proxy, employee) -> None:
    def ask(email: str, who: str) -> None:
        Client().post(reverse("password_reset"), {"email": email}, **via_proxy(who))

    for n in range(settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR + 1):
        ask(f"someone.{n}@example.com", FORGED)
    [refused] = AuditEvent.objects.filter(action="auth.password_reset_throttled")
    assert refused.ip_address == FORGED

    ask(employee.email, COLLEAGUE)
    assert [n.recipient for n in Notification.objects.filter(kind="password-reset")] == [employee]


# --- Which scheme ---------------------------------------------------------------------------


@pytest.fixture
def https_behind_proxy(behind_proxy, settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True


def test_https_is_believed_only_from_a_trusted_proxy(https_behind_proxy, db) -> None:
    login = reverse("login")
    through_proxy = Client().get(login, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert through_proxy.status_code == 200
    assert through_proxy.wsgi_request.is_secure()

    direct = Client().get(login, REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_PROTO="https")
    assert direct.status_code == 301
    assert direct["Location"].startswith("https://")
    assert not direct.wsgi_request.is_secure()
    assert "HTTP_X_FORWARDED_FOR" not in direct.wsgi_request.META


def settings_in_production(tmp_path: Path, **values: str):
    script = (
        "import django\n"
        "django.setup()\n"
        "from django.conf import settings as s\n"
        "print(s.SECURE_PROXY_SSL_HEADER, [str(n) for n in s.PORTAL_TRUSTED_PROXIES])\n"
    )
    return run(["-c", script], production_env(tmp_path, **values))


def test_the_https_header_is_read_only_when_a_proxy_is_named(tmp_path: Path) -> None:
    nobody = settings_in_production(tmp_path, PORTAL_TRUSTED_PROXIES="")
    assert nobody.returncode == 0, nobody.stderr
    assert nobody.stdout.split() == ["None", "[]"]

    named = settings_in_production(tmp_path, PORTAL_TRUSTED_PROXIES=" 10.0.0.2, 172.18.0.0/16 ")
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') ['10.0.0.2/32', '172.18.0.0/16']"
    )


def test_a_bad_trusted_proxy_refuses_to_start(tmp_path: Path) -> None:
    result = run(
        ["manage.py", "check"], production_env(tmp_path, PORTAL_TRUSTED_PROXIES="10.0.0.300")
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: PORTAL_TRUSTED_PROXIES must list" in result.stderr


def test_the_deploy_check_warns_when_https_is_on_and_no_proxy_is_trusted(tmp_path: Path) -> None:
    env = production_env(tmp_path, PORTAL_TRUSTED_PROXIES="")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "portal.W004" in result.stderr + result.stdout
