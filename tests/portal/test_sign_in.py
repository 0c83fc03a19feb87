"""Signing in and out, lockout after repeated failures, and sign-in being required everywhere."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import (
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)
from django.utils.regex_helper import normalize

from portal.models import AuditEvent
from tests.factories import UserFactory

LOCKED_OUT = b"Too many attempts"
NO_MATCH = "That email address and password do not match our records."
UNKNOWN = "nobody@example.com"


def sign_in(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def fail_until_locked(client: Client, email: str):
    """Fail AXES_FAILURE_LIMIT times; returns the last response."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, email, "not-the-password")
    return response


def error_text(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def test_sign_in_with_email_and_password(client, employee, password) -> None:
    response = sign_in(client, "employee@example.com", password)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == employee


def test_email_is_not_case_sensitive(client, employee, password) -> None:
    response = sign_in(client, "  Employee@EXAMPLE.com ", password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(employee.pk)


def test_session_key_changes_at_sign_in(client, employee, password) -> None:
    session = client.session
    session["seen_banner"] = True
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value

    sign_in(client, employee.email, password)

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not SessionStore().exists(before)
    assert client.session["seen_banner"] is True  # kept, under the new key


def test_unknown_email_and_wrong_password_read_the_same(client, employee) -> None:
    unknown = sign_in(client, UNKNOWN, "not-the-password")
    wrong = sign_in(client, employee.email, "not-the-password")
    assert unknown.status_code == wrong.status_code == 200
    assert error_text(unknown) == error_text(wrong) == [NO_MATCH]

    # Nothing else on the page differs either, once the address typed and the token are set aside.
    def page(response, email: str) -> bytes:
        text = response.content.decode().replace(email, "EMAIL")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text).encode()

    assert page(unknown, UNKNOWN) == page(wrong, employee.email)


def test_sign_in_is_audited(client, employee, password) -> None:
    sign_in(client, employee.email, "not-the-password")
    sign_in(client, employee.email, password)
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.data == {"email": employee.email}
    assert failed.ip_address == "127.0.0.1"
    login = AuditEvent.objects.get(action="auth.login")
    assert login.actor == employee


def test_account_locks_after_the_failure_limit(client, employee, password) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, employee.email, "not-the-password").status_code == 200
    locked = sign_in(client, employee.email, "not-the-password")
    assert locked.status_code == 429
    assert LOCKED_OUT in locked.content
    assert "registration/locked_out.html" in [t.name for t in locked.templates]

    # Even the right password is refused while the lock lasts.
    retry = sign_in(client, employee.email, password)
    assert retry.status_code == 429
    assert "_auth_user_id" not in client.session

    event = AuditEvent.objects.filter(action="auth.locked_out").first()
    assert event is not None
    assert event.object_id == str(employee.pk)
    assert event.data == {"email": employee.email}


def test_changing_the_case_does_not_escape_the_lock(client, employee, password) -> None:
    fail_until_locked(client, employee.email)
    assert sign_in(client, employee.email.upper(), password).status_code == 429


def test_lock_is_per_account_not_per_address(client, employee, manager, password) -> None:
    # Colleagues in a care home share one connection: one account's lock is not theirs.
    fail_until_locked(client, employee.email)
    response = sign_in(Client(), manager.email, password)
    assert response.status_code == 302


def test_unknown_email_is_locked_out_the_same_way(employee) -> None:
    known = fail_until_locked(Client(), employee.email)
    unknown = fail_until_locked(Client(), UNKNOWN)
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content


def test_successful_sign_in_clears_earlier_failures(client, employee, password) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, employee.email, "not-the-password")
    assert sign_in(client, employee.email, password).status_code == 302
    client.post(reverse("logout"))
    assert sign_in(client, employee.email, "not-the-password").status_code == 200


def test_logout_needs_post(client, employee) -> None:
    client.force_login(employee)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200  # still signed in


def test_logout_ends_the_session(client, employee) -> None:
    client.force_login(employee)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert not SessionStore().exists(key)
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=employee).exists()


def test_idle_expiry_is_refreshed_on_every_request(client, employee) -> None:
    client.force_login(employee)
    for _ in range(2):
        response = client.get(reverse("inbox"))
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["max-age"] == 8 * 60 * 60
    assert client.session.get_expiry_age() == 8 * 60 * 60


def test_inactive_account_gets_the_same_message(client, db, password) -> None:
    user = UserFactory(is_active=False)
    response = sign_in(client, user.email, password)
    assert error_text(response) == [NO_MATCH]


# --- Failed sign-ins from one client address, across accounts ---------------------------------
THROTTLED = "Signing in from your network is paused after many unsuccessful attempts."


def sign_in_from(address: str, email: str, password: str):
    return Client().post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_many_accounts_tried_once_each_from_one_address_are_stopped(
    db, employee, manager, password
) -> None:
    sign_in_from("203.0.113.9", employee.email, password)  # Emma signs in there every morning
    limit = settings.SIGN_IN_FAILURES_PER_CLIENT
    accounts = [UserFactory(email=f"carer{n}@example.com") for n in range(40)]

    answers = [sign_in_from("203.0.113.9", a.email, "Summer2026!") for a in accounts]

    assert all(r.status_code == 200 for r in answers)
    assert [error_text(r) for r in answers[:limit]] == [[NO_MATCH]] * limit
    for response in answers[limit:]:
        [message] = error_text(response)
        assert message.startswith(THROTTLED)
    throttled = AuditEvent.objects.filter(action="auth.address_throttled")
    assert throttled.count() == 40 - limit
    assert {e.ip_address for e in throttled} == {"203.0.113.9"}
    assert sorted(e.data["email"] for e in throttled) == sorted(a.email for a in accounts[limit:])
    # Beyond the limit the passwords were not even checked: no account is nearer its lockout.
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == limit

    # A colleague who signs in from there gets in with the right password...
    assert sign_in_from("203.0.113.9", employee.email, password).status_code == 302
    # ...a wrong one reads like the refusals...
    [message] = error_text(sign_in_from("203.0.113.9", employee.email, "not-the-password"))
    assert message.startswith(THROTTLED)
    # ...and elsewhere nobody is held back.
    assert sign_in_from("198.51.100.1", manager.email, password).status_code == 302


