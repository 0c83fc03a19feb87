"""Notices naming someone already in the directory: whose account a notice may touch."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.test import Client

from portal import permissions as roles
from portal.models import User
from requests.staff import changes as staff_changes
from requests.staff import checklist as staff_checklist
from requests.staff import lifecycle as staff_lifecycle
from requests.staff.models import StaffChange, StaffChangeTask
from tests.factories import UserFactory
from tests.requests.staff import (
    TODAY,
    confirm_link,
    give,
    leaver_details,
    starter_details,
    temporary_details,
    tick,
)
from tests.requests.staff_changes.helpers import Kind, Task, _refusal, snapshot

# --- Notices naming someone already in the directory ------------------------------------------
NOT_YOURS = (
    "This email address belongs to an existing account that you do not manage. If they are "
    "joining your team or coming back, ask HR to notify IT."
)


@pytest.fixture
def it_superuser(it_user) -> User:
    it_user.is_superuser = it_user.is_staff = True
    it_user.save()
    return it_user


def directory_entry(person: User) -> tuple:
    person.refresh_from_db()
    return (
        person.first_name, person.last_name, person.email, person.department_id,
        person.line_manager_id, person.employment_type, person.start_date, person.end_date,
        person.is_active, person.is_superuser, person.has_usable_password(),
    )  # fmt: skip


def test_a_managers_temporary_notice_naming_the_it_superuser_is_refused(
    manager, employee, department, it_superuser
) -> None:
    details = temporary_details(
        department, first_name="Ivan", last_name="Tech", email=it_superuser.email.upper()
    )
    assert _refusal(manager, details) == {"email": [NOT_YOURS]}
    # Nor by their employee number, whatever its case.
    details = temporary_details(
        department, email="new.person@example.com",
        employee_number=it_superuser.employee_number.lower(),
    )  # fmt: skip
    assert _refusal(manager, details) == {
        "employee_number": [
            "This employee number belongs to an existing account that you do not manage. If "
            "they are joining your team or coming back, ask HR to notify IT."
        ]
    }


@pytest.mark.parametrize("kind", [Kind.STARTER, Kind.TEMPORARY])
def test_a_manager_learns_nothing_about_accounts_outside_their_team(
    manager, employee, department, outsider, it_superuser, kind
) -> None:
    gone = UserFactory(email="gone@example.com", is_active=False)
    refusals = [
        _refusal(manager, temporary_details(department, kind=kind, email=person.email))
        for person in (outsider, it_superuser, gone)
    ]
    # One answer for a colleague, an administrator and a former employee: no name, no role,
    # whether they are active or not.
    assert refusals == [{"email": [NOT_YOURS]}] * 3


def test_a_manager_names_their_own_report(manager, employee, department, it_user) -> None:
    details = temporary_details(
        department, first_name="Emma", last_name="Jones", email=employee.email.upper()
    )
    notice = give(manager, details)
    assert (notice.email, notice.line_manager) == (employee.email, manager)


def test_hr_names_an_employee_without_a_role(hr_user, manager, employee, outsider, department):
    notice = give(hr_user, temporary_details(department, manager, email=outsider.email))
    assert notice.email == outsider.email
    notice = give(hr_user, starter_details(department, manager, employee_number="T000001"))
    assert notice.pk


@pytest.mark.parametrize("role", ["it_user", "hr_colleague", "reviewer", "superuser", "staff"])
def test_hr_cannot_name_a_role_holder(request, hr_user, manager, department, role) -> None:
    holders = {
        "hr_colleague": lambda: UserFactory(groups=[roles.HR_GROUP], first_name="Harriet"),
        "staff": lambda: UserFactory(is_staff=True, is_active=False),
    }
    person = holders[role]() if role in holders else request.getfixturevalue(role)
    errors = _refusal(hr_user, temporary_details(department, manager, email=person.email))
    assert list(errors) == ["email"]
    assert f"belongs to {person.full_name}, who holds a role in the portal (" in errors["email"][0]
    assert "ask an administrator" in errors["email"][0]
    # HR cannot name themselves either.
    errors = _refusal(hr_user, temporary_details(department, manager, email=hr_user.email))
    assert "holds a role in the portal (HR)" in errors["email"][0]


def test_another_teams_open_notice_is_not_described_to_a_manager(
    manager, employee, department, outsider
) -> None:
    other_manager = outsider.line_manager
    give(other_manager, temporary_details(department, first_name="Secret", last_name="Hire"))
    errors = _refusal(manager, temporary_details(department))
    assert errors == {
        NON_FIELD_ERRORS: [
            "There is already an open temporary worker notice with this email address or "
            "employee number, given by someone else. Ask HR if it is wrong."
        ]
    }


def _given_before_the_rules(
    person: User, manager: User, department, kind: str = Kind.TEMPORARY
) -> StaffChange:
    """A notice naming someone else's account, as the attack gave it before submit_notice
    refused it: what IT does with it must still leave the account alone."""
    notice = StaffChange.objects.create(
        kind=kind, first_name="Ivan", last_name="Owned", email=person.email,
        department=department, line_manager=manager, start_date=date(2026, 3, 16),
        end_date=date(2026, 3, 20) if kind == Kind.TEMPORARY else None, submitted_by=manager,
    )  # fmt: skip
    StaffChangeTask.objects.bulk_create(staff_checklist.tasks_for(notice))
    return notice


def test_account_created_never_renames_reparents_or_ends_an_active_account(
    manager, employee, department, it_superuser, it_colleague
) -> None:
    notice = _given_before_the_rules(it_superuser, manager, department)
    before = directory_entry(it_superuser)
    with pytest.raises(staff_changes.TaskRefused):
        tick(it_colleague, notice, Task.TEMPORARY_ACCOUNT)
    assert directory_entry(it_superuser) == before
    notice.refresh_from_db()
    assert notice.person is None
    assert not notice.tasks.filter(completed_at__isnull=False).exists()

    # Even confirmed on the page of differences, linking changes nothing of the account ...
    confirm_link(it_colleague, notice, it_superuser)
    notice.refresh_from_db()
    assert (notice.person, notice.account_action) == (it_superuser, "linked")
    assert directory_entry(it_superuser) == before
    # ... and the hourly job does not end it after the notice's end date.
    assert staff_lifecycle.end_expired_access(now=datetime(2026, 3, 23, 9, 0, tzinfo=UTC)) == 0
    assert directory_entry(it_superuser) == before


def test_a_stale_or_wrong_confirmation_links_nothing(starter, it_user, employee) -> None:
    imported = UserFactory(email="sam.taylor@example.com", employee_number="N0001")
    task = starter.tasks.get(kind=Task.ACCOUNT_CREATED)
    before = snapshot()
    for confirmation in (
        staff_lifecycle.LinkConfirmation(account=employee.pk, reactivate=False),  # someone else
        staff_lifecycle.LinkConfirmation(account=imported.pk, reactivate=True),  # was inactive
    ):
        with pytest.raises(staff_changes.LinkNeedsConfirmation):
            staff_changes.complete_task(actor=it_user, task=task, confirmation=confirmation)
    # A confirmation belongs to the account task only.
    with pytest.raises(staff_changes.TaskRefused, match="Only the account task"):
        tick(
            it_user, starter, Task.EQUIPMENT_ISSUED,
            confirmation=staff_lifecycle.LinkConfirmation(account=imported.pk, reactivate=False),
        )  # fmt: skip
    assert snapshot() == before
    starter.refresh_from_db()
    assert starter.person is None


def test_a_role_holders_account_is_never_reactivated_by_a_notice(
    hr_user, manager, department, it_user, policy
) -> None:
    former = UserFactory(groups=[roles.IT_GROUP], is_active=False)
    notice = _given_before_the_rules(former, manager, department, kind=Kind.STARTER)
    with pytest.raises(staff_changes.TaskRefused, match="cannot reactivate a role holder"):
        confirm_link(it_user, notice, former)
    former.refresh_from_db()
    assert not former.is_active


def test_extending_a_linked_notice_leaves_the_accounts_end_alone(
    manager, employee, department, it_user, policy
) -> None:
    notice = give(manager, temporary_details(department, first_name="Emma", email=employee.email))
    confirm_link(it_user, notice, employee)
    staff_changes.extend_access(
        actor=manager, notice=notice, end_date=date(2026, 5, 15), today=TODAY
    )
    employee.refresh_from_db()
    assert (employee.employment_type, employee.end_date) == ("permanent", None)


def test_a_manager_whose_worker_moved_team_cannot_extend_or_cancel(temporary, manager, outsider):
    User.objects.filter(pk=temporary.person_id).update(line_manager=outsider.line_manager)
    temporary.refresh_from_db()
    with pytest.raises(staff_changes.TaskRefused, match="line manager or HR"):
        staff_changes.extend_access(
            actor=manager, notice=temporary, end_date=date(2026, 5, 15), today=TODAY
        )
    with pytest.raises(staff_changes.TaskRefused):
        staff_changes.cancel_notice(actor=manager, notice=temporary, reason="Not needed.")
    assert temporary.person.end_date == date(2026, 4, 17)


def test_a_manager_cannot_withdraw_hrs_leaver_notice_for_their_report(
    hr_user, manager, employee
) -> None:
    """HR names a leaver (a dismissal, say); their manager must not keep the account open by
    cancelling it. The manager can still cancel a notice they gave themselves."""
    notice = give(hr_user, leaver_details(employee, end_date=date(2026, 3, 20)))
    with pytest.raises(staff_changes.TaskRefused, match="Only HR or the manager who gave"):
        staff_changes.cancel_notice(actor=manager, notice=notice, reason="Changed my mind.")
    notice.refresh_from_db()
    assert notice.state != StaffChange.State.CANCELLED
    page = Client()
    page.force_login(manager)
    assert page.get(f"/staff-changes/{notice.pk}/").context["cancel_form"] is None
    assert page.post(f"/staff-changes/{notice.pk}/cancel/", {"reason": "No."}).status_code == 403

    other = UserFactory(line_manager=manager, department=employee.department)
    own = give(manager, leaver_details(other, end_date=date(2026, 3, 27)))
    staff_changes.cancel_notice(actor=manager, notice=own, reason="Given twice by mistake.")
    own.refresh_from_db()
    assert own.state == StaffChange.State.CANCELLED
    staff_changes.cancel_notice(actor=hr_user, notice=notice, reason="Withdrawn by HR.")


def test_a_returners_notice_no_longer_speaks_for_them_once_they_move_team(
    manager, employee, department, it_user, outsider
) -> None:
    """A manager's starter notice for their former report is allowed when given; by the time IT
    confirms, HR has moved the person to another team: the link reactivates nothing."""
    former = UserFactory(
        email="sam.taylor@example.com",
        employee_number="N0001",
        first_name="Former",
        line_manager=manager,
        department=department,
        is_active=False,
    )
    notice = give(manager, starter_details(department, manager))
    User.objects.filter(pk=former.pk).update(line_manager=outsider.line_manager)
    with pytest.raises(staff_changes.TaskRefused, match="no longer someone"):
        confirm_link(it_user, notice, former)
    former.refresh_from_db()
    assert (former.is_active, former.first_name, former.line_manager) == (
        False,
        "Former",
        outsider.line_manager,
    )
