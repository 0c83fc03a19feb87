"""'Forgotten your password?': the link goes through the outbox, made when the e-mail is sent,
and a few e-mails an hour per address and per client address; the page never tells which."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal import outbox
from portal.models import AuditEvent, Notification
from tests.factories import UserFactory

NEW_PASSWORD = "a-reset-passphrase-for-autumn"
UNKNOWN = "nobody@example.com"


def ask(client: Client, email: str, client_address: str = "127.0.0.1"):
    return client.post(
        reverse("password_reset"), {"email": email}, follow=True, REMOTE_ADDR=client_address
    )


def resets() -> int:
    return Notification.objects.filter(kind="password-reset").count()


def link_in(message) -> str:
    [link] = re.findall(r"http\S+/accounts/reset/\S+", message.body)
    return link[link.index("/accounts/reset/") :]


def test_the_link_goes_through_the_outbox_and_is_made_when_sent(client, employee) -> None:
    response = ask(client, "Employee@Example.com")
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert mail.outbox == [], "the link is sent by the outbox, not at once"

    notice = Notification.objects.get(kind="password-reset")
    assert notice.recipient == employee
    assert notice.status == Notification.Status.PENDING
    # The row (and so the inbox) holds only the placeholder, never a working link.
    assert outbox.SECRET_PLACEHOLDER in notice.body_text
    assert "/accounts/reset/" not in notice.body_text + notice.body_html
    event = AuditEvent.objects.get(action="auth.password_reset_requested")
    assert event.object_id == str(employee.pk)

    outbox.sweep()

    [message] = mail.outbox
    assert message.to == [employee.email]
    assert message.subject == "Choose a new password for the Acceptable Use Portal"
    path = link_in(message)
    assert f'href="http://127.0.0.1:8000{path}"' in message.alternatives[0].content
    form_page = client.get(path, follow=True)
    chosen = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert chosen["Location"] == reverse("password_reset_complete")
    employee.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD)


def test_an_unknown_address_gets_the_same_page_and_nothing_is_written(client, employee) -> None:
    known = ask(client, employee.email)
    unknown = ask(Client(), UNKNOWN)
    assert known.content == unknown.content
    assert [n.recipient for n in Notification.objects.filter(kind="password-reset")] == [employee]
    assert AuditEvent.objects.filter(action="auth.password_reset_requested").count() == 1


def test_a_few_resets_an_hour_per_address(client, employee) -> None:
    limit = settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR
    pages = [ask(client, employee.email).content for _ in range(limit)]
    assert resets() == limit

    # From other client addresses too, and in another case: the address is what is counted.
    over = [
        ask(Client(), email, f"192.0.2.{n}")
        for n, email in enumerate([employee.email, employee.email.upper(), employee.email])
    ]

    assert resets() == limit, "no e-mail beyond the limit"
    assert {r.content for r in over} == {pages[0]}, "the page must not tell that it was limited"
    assert all(r.redirect_chain == [(reverse("password_reset_done"), 302)] for r in over)
    [event] = AuditEvent.objects.filter(action="auth.password_reset_throttled")
    assert event.data == {"email": employee.email, "limit": "e-mail address", "per_hour": limit}
    assert event.ip_address == "192.0.2.0"


def test_a_few_resets_an_hour_per_client_address(client, employee, manager) -> None:
    limit = settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR
    pages = {ask(client, f"someone.{n}@example.com", "198.51.100.4").content for n in range(limit)}

    refused = ask(client, employee.email, "198.51.100.4")

    assert resets() == 0
    assert refused.content in pages
    [event] = AuditEvent.objects.filter(action="auth.password_reset_throttled")
    assert event.data["limit"] == "client address"
    # Another client address is not held back.
    ask(client, manager.email, "198.51.100.5")
    assert [n.recipient for n in Notification.objects.filter(kind="password-reset")] == [manager]


def test_only_the_first_refusal_of_the_hour_is_audited(client, employee) -> None:
    for _ in range(settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR + 10):
        ask(client, employee.email)
    assert AuditEvent.objects.filter(action="auth.password_reset_throttled").count() == 1


def test_a_closed_account_gets_nothing_and_the_same_page(client, db) -> None:
    leaver = UserFactory(email="left@example.com", is_active=False)
    page = ask(client, leaver.email)
    assert page.content == ask(Client(), UNKNOWN).content
    assert resets() == 0


def test_the_mail_is_the_portals_own_with_the_real_site_address(client, employee, settings) -> None:
    """Never Django's stock text ("Password reset on 127.0.0.1:8000 ... Thanks for using our
    site!"): the organisation's name, the portal's words and its configured address."""
    settings.PORTAL_BASE_URL = "https://aup.northwind-care.example"
    ask(client, employee.email)
    outbox.sweep()

    [message] = mail.outbox
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert settings.ORG_NAME in body
        assert "Acceptable Use Portal" in body
        assert "Thanks for using our site" not in body
        assert "Password reset on" not in body
        assert "127.0.0.1" not in body
    assert re.search(r"https://aup\.northwind-care\.example/accounts/reset/\S+/\S+/", message.body)
    assert 'href="https://aup.northwind-care.example/accounts/reset/' in html
