"""Mover notices: who may give one, what it checks, IT's checklist, and the directory changing on
the effective date (at once, or by the scheduled job, safe to run twice)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from portal import scheduling
from portal.models import AuditEvent, Notification, User
from requests.staff import changes as staff_changes
from requests.staff.models import StaffChange
from tests.factories import DepartmentFactory, UserFactory
from tests.requests.staff import TODAY, give, mover_details
from tests.requests.staff_changes.helpers import Kind, Task, _refusal, snapshot

LONDON = ZoneInfo("Europe/London")
MOVE_DAY = date(2026, 3, 30)


def at(day: date, hour: int = 0, minute: int = 10) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def day_services(db: None):
    return DepartmentFactory(name="Day Services")


@pytest.fixture
def new_manager(db: None, day_services) -> User:
    return UserFactory(
        email="new.manager@example.com", first_name="Nia", last_name="Hart", department=day_services
    )


def moved_events(notice: StaffChange) -> int:
    return AuditEvent.objects.filter(action="staff_change.moved", object_id=str(notice.pk)).count()


# --- Giving the notice ------------------------------------------------------------------------
def test_hr_gives_a_mover_notice_and_it_gets_its_own_checklist(
    hr_user, employee, manager, new_manager, day_services, it_user
):
    notice = give(
        hr_user,
        mover_details(
            employee,
            department=day_services,
            new_line_manager=new_manager.email,
            job_title="Senior Support Worker",
        ),
    )
    assert notice.kind == Kind.MOVER and notice.person == employee
    assert (notice.old_department, notice.old_line_manager) == (employee.department, manager)
    assert (notice.department, notice.line_manager) == (day_services, new_manager)
    assert (notice.old_job_title, notice.job_title) == ("Support Worker", "Senior Support Worker")
    tasks = {t.kind: t.due_date for t in notice.tasks.all()}
    assert tasks == {
        Task.ACCESS_GRANTED: MOVE_DAY,
        Task.ACCESS_REMOVED: MOVE_DAY,
        Task.EQUIPMENT_MOVED: date(2026, 4, 6),  # 5 working days after
        Task.DIRECTORY_UPDATED: MOVE_DAY,
    }
    # The directory waits for the date.
    employee.refresh_from_db()
    assert (employee.department.name, employee.line_manager) == ("Residential Care", manager)
    assert notice.move_pending and moved_events(notice) == 0
    told = Notification.objects.get(kind="staff-change-new", recipient=it_user)
    assert "mover Emma Jones, moving on 30 March 2026" in told.subject
    assert "Morgan Lee" in told.body_text and "Nia Hart" in told.body_text


def test_the_current_line_manager_moves_their_own_report(manager, employee, new_manager):
    notice = give(manager, mover_details(employee, new_line_manager=new_manager.email))
    assert notice.submitted_by == manager and notice.line_manager == new_manager
    assert notice.department == employee.department  # blank: unchanged


def test_a_new_job_title_alone_is_a_move(hr_user, employee):
    notice = give(hr_user, mover_details(employee, job_title="Team Leader"))
    assert notice.line_manager_id == employee.line_manager_id and notice.job_title == "Team Leader"


# --- Hostile and mistaken notices -------------------------------------------------------------
def test_a_manager_cannot_move_someone_outside_their_team(manager, employee, outsider, new_manager):
    errors = _refusal(manager, mover_details(outsider, new_line_manager=new_manager.email))
    assert "only for your own team" in errors["mover"][0]
    outsider.refresh_from_db()
    assert outsider.line_manager.email == "other.manager@example.com"


def test_a_manager_learns_nothing_of_whether_someone_else_exists(manager, employee, outsider):
    unknown = _refusal(manager, mover_details(outsider, mover="nobody@example.com"))
    other_team = _refusal(manager, mover_details(outsider))
    assert unknown["mover"][0].replace("nobody@example.com", "X") == other_team["mover"][0].replace(
        outsider.email, "X"
    )


def test_an_employee_cannot_move_themself_or_anyone(employee, new_manager):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        give(employee, mover_details(employee, new_line_manager=new_manager.email))
    assert snapshot() == before


def test_a_manager_cannot_move_themself(manager, employee, new_manager):
    errors = _refusal(manager, mover_details(manager, new_line_manager=new_manager.email))
    assert "mover" in errors


def test_hr_cannot_move_themself_nor_a_role_holder(hr_user, it_user, new_manager):
    errors = _refusal(hr_user, mover_details(hr_user, new_line_manager=new_manager.email))
    assert "another member of HR" in errors["mover"][0]
    errors = _refusal(hr_user, mover_details(it_user, new_line_manager=new_manager.email))
    assert "holds a role" in errors["mover"][0]


def test_it_cannot_give_a_mover_notice(it_user, employee, new_manager):
    with pytest.raises(PermissionDenied):
        give(it_user, mover_details(employee, new_line_manager=new_manager.email))


@pytest.mark.parametrize(
    ("new_line_manager", "expected"),
    [
        ("left@example.com", "No active member of staff"),
        ("employee@example.com", "Nobody can be their own line manager"),
        ("nobody@example.com", "No active member of staff"),
    ],
)
def test_the_new_manager_must_be_active_and_not_the_person(
    hr_user, employee, new_line_manager, expected
):
    UserFactory(email="left@example.com", is_active=False)
    errors = _refusal(hr_user, mover_details(employee, new_line_manager=new_line_manager))
    assert expected in errors["new_line_manager"][0]


def test_no_manager_loops(hr_user, manager, employee):
    """The manager cannot come to report to someone who reports to them, directly or not."""
    report = UserFactory(email="report@example.com", line_manager=employee)
    errors = _refusal(hr_user, mover_details(manager, new_line_manager=report.email))
    assert "would form a loop" in errors["new_line_manager"][0]
    assert "Emma Jones" in errors["new_line_manager"][0]
    errors = _refusal(hr_user, mover_details(manager, new_line_manager=employee.email))
    assert "would form a loop" in errors["new_line_manager"][0]


def test_something_must_change_and_the_date_must_not_have_passed(hr_user, employee, manager):
    errors = _refusal(hr_user, mover_details(employee, new_line_manager=manager.email))
    assert "choose a new department" in errors["department"][0]
    errors = _refusal(
        hr_user, mover_details(employee, job_title="X", effective_date=date(2026, 3, 1))
    )
    assert "has passed" in errors["effective_date"][0]
    errors = _refusal(hr_user, mover_details(employee, job_title="X", effective_date=None))
    assert "Give the date" in errors["effective_date"][0]


def test_one_move_waits_for_its_date_at_a_time(hr_user, employee, new_manager):
    first = give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    errors = _refusal(hr_user, mover_details(employee, job_title="Team Leader"))
    assert first.reference in errors["__all__"][0]


# --- The directory on the effective date ------------------------------------------------------
def test_a_move_effective_today_changes_the_directory_at_once(
    hr_user, employee, manager, new_manager, day_services
):
    notice = give(
        hr_user,
        mover_details(
            employee,
            effective_date=TODAY,
            department=day_services,
            new_line_manager=new_manager.email,
        ),
    )
    employee.refresh_from_db()
    assert (employee.department, employee.line_manager) == (day_services, new_manager)
    assert notice.directory_updated_at is not None and moved_events(notice) == 1
    event = AuditEvent.objects.get(action="staff_change.moved")
    assert event.actor == hr_user
    assert event.data["line_manager"] == [manager.pk, new_manager.pk]
    # Another move can now be given (the first is in the directory, IT still at work).
    give(hr_user, mover_details(employee, job_title="Team Leader"))


def test_the_job_moves_them_on_the_date_and_only_once(
    hr_user, employee, manager, new_manager, day_services
):
    notice = give(
        hr_user,
        mover_details(employee, department=day_services, new_line_manager=new_manager.email),
    )
    run = scheduling.run_job("staff-movers", now=at(date(2026, 3, 29), 23, 10))
    assert run.found == 0
    employee.refresh_from_db()
    assert employee.line_manager == manager

    run = scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    assert (run.found, run.summary) == (1, "1 move(s) made in the directory")
    employee.refresh_from_db()
    assert (employee.department, employee.line_manager) == (day_services, new_manager)
    notice.refresh_from_db()
    assert notice.directory_updated_at == at(MOVE_DAY)

    for hour in (0, 1, 9):  # the hourly run again, and the next day
        scheduling.run_job("staff-movers", now=at(MOVE_DAY, hour))
    scheduling.run_job("staff-movers", now=at(date(2026, 3, 31)))
    assert moved_events(notice) == 1
    event = AuditEvent.objects.get(action="staff_change.moved")
    assert event.actor is None and event.data["person"] == employee.pk


def test_on_the_date_only_what_the_notice_changes_is_written(
    hr_user, employee, manager, new_manager
):
    # A new line manager only; the job title changes in the directory (HR's import) meanwhile:
    # the move keeps the newer title.
    give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    employee.job_title = "Senior Care Assistant"
    employee.save()
    scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    employee.refresh_from_db()
    assert employee.line_manager == new_manager
    assert employee.job_title == "Senior Care Assistant"


def test_a_move_that_cannot_be_made_is_held_and_the_directory_left(
    hr_user, employee, manager, new_manager
):
    notice = give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    new_manager.is_active = False
    new_manager.save()
    run = scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    assert run.found == 1 and "1 held" in run.summary
    employee.refresh_from_db()
    notice.refresh_from_db()
    assert employee.line_manager == manager and notice.move_pending
    assert moved_events(notice) == 0


def test_a_cancelled_move_never_happens(hr_user, employee, manager, new_manager):
    notice = give(hr_user, mover_details(employee, new_line_manager=new_manager.email))
    staff_changes.cancel_notice(actor=hr_user, notice=notice, reason="Stays in the team")
    scheduling.run_job("staff-movers", now=at(MOVE_DAY))
    employee.refresh_from_db()
    assert employee.line_manager == manager


def test_a_move_in_the_directory_cannot_be_cancelled(hr_user, employee, new_manager):
    notice = give(
        hr_user, mover_details(employee, effective_date=TODAY, new_line_manager=new_manager.email)
    )
    with pytest.raises(staff_changes.TaskRefused, match="already in the staff directory"):
        staff_changes.cancel_notice(actor=hr_user, notice=notice, reason="Oops")
    notice.refresh_from_db()
    assert notice.is_open


def test_the_managers_who_may_cancel_a_waiting_move(manager, employee, new_manager, outsider):
    from requests import permissions

    notice = give(manager, mover_details(employee, new_line_manager=new_manager.email))
    notice = StaffChange.objects.select_related("person").get(pk=notice.pk)
    assert permissions.can_cancel_notice(manager, notice)
    assert not permissions.can_cancel_notice(new_manager, notice)  # not theirs until the date
    assert not permissions.can_cancel_notice(outsider.line_manager, notice)
    with pytest.raises(staff_changes.TaskRefused):
        staff_changes.cancel_notice(actor=new_manager, notice=notice, reason="Not mine")


def test_it_ticks_off_the_checklist_and_the_notice_closes(hr_user, employee, new_manager, it_user):
    notice = give(
        hr_user, mover_details(employee, effective_date=TODAY, new_line_manager=new_manager.email)
    )
    for task in notice.tasks.all():
        staff_changes.complete_task(actor=it_user, task=task)
    notice.refresh_from_db()
    assert notice.state == StaffChange.State.CLOSED
    done = Notification.objects.filter(kind="staff-change-done")
    # Told: whoever gave it (HR) and the line manager on the notice, the new one.
    assert set(done.values_list("recipient", flat=True)) == {hr_user.pk, new_manager.pk}


def test_a_managers_notice_is_seen_by_the_old_and_new_managers_only(
    manager, employee, new_manager, outsider, hr_user, it_user
):
    from requests.staff import selectors

    notice = give(manager, mover_details(employee, new_line_manager=new_manager.email))
    for viewer in (manager, new_manager, hr_user, it_user):
        assert selectors.visible_notices(viewer).filter(pk=notice.pk).exists()
    assert not selectors.visible_notices(outsider.line_manager).filter(pk=notice.pk).exists()
    assert not selectors.visible_notices(employee).filter(pk=notice.pk).exists()
