"""Notices given through the real service, for the tests of starters, leavers, temporary
workers and movers. Dates are fixed: "today" is Monday 16 March 2026 unless a test says
otherwise."""

from __future__ import annotations

from datetime import date

from portal.models import Department, User
from requests.staff import changes as staff_changes
from requests.staff import lifecycle as staff_lifecycle
from requests.staff.models import StaffChange, StaffChangeTask

TODAY = date(2026, 3, 16)
Kind = StaffChange.Kind
Task = StaffChangeTask.Kind


def starter_details(
    department: Department, manager: User | None = None, **fields: object
) -> staff_changes.NoticeDetails:
    values: dict[str, object] = {
        "kind": Kind.STARTER,
        "first_name": "Sam",
        "last_name": "Taylor",
        "email": "sam.taylor@example.com",
        "employee_number": "N0001",
        "department": department,
        "line_manager_email": manager.email if manager else "",
        "job_title": "Support Worker",
        "start_date": date(2026, 3, 30),
        "systems": "Care records, email",
        "equipment": "Phone",
    }
    values.update(fields)
    return staff_changes.NoticeDetails(**values)


def temporary_details(
    department: Department, manager: User | None = None, **fields: object
) -> staff_changes.NoticeDetails:
    values: dict[str, object] = {
        "kind": Kind.TEMPORARY,
        "first_name": "Tara",
        "last_name": "Agency",
        "email": "tara.agency@example.com",
        "employee_number": "",
        "start_date": date(2026, 3, 23),
        "end_date": date(2026, 4, 17),
    }
    values.update(fields)
    return starter_details(department, manager, **values)


def leaver_details(person: User, **fields: object) -> staff_changes.NoticeDetails:
    values: dict[str, object] = {
        "kind": Kind.LEAVER,
        "leaver": person.email,
        "end_date": date(2026, 3, 27),
        "equipment": "Laptop",
    }
    values.update(fields)
    return staff_changes.NoticeDetails(**values)


def mover_details(person: User, **fields: object) -> staff_changes.NoticeDetails:
    """``person`` moving, from Monday 30 March 2026; blank new values keep what they have."""
    values: dict[str, object] = {
        "kind": Kind.MOVER,
        "mover": person.email or person.employee_number,
        "effective_date": date(2026, 3, 30),
        "systems": "Day services rota",
        "equipment": "Phone stays with them",
    }
    values.update(fields)
    return staff_changes.NoticeDetails(**values)


def give(actor: User, details: staff_changes.NoticeDetails, today: date = TODAY) -> StaffChange:
    return staff_changes.submit_notice(actor=actor, details=details, today=today)


def tick(actor: User, notice: StaffChange, kind: str, **kwargs: object):
    task = notice.tasks.get(kind=kind)
    return staff_changes.complete_task(actor=actor, task=task, **kwargs)


def confirm_link(actor: User, notice: StaffChange, account: User, **kwargs: object):
    """IT's confirmation, as the page that shows the differences sends it, that the notice is
    about ``account`` (an inactive one is reactivated)."""
    account.refresh_from_db()
    task = notice.tasks.get(kind__in=[Task.ACCOUNT_CREATED, Task.TEMPORARY_ACCOUNT])
    confirmation = staff_lifecycle.LinkConfirmation(
        account=account.pk, reactivate=not account.is_active
    )
    return staff_changes.complete_task(actor=actor, task=task, confirmation=confirmation, **kwargs)
