"""Scheduled notices about unsigned policies: the signer, their line manager, and HR's summary."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing, reminders
from acknowledgements.models import Assignment
from portal import permissions
from portal.models import Notification
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

A = date(2026, 1, 5)  # assigned
D = date(2026, 1, 26)  # due


def edit_text(draft, actor) -> None:
    """A material change changes the text: the same text cannot be published as one."""
    body = draft.body + "\n\nA sentence added.\n"
    publishing.update_draft(actor=actor, version=draft, body=body, change_summary="Added.")


def morning(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=7)))


@pytest.mark.parametrize(
    ("assigned", "today", "owed"),
    [
        (A, A - timedelta(days=1), None),
        (A, A, "assigned"),
        (A, D - timedelta(days=8), "assigned"),
        (A, D - timedelta(days=7), "due-7"),
        (A, D - timedelta(days=2), "due-7"),
        (A, D - timedelta(days=1), "due-1"),
        (A, D, "due"),
        (A, D + timedelta(days=2), "due"),
        (A, D + timedelta(days=3), "overdue-3"),
        (A, D + timedelta(days=5), "overdue-3"),
        (A, D + timedelta(days=30), "overdue-30"),
        # A new starter is asked 7 days before the due date: the notice on assignment covers it.
        (D - timedelta(days=7), D - timedelta(days=7), "assigned"),
        (D - timedelta(days=7), D - timedelta(days=1), "due-1"),
        # Assigned 3 days before the due date: the 7-day reminder never falls due.
        (D - timedelta(days=3), D - timedelta(days=2), "assigned"),
    ],
)
def test_the_reminder_owed(assigned: date, today: date, owed) -> None:
    assert reminders.reminder_owed(assigned, D, today) == owed


def assign(version, people, *, on: date = A, due: date = D) -> list[Assignment]:
    publishing.assign_outstanding(policy=version.policy, today=on, user_ids=[p.pk for p in people])
    Assignment.objects.filter(user__in=people).update(assigned_at=morning(on), due_date=due)
    return list(Assignment.objects.filter(user__in=people).order_by("pk"))


def test_signers_are_reminded_until_they_sign(version, employee, manager) -> None:
    (assignment,) = assign(version, [employee])

    reminders.unsigned_job(morning(A))
    notice = Notification.objects.get(recipient=employee)
    assert notice.dedupe_key == f"unsigned:{assignment.pk}:assigned"
    assert notice.subject == "Please read and sign the Acceptable Use of ICT Policy and Procedure"
    assert "by 26 January 2026" in notice.body_text
    assert notice.link == reverse("acknowledgements:policy_detail", args=[version.policy.slug])

    reminders.unsigned_job(morning(D + timedelta(days=3)))
    overdue = Notification.objects.get(dedupe_key=f"unsigned:{assignment.pk}:overdue-3")
    assert overdue.subject.startswith("Overdue:")
    assert "3 days overdue" in overdue.body_text

    AcknowledgementFactory(user=employee, version=version)
    before = Notification.objects.filter(kind=reminders.SIGNER_KIND).count()
    reminders.unsigned_job(morning(D + timedelta(days=6)))
    assert Notification.objects.filter(kind=reminders.SIGNER_KIND).count() == before


def test_the_line_manager_is_told_once_at_seven_days_overdue(version, employee, manager) -> None:
    (assignment,) = assign(version, [employee])
    reminders.unsigned_job(morning(D + timedelta(days=6)))
    assert not Notification.objects.filter(recipient=manager).exists()

    for day in range(7, 15):
        reminders.unsigned_job(morning(D + timedelta(days=day)))

    (told,) = Notification.objects.filter(recipient=manager)
    assert told.dedupe_key == f"unsigned-manager:{assignment.pk}"
    assert told.subject == (
        "Emma Jones has not signed the Acceptable Use of ICT Policy and Procedure: 7 days overdue"
    )
    assert told.link == reverse("acknowledgements:person", args=[employee.pk])


def test_no_reminders_for_leavers_or_a_replaced_version(version, employee, reviewer) -> None:
    leaver = UserFactory(end_date=date(2026, 1, 20), start_date=date(2020, 1, 1))
    assign(version, [employee, leaver])
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    edit_text(draft, reviewer)
    publishing.publish(actor=reviewer, version=draft, material=True, today=A)
    Assignment.objects.filter(version__number=2).update(assigned_at=morning(A), due_date=D)
    # The version 1 assignments are now replaced; reminders go for version 2 only.
    reminders.unsigned_job(morning(D + timedelta(days=3)))
    keys = set(Notification.objects.values_list("dedupe_key", flat=True))
    v2 = Assignment.objects.get(user=employee, version__number=2)
    assert f"unsigned:{v2.pk}:overdue-3" in keys
    assert Assignment.objects.filter(user=leaver, version__number=2).exists()
    assert not any(
        key.startswith(f"unsigned:{a.pk}:")
        for a in Assignment.objects.filter(version__number=1)
        for key in keys
    )
    assert not Notification.objects.filter(recipient=leaver).exists()


@pytest.mark.parametrize("size", [3, 30])
def test_the_unsigned_job_queries_do_not_grow_with_people(version, size: int) -> None:
    manager = UserFactory()
    assign(version, UserFactory.create_batch(size, line_manager=manager))
    with CaptureQueriesContext(connection) as queries:
        result = reminders.unsigned_job(morning(D + timedelta(days=7)))
    # Every signer's reminder and the manager's notice about each.
    assert result.notices == 2 * size
    # The unsigned assignments; which keys are free; which are taken as the batch is built; one
    # batch (savepoint, insert, release).
    assert len(queries) == 6


def test_hr_gets_the_weekly_summary_once_a_week(version, employee, manager, hr_user) -> None:
    other_hr = UserFactory(groups=[permissions.HR_GROUP])
    assign(version, [employee, manager])
    AcknowledgementFactory(user=manager, version=version)
    monday = date(2026, 2, 2)

    reminders.weekly_summary_job(morning(monday))
    reminders.weekly_summary_job(morning(monday + timedelta(days=3)))  # the same week

    summaries = Notification.objects.filter(kind=reminders.SUMMARY_KIND)
    assert {(n.recipient_id, n.dedupe_key) for n in summaries} == {
        (hr_user.pk, f"hr-summary:2026-02-02:{hr_user.pk}"),
        (other_hr.pk, f"hr-summary:2026-02-02:{other_hr.pk}"),
    }
    summary = summaries.get(recipient=hr_user)
    assert summary.subject == "Policy signatures: week of 2 February 2026"
    assert "Signed: 1 of" in summary.body_text
    assert "Overdue: 1" in summary.body_text
    assert summary.link == reverse("acknowledgements:dashboard")

    reminders.weekly_summary_job(morning(monday + timedelta(days=7)))
    assert Notification.objects.filter(kind=reminders.SUMMARY_KIND).count() == 4
