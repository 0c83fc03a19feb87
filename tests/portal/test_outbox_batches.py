"""Scheduled jobs' side of the outbox: claiming many notices at once, and sending them over one
mail connection (a real aiosmtpd server on a local port)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import organisation, outbox
from portal.models import Notification, User
from tests.factories import UserFactory
from tests.portal.test_outbox import free_port, notify_password_changed

pytestmark = pytest.mark.django_db


def notice(user, key: str) -> outbox.Notice:
    return outbox.Notice(
        recipient=user,
        kind="password-expiring",
        dedupe_key=key,
        context={"days_left": 7, "max_age_days": 90},
        link=reverse("password_change"),
        personal={"expires_text": "5 April 2026 at 05:00"},
    )


# --- Claiming ---------------------------------------------------------------------------------
def test_claimed_keys_says_which_keys_are_taken_in_one_query(employee) -> None:
    notify_password_changed(employee, key="taken:1")
    notify_password_changed(employee, key="taken:2")
    wanted = ["taken:1", "free:1", "taken:2", *[f"free:{n}" for n in range(2, 3000)]]

    with CaptureQueriesContext(connection) as queries:
        taken = outbox.claimed_keys(wanted)

    assert taken == {"taken:1", "taken:2"}
    assert len(queries) == 1
    assert outbox.claimed_keys([]) == set()


def test_notify_many_renders_and_inserts_only_new_keys(employee, manager) -> None:
    notify_password_changed(employee, key="expiring:employee")

    new = outbox.notify_many([notice(employee, "expiring:employee"), notice(manager, "expiring:m")])

    assert new == 1
    row = Notification.objects.get(dedupe_key="expiring:m")
    assert row.recipient == manager
    assert row.kind == "password-expiring"
    assert row.subject == "Change your portal password within 7 days"
    assert "Dear Morgan," in row.body_text
    assert "/accounts/password/" in row.body_text
    assert "<p>Dear Morgan,</p>" in row.body_html
    assert row.status == Notification.Status.PENDING
    # The notice already claimed is untouched.
    assert Notification.objects.get(dedupe_key="expiring:employee").kind == "password-changed"


def test_notify_many_twice_inserts_nothing_the_second_time(employee) -> None:
    notices = [notice(employee, f"twice:{n}") for n in range(5)]
    assert outbox.notify_many(notices) == 5
    assert outbox.notify_many(notices) == 0
    assert Notification.objects.count() == 5


def test_notify_many_inserts_in_batches(employee) -> None:
    assert outbox.notify_many([notice(employee, f"batch:{n}") for n in range(7)], batch_size=3) == 7
    assert Notification.objects.count() == 7


def test_a_repeated_key_in_one_call_is_one_notice(employee) -> None:
    assert outbox.notify_many([notice(employee, "same"), notice(employee, "same")]) == 1


@pytest.mark.parametrize("size", [3, 30])
def test_notify_many_queries_do_not_grow_with_notices(db, size: int) -> None:
    people = UserFactory.create_batch(size)
    with CaptureQueriesContext(connection) as queries:
        outbox.notify_many([notice(p, f"size:{p.pk}") for p in people])
    # Which keys are taken; then the batch: savepoint, insert (returning what it inserted),
    # release.
    assert len(queries) == 4
    with CaptureQueriesContext(connection) as queries:
        assert outbox.notify_many([notice(p, f"size:{p.pk}") for p in people]) == 0
    assert len(queries) == 1


# --- Sending over one connection ------------------------------------------------------------
class Recorder:
    """Counts connections (EHLO) and keeps messages; refuses the addresses in ``refuse``."""

    def __init__(self, refuse: set[str] = frozenset()) -> None:
        self.connections = 0
        self.received: list[str] = []
        self.refuse = refuse
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free local port, with the portal sending to it."""
    servers = []

    def start(**kwargs) -> Recorder:
        recorder = Recorder(**kwargs)
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        return recorder

    yield start
    for controller in servers:
        controller.stop()


def test_the_sweep_sends_many_messages_over_one_connection(smtp_server, db) -> None:
    server = smtp_server()
    people = UserFactory.create_batch(6)
    outbox.notify_many([notice(p, f"one-conn:{p.pk}") for p in people])

    assert outbox.sweep() == 6

    assert server.connections == 1
    assert sorted(server.received) == sorted(p.email for p in people)
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 6


def test_the_sweep_reconnects_after_the_messages_per_connection(smtp_server, settings, db) -> None:
    server = smtp_server()
    settings.OUTBOX_MESSAGES_PER_CONNECTION = 2
    people = UserFactory.create_batch(5)
    outbox.notify_many([notice(p, f"reconnect:{p.pk}") for p in people])

    assert outbox.sweep() == 5

    assert server.connections == 3
    assert len(server.received) == 5


