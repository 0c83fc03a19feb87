"""A line manager reminding a report to sign: once a day, back to the same page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import staff_status
from acknowledgements.models import Assignment
from portal.models import AuditEvent, Notification
from tests.acknowledgements.staff_status.helpers import list_url, remind_url
from tests.helpers import signed_in


# --- Reminders --------------------------------------------------------------------------------
def reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind="policy-reminder").order_by("pk"))


def test_a_manager_reminds_a_report_once_a_day(client: Client, policy, team, manager) -> None:
    client = signed_in(client, manager)
    today = timezone.localdate()
    assignment = Assignment.objects.get(user=team.overdue)

    response = client.post(remind_url(policy, team.overdue), follow=True)
    assert response.redirect_chain[-1][0] == list_url(policy)
    assert "Reminder sent: Owen Oakes has been asked to sign" in response.content.decode()
    sent = reminders()
    assert len(sent) == 1
    assert sent[0].recipient == team.overdue
    assert sent[0].dedupe_key == f"policy-reminder:{assignment.pk}:{today.isoformat()}"
    assert "Morgan Lee" in sent[0].subject
    assert "overdue" in sent[0].body_text
    assert sent[0].link == reverse("acknowledgements:policy_detail", args=[policy.slug])
    event = AuditEvent.objects.get(action="policy.reminder_sent")
    assert (event.actor, event.object_id) == (manager, str(assignment.pk))

    response = client.post(remind_url(policy, team.overdue), follow=True)
    assert "already reminded Owen Oakes today" in response.content.decode()
    assert len(reminders()) == 1
    assert AuditEvent.objects.filter(action="policy.reminder_sent").count() == 1


def test_the_next_day_another_reminder_can_go(policy, team, manager) -> None:
    today = timezone.localdate()
    staff_status.send_reminder(manager=manager, person=team.due, policy=policy, today=today)
    with pytest.raises(staff_status.AlreadyRemindedToday):
        staff_status.send_reminder(manager=manager, person=team.due, policy=policy, today=today)
    staff_status.send_reminder(
        manager=manager, person=team.due, policy=policy, today=today + timedelta(days=1)
    )
    assert len(reminders()) == 2


def test_the_reminder_returns_to_the_same_filtered_page(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).post(
        remind_url(policy, team.due), {"back": "status=due&q=Dunn&after=Dunn%7CDana%7C3"}
    )
    assert response.status_code == 302
    assert response.url.startswith(list_url(policy) + "?")
    assert "status=due" in response.url
    assert "q=Dunn" in response.url


def test_the_list_sends_its_query_back_with_the_reminder(
    client: Client, policy, team, manager
) -> None:
    html = signed_in(client, manager).get(list_url(policy), {"status": "due"}).content.decode()
    assert 'name="back" value="status=due"' in html


@pytest.mark.parametrize(
    ("who", "message"), [("signed", "already signed"), ("unassigned", "not been asked")]
)
def test_nothing_to_remind_about(client: Client, policy, team, manager, who, message) -> None:
    response = signed_in(client, manager).post(remind_url(policy, getattr(team, who)), follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert reminders() == []
    assert not AuditEvent.objects.filter(action="policy.reminder_sent").exists()


@pytest.mark.parametrize("actor", ["hr_user", "other_manager", "employee", "it_user", "reviewer"])
def test_only_the_line_manager_may_remind(client: Client, policy, team, actor, request) -> None:
    viewer = team.other_manager if actor == "other_manager" else request.getfixturevalue(actor)
    response = signed_in(client, viewer).post(remind_url(policy, team.overdue))
    assert response.status_code == 404
    assert reminders() == []


def test_a_leaver_cannot_be_reminded(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).post(remind_url(policy, team.leaver))
    assert response.status_code == 404


def test_reminding_needs_a_post(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).get(remind_url(policy, team.overdue))
    assert response.status_code == 405
    assert reminders() == []


def test_reminding_needs_signing_in(client: Client, policy, team) -> None:
    response = client.post(remind_url(policy, team.overdue))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert reminders() == []