def test_an_account_new_to_a_throttled_address_waits(db, manager, password) -> None:
    for n in range(settings.SIGN_IN_FAILURES_PER_CLIENT):
        sign_in_from("203.0.113.9", f"guess{n}@example.com", "Summer2026!")
    refused = sign_in_from("203.0.113.9", manager.email, password)
    [message] = error_text(refused)
    assert message.startswith(THROTTLED)
    assert f"try again in {settings.SIGN_IN_CLIENT_WINDOW_MINUTES} minutes" in message
    assert "_auth_user_id" not in refused.wsgi_request.session


def test_correct_sign_ins_from_one_address_do_not_count(db, password) -> None:
    # A care home of fifty signs in each morning over one connection.
    staff = [UserFactory(email=f"carer{n}@example.com") for n in range(50)]
    for person in staff:
        assert sign_in_from("203.0.113.9", person.email, password).status_code == 302
    newcomer = UserFactory(email="newcomer@example.com")
    assert sign_in_from("203.0.113.9", newcomer.email, password).status_code == 302
    assert not AuditEvent.objects.filter(action="auth.address_throttled").exists()


def test_the_admins_sign_in_page_counts_towards_the_same_limit(db, superuser, password) -> None:
    limit = settings.SIGN_IN_FAILURES_PER_CLIENT

    def admin_sign_in(email: str, password: str):
        return Client().post(
            reverse("admin:login"),
            {"username": email, "password": password},
            REMOTE_ADDR="203.0.113.9",
        )

    for n in range(limit):
        if n % 2:
            admin_sign_in(f"guess{n}@example.com", "Summer2026!")
        else:
            sign_in_from("203.0.113.9", f"guess{n}@example.com", "Summer2026!")

    assert THROTTLED in admin_sign_in("one.more@example.com", "Summer2026!").content.decode()
    [message] = error_text(sign_in_from("203.0.113.9", superuser.email, password))
    assert message.startswith(THROTTLED)
    assert AuditEvent.objects.filter(action="auth.address_throttled").count() == 2


# --- Sign-in is required everywhere but here --------------------------------------------------
OPEN_PAGES = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "letter_password",
    "healthz",
    # The organisation's colour: a stylesheet the sign-in page itself needs.
    "brand_css",
    "admin:login",
    # Checking a receipt: anyone holding one, with or without an account.
    "acknowledgements:verify",
}
# Organisation sign-in's start and the provider's way back: open to all, and not there at all
# while it is switched off (tests/oidc covers them switched on).
OPEN_WHEN_SWITCHED_ON = {"oidc:start", "oidc:callback"}


def every_url() -> list[tuple[str, str]]:
    """(name, concrete path) for every pattern in the project's URLconf, however nested."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + _fill(pattern.pattern.regex.pattern)
            if isinstance(pattern, URLResolver):
                ns = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, route, ns)
            else:
                name = ":".join(filter(None, [namespace, pattern.name or pattern.lookup_str]))
                found.append((name, _concrete(route, pattern)))

    walk(get_resolver().url_patterns, "/", "")
    return found


def _fill(regex: str) -> str:
    return normalize(regex)[0][0]  # a %-format string: "inbox/%(pk)s/"


def _concrete(template: str, pattern: URLPattern) -> str:
    """Fill the placeholders with the first sample value that resolves to ``pattern``."""
    for sample in ("1", "portal", "x"):
        path = template % defaultdict(lambda s=sample: s)
        try:
            if resolve(path).func == pattern.callback:
                return path
        except Resolver404:
            continue
    raise AssertionError(f"No sample path reaches {pattern!r}; add a sample value")


URLS = every_url()


def test_the_walk_finds_the_open_pages() -> None:
    names = {name for name, _ in URLS}
    assert names >= OPEN_PAGES
    assert {"home", "inbox_message", "admin:index", "admin:portal_user_change"} <= names


@pytest.mark.parametrize(
    ("name", "path"), [u for u in URLS if u[0] not in OPEN_PAGES | OPEN_WHEN_SWITCHED_ON]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name: str, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302, f"{name} ({path}) is open to anyone"
    target = urlsplit(response["Location"])
    allowed = (
        {reverse("login"), reverse("admin:login")}
        if name.startswith("admin:")
        else {reverse("login")}
    )
    assert target.path in allowed
    assert parse_qs(target.query)["next"] == [path]


# No worker or beat runs beside these tests: /healthz answers, but answers "failing".
OPEN_PAGE_STATUS = {"healthz": 503}


@pytest.mark.parametrize(("name", "path"), [u for u in URLS if u[0] in OPEN_PAGES])
def test_open_pages_need_no_sign_in(client, db, name: str, path: str) -> None:
    assert client.get(path).status_code == OPEN_PAGE_STATUS.get(name, 200)


@pytest.mark.parametrize("name", sorted(OPEN_WHEN_SWITCHED_ON))
def test_organisation_sign_in_pages_are_not_there_while_switched_off(client, db, name) -> None:
    assert client.get(reverse(name)).status_code == 404
