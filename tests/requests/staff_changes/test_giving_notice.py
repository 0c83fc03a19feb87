"""Giving notice of a starter, a leaver or a temporary worker: who may, and what is checked."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from portal import permissions as roles
from portal.models import AuditEvent, Notification
from requests.staff import changes as staff_changes
from requests.staff.models import StaffChange
from tests.factories import UserFactory
from tests.requests.staff import give, leaver_details, starter_details, temporary_details
from tests.requests.staff_changes.helpers import Kind, State, Task, _refusal, snapshot


# --- Giving notice ----------------------------------------------------------------------------
def test_hr_gives_notice_of_a_starter_and_every_it_member_is_told(
    hr_user, manager, employee, department, it_user, it_colleague
) -> None:
    UserFactory(email="gone@example.com", groups=[roles.IT_GROUP], is_active=False)
    notice = give(hr_user, starter_details(department, manager, email="Sam.Taylor@Example.com"))

    assert notice.state == State.OPEN
    assert notice.email == "sam.taylor@example.com"
    assert notice.line_manager == manager
    assert notice.submitted_by == hr_user
    assert notice.person is None
    assert [(t.kind, t.due_date) for t in notice.tasks.order_by("position")] == [
        (Task.ACCOUNT_CREATED, date(2026, 3, 27)),
        (Task.EQUIPMENT_ISSUED, date(2026, 3, 27)),
        (Task.POLICY_SIGNED, date(2026, 4, 6)),
    ]
    told = Notification.objects.filter(kind="staff-change-new")
    assert sorted(n.recipient.email for n in told) == ["it2@example.com", "it@example.com"]
    assert told[0].subject == f"{notice.reference}: starter Sam Taylor, starting 30 March 2026"
    assert "Care records, email" in told[0].body_text
    event = AuditEvent.objects.get(action="staff_change.submitted")
    assert (event.actor, event.object_id) == (hr_user, str(notice.pk))


def test_a_manager_becomes_the_line_manager_of_their_starter(manager, employee, department) -> None:
    notice = give(manager, starter_details(department, line_manager_email="someone@example.com"))
    assert notice.line_manager == manager


def test_a_leaver_notice_copies_the_person_from_the_directory(manager, employee) -> None:
    notice = give(manager, leaver_details(employee))
    assert notice.person == employee
    assert (notice.first_name, notice.last_name, notice.email) == ("Emma", "Jones", employee.email)
    assert notice.department == employee.department
    assert notice.line_manager == manager
    assert [(t.kind, t.due_date) for t in notice.tasks.order_by("position")] == [
        (Task.ACCESS_REVOKED, date(2026, 3, 27)),
        (Task.EQUIPMENT_RETURNED, date(2026, 4, 3)),
    ]


def test_a_leaver_can_be_named_by_employee_number(hr_user, employee) -> None:
    notice = give(hr_user, leaver_details(employee, leaver=employee.employee_number))
    assert notice.person == employee


@pytest.mark.parametrize("actor", ["employee", "it_user", "reviewer"])
def test_people_who_are_not_hr_or_a_manager_cannot_give_notice(request, actor, department) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied):
        give(request.getfixturevalue(actor), starter_details(department))
    assert snapshot() == before


def test_a_temporary_worker_needs_an_end_date(hr_user, manager, employee, department) -> None:
    errors = _refusal(hr_user, temporary_details(department, manager, end_date=None))
    assert errors == {
        "end_date": [
            "A temporary worker needs an access end date: the last day they need access to IT "
            "systems."
        ]
    }


def test_an_end_date_cannot_be_before_the_start(hr_user, manager, employee, department) -> None:
    details = temporary_details(
        department, manager, start_date=date(2026, 4, 1), end_date=date(2026, 3, 31)
    )
    assert _refusal(hr_user, details) == {
        "end_date": ["The access end date cannot be before the start date."]
    }


def test_an_end_date_in_the_past_is_refused(hr_user, manager, employee, department) -> None:
    details = temporary_details(
        department, manager, start_date=date(2026, 3, 1), end_date=date(2026, 3, 13)
    )
    assert _refusal(hr_user, details) == {
        "end_date": ["The access end date (13 March 2026) has passed."]
    }


def test_a_starter_needs_a_start_date_and_a_department(hr_user, manager, employee) -> None:
    errors = _refusal(hr_user, starter_details(None, manager, start_date=None))
    assert errors == {
        "start_date": ["Give the date they start."],
        "department": ["Choose the department they will work in."],
    }


def test_hr_must_name_an_active_line_manager(hr_user, department) -> None:
    assert _refusal(hr_user, starter_details(department)) == {
        "line_manager_email": ["Give the line manager's email address."]
    }
    UserFactory(email="former@example.com", is_active=False)
    details = starter_details(department, line_manager_email="former@example.com")
    assert _refusal(hr_user, details) == {
        "line_manager_email": [
            "No active member of staff has the email address former@example.com."
        ]
    }
    details = starter_details(department, line_manager_email="sam.taylor@example.com")
    UserFactory(email="sam.taylor@example.com")
    assert _refusal(hr_user, details) == {
        "line_manager_email": ["Nobody can be their own line manager."]
    }


def test_a_leaver_must_be_an_active_member_of_staff(hr_user, employee) -> None:
    errors = _refusal(hr_user, leaver_details(employee, leaver="nobody@example.com"))
    assert errors["leaver"] == [
        "No active member of staff has the email address or employee number "
        "“nobody@example.com”. Check it against the staff directory: a leaver must be someone "
        "with an active account."
    ]
    employee.is_active = False
    employee.save()
    assert "leaver" in _refusal(hr_user, leaver_details(employee))


def test_a_manager_gives_notice_only_for_their_own_reports(manager, employee, outsider) -> None:
    # The same answer whether the person exists in another team or not at all: a manager
    # learns neither that the address is in the directory nor whose it is.
    for leaver in (outsider.email, outsider.employee_number, "nobody@example.com"):
        errors = _refusal(manager, leaver_details(outsider, leaver=leaver))
        assert errors == {
            "leaver": [
                f"None of your direct reports has the email address or employee number "
                f"“{leaver}”. You can give notice only for your own team; ask HR to notify IT "
                "of anyone else."
            ]
        }
    errors = _refusal(manager, leaver_details(outsider, end_date=date(2000, 1, 1)))
    assert outsider.full_name not in str(errors)


def test_a_leaver_needs_a_last_day_not_before_they_started(hr_user, employee) -> None:
    assert _refusal(hr_user, leaver_details(employee, end_date=None)) == {
        "end_date": ["Give the leaver's last working day."]
    }
    assert _refusal(hr_user, leaver_details(employee, end_date=date(2024, 1, 14))) == {
        "end_date": [
            "Emma Jones started on 15 January 2024: their last working day cannot be before that."
        ]
    }


@pytest.mark.parametrize(
    "same",
    [
        {"email": "SAM.TAYLOR@example.com"},
        {"email": "other@example.com", "employee_number": "N0001"},
    ],
    ids=["same email", "same employee number"],
)
def test_a_second_open_notice_for_the_same_person_is_refused(
    hr_user, manager, employee, department, same
) -> None:
    first = give(hr_user, starter_details(department, manager))
    errors = _refusal(hr_user, starter_details(department, manager, **same))
    assert errors == {
        NON_FIELD_ERRORS: [
            f"There is already an open starter notice for Sam Taylor ({first.reference}). Open "
            "it to see where IT is, or ask whoever gave it to cancel it if it is wrong."
        ]
    }


def test_a_second_leaver_notice_for_the_same_person_is_refused(hr_user, manager, employee) -> None:
    give(manager, leaver_details(employee))
    again = leaver_details(employee, end_date=date(2026, 4, 3))
    assert NON_FIELD_ERRORS in _refusal(hr_user, again)


def test_a_cancelled_notice_does_not_block_a_new_one(
    hr_user, manager, employee, department
) -> None:
    first = give(hr_user, starter_details(department, manager))
    staff_changes.cancel_notice(actor=hr_user, notice=first, reason="Wrong start date.")
    second = give(hr_user, starter_details(department, manager, start_date=date(2026, 4, 6)))
    assert second.pk != first.pk


def test_the_database_refuses_two_open_notices_for_one_address(hr_user, department) -> None:
    StaffChange.objects.create(
        kind=Kind.STARTER, first_name="A", last_name="B", email="x@example.com",
        submitted_by=hr_user,
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        StaffChange(
            kind=Kind.STARTER, first_name="A", last_name="B", email="x@example.com",
            submitted_by=hr_user,
        ).full_clean()  # fmt: skip
    assert "There is already an open notice of this kind" in str(refused.value)
