"""What a move does beyond the notice: a staff import that moves someone raises the notice
itself (the directory changes at once), and personal-use grants made by the old manager end,
with a notice to the person and to both managers."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.utils import timezone

from acknowledgements import grants
from acknowledgements.models import PersonalUseGrant
from portal import scheduling
from portal.models import AuditEvent, Notification, User
from portal.staff_import import COLUMNS, import_staff
from requests.staff.models import StaffChange
from tests.factories import DepartmentFactory, UserFactory
from tests.requests.staff import give, mover_details
from tests.requests.staff_changes.helpers import Kind, Task
from tests.requests.staff_changes.test_movers import MOVE_DAY, at


def staff_file(*rows: dict[str, str]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS})
    return out.getvalue().encode()


def row(user: User, **fields: str) -> dict[str, str]:
    values = {
        "employee_number": user.employee_number,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email or "",
        "department": user.department.name if user.department else "",
        "job_title": user.job_title,
        "line_manager_email": user.line_manager.email if user.line_manager else "",
        "employment_type": "Permanent",
        "start_date": "2024-01-15",
    }
    values.update(fields)
    return values


@pytest.fixture
def new_manager(db: None) -> User:
    return UserFactory(
        email="new.manager@example.com",
        employee_number="M002",
        first_name="Nia",
        last_name="Hart",
        department=DepartmentFactory(name="Day Services"),
    )


@pytest.fixture
def numbered(employee, manager) -> User:
    for number, user in (("E001", employee), ("M001", manager)):
        user.employee_number = number
        user.save()
    return employee


def grant_email(manager: User, employee: User) -> PersonalUseGrant:
    return grants.grant_personal_use(
        manager=manager,
        employee=employee,
        email=True,
        internet=True,
        telephone=False,
        expires_on=None,
        note="",
    )


# --- The staff import -------------------------------------------------------------------------
def test_an_import_that_moves_someone_raises_the_notice_and_moves_them_now(
    hr_user, numbered, manager, new_manager, it_user
):
    employee = numbered
    result = import_staff(
        actor=hr_user,
        data=staff_file(
            row(employee, department="Day Services", line_manager_email=new_manager.email)
        ),
    )
    assert result.updated == 1 and not result.errors
    employee.refresh_from_db()
    assert employee.line_manager == new_manager  # the file is the directory as it stands
    notice = StaffChange.objects.get(kind=Kind.MOVER)
    assert notice.person == employee and notice.submitted_by == hr_user
    assert (notice.old_line_manager, notice.line_manager) == (manager, new_manager)
    assert notice.old_department.name == "Residential Care"
    assert notice.department.name == "Day Services"
    assert notice.effective_date == timezone.localdate()
    assert notice.directory_updated_at is not None and notice.is_open
    assert notice.tasks.count() == 4
    told = Notification.objects.get(kind="staff-change-new", recipient=it_user)
    assert told.dedupe_key == f"staff-change-new:{notice.pk}:new:{it_user.pk}"
    assert "The staff import" not in told.body_text  # HR ran it
    assert "already updated" in told.body_text
    audit = AuditEvent.objects.get(action="staff_change.submitted", object_id=str(notice.pk))
    assert audit.data["source"] == "import"
    # The job has nothing left to do for it, however often it runs.
    scheduling.run_job("staff-movers", now=timezone.now())
    assert not AuditEvent.objects.filter(action="staff_change.moved").exists()

    # The same file again moves nobody: no second notice.
    import_staff(
        actor=hr_user,
        data=staff_file(row(employee)),
    )
    assert StaffChange.objects.filter(kind=Kind.MOVER).count() == 1


def test_an_import_that_changes_only_other_details_raises_nothing(hr_user, numbered):
    import_staff(actor=hr_user, data=staff_file(row(numbered, job_title="Team Leader")))
    assert not StaffChange.objects.filter(kind=Kind.MOVER).exists()


def test_an_import_run_at_the_server_raises_the_notice_without_an_actor(
    numbered, new_manager, it_user
):
    import_staff(actor=None, data=staff_file(row(numbered, line_manager_email=new_manager.email)))
    notice = StaffChange.objects.get(kind=Kind.MOVER)
    assert notice.submitted_by is None
    told = Notification.objects.get(kind="staff-change-new", recipient=it_user)
    assert "The staff import has told" in told.body_text


def test_an_import_overtakes_a_move_waiting_for_its_date(
    hr_user, numbered, manager, new_manager, it_user
):
    waiting = give(
        hr_user, mover_details(numbered, job_title="Team Leader"), today=date(2026, 3, 16)
    )
    import_staff(
        actor=hr_user, data=staff_file(row(numbered, line_manager_email=new_manager.email))
    )
    waiting.refresh_from_db()
    assert waiting.state == StaffChange.State.CANCELLED
    assert "Overtaken by the staff import" in waiting.cancel_reason
    # Its date comes: nothing of it is applied.
    scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    numbered.refresh_from_db()
    assert numbered.job_title != "Team Leader" and numbered.line_manager == new_manager


# --- Personal-use grants ----------------------------------------------------------------------
def test_a_move_ends_the_old_managers_grant_and_tells_all_three(
    hr_user, employee, manager, new_manager
):
    grant = grant_email(manager, employee)
    give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    assert grants.current_grant_for(employee) is not None  # not before the date
    scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by is None
    assert grant.revocation_note == grants.MOVED_NOTE
    sent = Notification.objects.filter(kind=grants.MOVED_KIND)
    assert set(sent.values_list("dedupe_key", flat=True)) == {
        f"personal-use-moved:{grant.pk}:{user.pk}" for user in (employee, manager, new_manager)
    }
    to_person = sent.get(recipient=employee)
    assert "You now report to Nia Hart" in to_person.body_text
    assert "Morgan Lee" in to_person.body_text
    assert "Emma Jones now reports to you" in sent.get(recipient=new_manager).body_text
    assert "no longer reports to you" in sent.get(recipient=manager).body_text
    event = AuditEvent.objects.get(action="personal_use.revoked", object_id=str(grant.pk))
    assert event.data["moved"] is True
    # Running again, or the same move announced twice, ends and sends nothing more.
    scheduling.run_job("staff-movers", now=at(MOVE_DAY, 5))
    from portal import moves

    moves.announce(
        [moves.Move(employee.pk, None, None, manager.pk, new_manager.pk)],
        actor=None,
        source=moves.NOTICE,
    )
    assert sent.count() == 3
    assert AuditEvent.objects.filter(action="personal_use.revoked").count() == 1


def test_a_move_within_the_team_keeps_the_grant(hr_user, employee, manager, new_manager):
    grant = grant_email(manager, employee)
    give(
        hr_user, mover_details(employee, job_title="Team Leader", effective_date=date(2026, 3, 16))
    )
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert not Notification.objects.filter(kind=grants.MOVED_KIND).exists()


def test_a_grant_an_earlier_manager_made_ends_too(hr_user, employee, manager, new_manager):
    # Granted by the manager before the current one (changed in the directory by hand): the
    # new manager decides again all the same.
    earlier = UserFactory(email="earlier.manager@example.com", first_name="Ed")
    employee.line_manager = earlier
    employee.save()
    grant = grant_email(earlier, employee)
    employee.line_manager = manager
    employee.save()
    give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert set(
        Notification.objects.filter(kind=grants.MOVED_KIND).values_list("recipient", flat=True)
    ) == {employee.pk, earlier.pk, new_manager.pk}


def test_a_grant_the_new_manager_made_stays(hr_user, employee, manager, new_manager):
    employee.line_manager = new_manager
    employee.save()
    grant = grant_email(new_manager, employee)
    employee.line_manager = manager
    employee.save()
    give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_an_import_that_moves_someone_ends_the_old_managers_grant(
    hr_user, numbered, manager, new_manager
):
    grant = grant_email(manager, numbered)
    import_staff(
        actor=hr_user, data=staff_file(row(numbered, line_manager_email=new_manager.email))
    )
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert Notification.objects.filter(kind=grants.MOVED_KIND).count() == 3


def test_the_new_manager_can_decide_again_after_the_move(hr_user, employee, manager, new_manager):
    grant_email(manager, employee)
    give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    employee.refresh_from_db()
    fresh = grant_email(new_manager, employee)
    assert fresh.granted_by == new_manager and grants.current_grant_for(employee) == fresh
    # and the old manager no longer may
    with pytest.raises(grants.GrantError):
        grant_email(manager, employee)


def test_the_checklist_task_for_the_directory_is_on_the_notice(hr_user, numbered, new_manager):
    import_staff(
        actor=hr_user, data=staff_file(row(numbered, line_manager_email=new_manager.email))
    )
    notice = StaffChange.objects.get(kind=Kind.MOVER)
    assert set(notice.tasks.values_list("kind", flat=True)) == {
        Task.ACCESS_GRANTED,
        Task.ACCESS_REMOVED,
        Task.EQUIPMENT_MOVED,
        Task.DIRECTORY_UPDATED,
    }
