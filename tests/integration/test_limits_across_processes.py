"""The limits hold across web processes and hosts: two gunicorn servers of two workers each,
sharing the test database, as two hosts behind a load balancer would.

Requests alternate between the servers, so each server, and at least one process of each,
answers some of them. Counted in each process's memory, every process would allow the full
limit: these totals could then not be reached exactly at the limit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Notification
from tests.integration.conftest import free_port
from tests.integration.web import WORKER_HEADER, Gunicorn, post_form

SIGN_IN_LIMIT = 4
RESET_LIMIT = 3
THROTTLED = "Signing in from your network is paused"


@pytest.fixture(scope="module")
def hosts(django_db_setup: None) -> Iterator[list[Gunicorn]]:
    servers: list[Gunicorn] = []
    try:
        for _ in range(2):
            servers.append(
                Gunicorn(
                    free_port(),
                    workers=2,
                    PORTAL_SIGN_IN_FAILURES_PER_CLIENT=str(SIGN_IN_LIMIT),
                    PORTAL_RESETS_PER_ADDRESS_PER_HOUR=str(RESET_LIMIT),
                )
            )
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.django_db(transaction=True)
def test_the_reset_limit_holds_across_processes_and_hosts(hosts, employee) -> None:
    clients = [server.client() for server in hosts]
    answers = [
        post_form(clients[n % 2], reverse("password_reset"), {"email": employee.email})
        for n in range(4 * RESET_LIMIT)
    ]

    assert {(a.status_code, a.headers["Location"]) for a in answers} == {
        (302, reverse("password_reset_done"))
    }
    served_by = [{a.headers[WORKER_HEADER] for a in answers[n::2]} for n in range(2)]
    assert all(served_by) and not served_by[0] & served_by[1], "both hosts answered"
    assert Notification.objects.filter(kind="password-reset").count() == RESET_LIMIT
    assert AuditEvent.objects.filter(action="auth.password_reset_throttled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_sign_in_throttle_holds_across_processes_and_hosts(hosts, employee) -> None:
    clients = [server.client() for server in hosts]
    answers = [
        post_form(
            clients[n % 2],
            reverse("login"),
            {"username": f"guess{n}@example.com", "password": "Summer2026!"},
        )
        for n in range(2 * SIGN_IN_LIMIT)
    ]

    assert {a.status_code for a in answers} == {200}
    assert [THROTTLED in a.text for a in answers] == [False] * SIGN_IN_LIMIT + [
        True
    ] * SIGN_IN_LIMIT
    assert len({a.headers[WORKER_HEADER] for a in answers}) >= 2
    assert AuditEvent.objects.filter(action="auth.address_throttled").count() == SIGN_IN_LIMIT
