"""Who is asked to sign, by when: new starters from the staff import, leavers, the daily task,
and an assignment's state around its due date."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion
from acknowledgements.tasks import assign_outstanding
from portal.models import User
from portal.staff_import import COLUMNS, import_staff
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def staff_csv(*rows: dict[str, str]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                "first_name": "Sam",
                "last_name": "Patel",
                "department": "Residential Care",
                "job_title": "Support Worker",
                "line_manager_email": "",
                "employment_type": "Permanent",
                "end_date": "",
            }
            | row
        )
    return out.getvalue().encode("utf-8")


def starter(number: str, email: str, start: date) -> dict[str, str]:
    return {"employee_number": number, "email": email, "start_date": start.isoformat()}


def new_material_version(reviewer: User, version: PolicyVersion) -> PolicyVersion:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    draft = publishing.update_draft(
        actor=reviewer,
        version=draft,
        body=draft.body.replace("## 1 Purpose", "## 1 Purpose\n\nRead this first."),
        change_summary="Purpose clarified.",
    )
    return publishing.publish(actor=reviewer, version=draft, material=True)


# --- New starters from the staff import ---------------------------------------------------------
def test_import_gives_new_people_the_current_policy_due_7_days_after_they_start(
    version,
) -> None:
    today = timezone.localdate()
    rows = [
        starter("S1", "later@example.com", today + timedelta(days=10)),
        starter("S2", "today@example.com", today),
        starter("S3", "long.ago@example.com", date(2019, 9, 2)),
    ]

    result = import_staff(actor=None, data=staff_csv(*rows))

    assert result.created == 3
    due = {
        a.user.email: a.due_date
        for a in Assignment.objects.filter(version=version).select_related("user")
    }
    # Seven days after whichever is later: their first day, or today.
    assert due == {
        "later@example.com": today + timedelta(days=17),
        "today@example.com": today + timedelta(days=7),
        "long.ago@example.com": today + timedelta(days=7),
    }
    assert set(Assignment.objects.values_list("reason", flat=True)) == {
        Assignment.Reason.NEW_STARTER
    }
    assert {a.state() for a in Assignment.objects.all()} == {Assignment.State.DUE}


def test_import_assigns_the_version_in_force_not_an_older_one(version, reviewer) -> None:
    current = new_material_version(reviewer, version)

    import_staff(actor=None, data=staff_csv(starter("S1", "new@example.com", timezone.localdate())))

    new = User.objects.get(email="new@example.com")
    assert list(Assignment.objects.filter(user=new).values_list("version", flat=True)) == [
        current.pk
    ]


def test_importing_the_same_file_again_assigns_nothing_more(version) -> None:
    data = staff_csv(starter("S1", "new@example.com", timezone.localdate()))
    import_staff(actor=None, data=data)
    assert Assignment.objects.count() == 1

    result = import_staff(actor=None, data=data)

    assert result.unchanged == 1
    assert Assignment.objects.count() == 1


# --- Leavers --------------------------------------------------------------------------------------
def test_leavers_are_not_assigned_and_their_records_stay(version, reviewer, department) -> None:
    stayer = UserFactory(department=department)
    leaver = UserFactory(department=department, email="leaver@example.com")
    never_signed = UserFactory(department=department, is_active=False)
    publishing.assign_outstanding(policy=version.policy)
    signature = AcknowledgementFactory(user=leaver, version=version)
    leaver.is_active = False
    leaver.end_date = timezone.localdate()
    leaver.save(update_fields=["is_active", "end_date"])

    current = new_material_version(reviewer, version)
    assign_outstanding()
    import_staff(
        actor=None,
        data=staff_csv(
            {
                "employee_number": leaver.employee_number,
                "email": leaver.email,
                "first_name": leaver.first_name,
                "last_name": leaver.last_name,
                "start_date": leaver.start_date.isoformat(),
                "end_date": leaver.end_date.isoformat(),
            },
            starter("S1", "new@example.com", timezone.localdate()),
        ),
    )

    assert Assignment.objects.filter(user=stayer, version=current).exists()
    assert Assignment.objects.filter(user__email="new@example.com", version=current).exists()
    assert not Assignment.objects.filter(user=leaver, version=current).exists()
    assert not Assignment.objects.filter(user=never_signed).exists()
    # What the leaver signed, and the request to sign it, are kept.
    kept = Acknowledgement.objects.get(pk=signature.pk)
    assert (kept.user_id, kept.version_id, kept.record_hash) == (
        leaver.pk,
        version.pk,
        signature.record_hash,
    )
    assert Assignment.objects.get(user=leaver, version=version).acknowledgement_id == signature.pk
    assert User.objects.get(pk=leaver.pk).is_active is False


# --- The daily task -------------------------------------------------------------------------------
def test_daily_task_run_twice_creates_nothing_the_second_time(employee, manager, version) -> None:
    assert assign_outstanding() == 2
    assigned = set(Assignment.objects.values_list("pk", "user", "version", "due_date"))

    assert assign_outstanding() == 0
    assert set(Assignment.objects.values_list("pk", "user", "version", "due_date")) == assigned


def test_daily_task_asks_a_person_added_since_the_last_run(employee, version) -> None:
    assign_outstanding()
    late = UserFactory(start_date=timezone.localdate())

    assert assign_outstanding() == 1
    assignment = Assignment.objects.get(user=late)
    assert assignment.reason == Assignment.Reason.NEW_STARTER
    assert assignment.due_date == timezone.localdate() + timedelta(days=7)


def test_daily_task_leaves_someone_who_signed_alone(employee, manager, version) -> None:
    AcknowledgementFactory(user=employee, version=version)

    assert assign_outstanding() == 1  # the manager, who has not signed
    assert Assignment.objects.get(user=manager).state() == Assignment.State.DUE
    assert Assignment.objects.get(user=employee).state() == Assignment.State.SIGNED


# --- State around the due date ----------------------------------------------------------------
def test_state_around_the_due_date(employee, version) -> None:
    due = date(2025, 6, 30)
    publishing.assign_outstanding(policy=version.policy, due_for_staff=due)
    assignment = Assignment.objects.get(user=employee)

    assert assignment.state(today=due - timedelta(days=1)) == Assignment.State.DUE
    assert assignment.state(today=due) == Assignment.State.DUE  # due today: not yet overdue
    assert assignment.state(today=due + timedelta(days=1)) == Assignment.State.OVERDUE


def test_state_without_a_date_is_about_today(employee, manager, version) -> None:
    today = timezone.localdate()
    publishing.assign_outstanding(
        policy=version.policy, user_ids=[employee.pk], due_for_staff=today
    )
    publishing.assign_outstanding(
        policy=version.policy, user_ids=[manager.pk], due_for_staff=today - timedelta(days=1)
    )

    assert Assignment.objects.get(user=employee).state() == Assignment.State.DUE
    assert Assignment.objects.get(user=manager).state() == Assignment.State.OVERDUE


def test_signed_is_signed_even_after_the_due_date(employee, version) -> None:
    due = timezone.localdate()
    publishing.assign_outstanding(policy=version.policy, due_for_staff=due)
    AcknowledgementFactory(user=employee, version=version)
    assignment = Assignment.objects.get(user=employee)

    assert assignment.state(today=due) == Assignment.State.SIGNED
    assert assignment.state(today=due + timedelta(days=30)) == Assignment.State.SIGNED


def test_someone_whose_last_day_has_passed_is_not_asked_to_sign(version) -> None:
    today = timezone.localdate()
    gone = UserFactory(start_date=today - timedelta(days=400), end_date=today - timedelta(days=1))
    staying = UserFactory(start_date=today - timedelta(days=400), end_date=today)

    assign_outstanding()

    assert not Assignment.objects.filter(user=gone).exists()
    assert Assignment.objects.filter(user=staying, version=version).exists()