def test_a_refused_address_does_not_stop_the_others(smtp_server, db) -> None:
    people = UserFactory.create_batch(3)
    server = smtp_server(refuse={people[1].email})
    outbox.notify_many([notice(p, f"refused:{p.pk}") for p in people])

    assert outbox.sweep() == 3

    assert sorted(server.received) == sorted([people[0].email, people[2].email])
    refused = Notification.objects.get(recipient=people[1])
    assert refused.status == Notification.Status.PENDING
    assert refused.attempts == 1
    assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 2


def test_a_malformed_address_does_not_stop_the_others(smtp_server, db) -> None:
    server = smtp_server()
    people = UserFactory.create_batch(3)
    User.objects.filter(pk=people[1].pk).update(email="two@addresses@example.com")
    outbox.notify_many([notice(p, f"malformed:{p.pk}") for p in people])

    assert outbox.sweep() == 3

    assert sorted(server.received) == sorted([people[0].email, people[2].email])
    malformed = Notification.objects.get(recipient=people[1])
    assert malformed.status == Notification.Status.PENDING
    assert malformed.last_error.startswith("ValueError")


def test_the_sweep_stops_at_a_server_that_is_down(settings, db) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    people = UserFactory.create_batch(3)
    outbox.notify_many([notice(p, f"down:{p.pk}") for p in people])

    assert outbox.sweep() == 1

    # One attempt spent and backed off; the others are given back, due and untouched, for the
    # next sweep.
    attempts = sorted(Notification.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]
    untouched = Notification.objects.filter(attempts=0)
    assert {n.status for n in untouched} == {Notification.Status.PENDING}
    assert all(n.next_attempt_at <= timezone.now() for n in untouched)
    failed = Notification.objects.get(attempts=1)
    assert failed.last_error.startswith("ConnectionRefusedError")
    assert failed.status == Notification.Status.PENDING


# --- One rendering for many people ----------------------------------------------------------
# Each kind's shared context, and what is personal to each notice.
KINDS = {
    "policy-unsigned": {
        "policy_title": "Acceptable Use of ICT Policy and Procedure",
        "version_label": "Version 2",
        "due_date": date(2026, 3, 13),
        "days_left": -3,
        "days_overdue": 3,
        "occasion": "overdue-3",
    },
    "policy-unsigned-manager": {
        "policy_title": "Acceptable Use of ICT Policy and Procedure",
        "version_label": "Version 2",
        "due_date": date(2026, 3, 13),
        "days_left": -7,
        "days_overdue": 7,
    },
    "policy-review-reminder": {
        "policy_title": "Acceptable Use of ICT Policy and Procedure",
        "review_date": date(2018, 3, 1),
        "days_left": -10,
        "days_overdue": 10,
    },
    "password-expiring": {"days_left": 1, "max_age_days": 90},
    "portal-invitation": {
        "work_account": False,
        "work_account_label": "Sign in with your work account",
        "sign_in_url": "http://127.0.0.1:8000/accounts/login/",
        "choose_password_url": "http://127.0.0.1:8000/accounts/reset/",
        "sign_in_link": "[one-time link: sent by e-mail only]",
        "link_days": 3,
    },
    "personal-use-expiring": {
        "facilities": ["email", "Internet"],
        "expires_on": date(2026, 5, 31),
        "for_manager": True,
    },
    "policy-weekly-summary": {
        "policies": [{"title": "Acceptable Use", "totals": {"signed": 3, "total": 4}}],
        "week_of": date(2026, 3, 2),
        "today": date(2026, 3, 2),
    },
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_rendering_once_for_many_gives_what_rendering_each_gives(db, kind: str) -> None:
    """Names that need escaping, and an empty first name (greeted by address)."""
    people = [
        UserFactory(first_name="Seán", last_name="O'Brien"),
        UserFactory(first_name="Zoë <b>&", last_name="Ng"),
        UserFactory(first_name="", email="no.name@example.com"),
    ]
    link = reverse("acknowledgements:policy_list")
    outbox.notify_many(outbox.Notice(p, kind, f"golden:{p.pk}", KINDS[kind], link) for p in people)
    for person in people:
        row = Notification.objects.get(dedupe_key=f"golden:{person.pk}")
        ctx = {
            "recipient": person,
            "link": outbox.absolute_url(link),
            "organisation": organisation.current(),
            **KINDS[kind],
        }
        subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", ctx).split())
        assert row.subject == subject
        assert row.body_text == render_to_string(f"emails/{kind}-body.txt", ctx)
        assert row.body_html == render_to_string(f"emails/{kind}-body.html", ctx)
