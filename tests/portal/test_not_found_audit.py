"""A signed-in person's "not found" answers go to the audit log, a limited number an hour: asking
for someone else's object answers 404 (its existence is not disclosed), and probing for them
leaves a trace without flooding the log."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent
from tests.factories import NotificationFactory


def not_found_events(user=None):
    events = AuditEvent.objects.filter(action="auth.not_found")
    return events.filter(actor=user) if user is not None else events


def test_asking_for_someone_elses_object_is_recorded(client, employee, manager) -> None:
    theirs = NotificationFactory(recipient=manager)
    client.force_login(employee)
    path = reverse("inbox_message", args=[theirs.pk])

    assert client.get(path).status_code == 404

    [event] = not_found_events()
    assert event.actor == employee
    assert event.ip_address == "127.0.0.1"
    assert event.data == {"method": "GET", "path": path}


def test_probing_fifty_ids_leaves_a_trace_but_no_flood(client, employee, manager) -> None:
    first = NotificationFactory(recipient=manager).pk
    client.force_login(employee)

    answers = [client.get(reverse("inbox_message", args=[first + n])) for n in range(50)]

    assert {r.status_code for r in answers} == {404}
    limit = settings.NOT_FOUND_AUDITS_PER_USER_PER_HOUR
    events = list(not_found_events(employee).order_by("pk"))
    assert len(events) == limit
    assert [e.data["path"] for e in events] == [
        reverse("inbox_message", args=[first + n]) for n in range(limit)
    ]
    assert "later ones are not recorded" in events[-1].data["note"]
    # Each person has a limit of their own.
    other = Client()
    other.force_login(manager)
    assert other.get("/no-such-page/").status_code == 404
    assert not_found_events(manager).count() == 1


def test_anonymous_not_found_is_not_recorded(client, db) -> None:
    assert client.get("/no-such-page/").status_code == 404
    assert not not_found_events().exists()


def test_misses_elsewhere_do_not_use_up_the_allowance_of_the_area_probed(
    client, employee, manager
) -> None:
    """Made-up addresses at the start of the hour, then guesses at other people's messages: the
    made-up ones share one allowance (they cannot flood the log either), and the guesses are
    still recorded."""
    first = NotificationFactory(recipient=manager).pk
    client.force_login(employee)
    limit = settings.NOT_FOUND_AUDITS_PER_USER_PER_HOUR
    for n in range(limit * 3):
        assert client.get(f"/junk-{n}/").status_code == 404
    assert not_found_events(employee).count() == limit

    assert client.get(reverse("inbox_message", args=[first])).status_code == 404

    events = list(not_found_events(employee).order_by("pk"))
    assert len(events) == limit + 1
    assert events[-1].data["path"] == reverse("inbox_message", args=[first])
