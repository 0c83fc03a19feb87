"""Notices of starters, leavers and temporary workers, and IT's checklist: the services."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.test import Client

from acknowledgements import publishing
from acknowledgements.models import Assignment
from portal import outbox
from portal import permissions as roles
from portal.models import AuditEvent, Notification, User
from requests.staff import changes as staff_changes
from requests.staff import checklist as staff_checklist
from requests.staff import lifecycle as staff_lifecycle
from requests.staff.models import StaffChange, StaffChangeTask
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.factories import PASSWORD, UserFactory
from tests.requests.staff import (
    TODAY,
    confirm_link,
    give,
    leaver_details,
    starter_details,
    temporary_details,
    tick,
)

Kind = StaffChange.Kind
State = StaffChange.State
Task = StaffChangeTask.Kind
NEW_PASSWORD = "Lantern-orchard-winter-42"


@pytest.fixture
def it_colleague(db: None) -> User:
    return UserFactory(email="it2@example.com", groups=[roles.IT_GROUP])


def snapshot() -> tuple[int, int, int, int]:
    """Everything a refused notice must leave untouched."""
    return (
        StaffChange.objects.count(),
        StaffChangeTask.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


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


def _refusal(actor: User, details) -> dict[str, list[str]]:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        give(actor, details)
    assert snapshot() == before, "a refused notice must save nothing"
    return refused.value.message_dict


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


# --- IT's checklist ---------------------------------------------------------------------------
@pytest.fixture
def policy(db: None):
    return publishing.load_seed_policy()


@pytest.fixture
def starter(hr_user, manager, employee, department, it_user, policy) -> StaffChange:
    return give(hr_user, starter_details(department, manager))


@pytest.mark.parametrize("actor", ["hr_user", "manager", "employee"])
def test_only_it_ticks_off_tasks(request, starter, actor) -> None:
    before = snapshot()
    with pytest.raises(staff_changes.TaskRefused, match="Only the IT Department"):
        tick(request.getfixturevalue(actor), starter, Task.EQUIPMENT_ISSUED)
    assert snapshot() == before
    assert not starter.tasks.filter(completed_at__isnull=False).exists()


def test_account_created_makes_the_user_asks_for_the_policy_and_invites_them(
    starter, it_user, manager, department, policy
) -> None:
    task = tick(it_user, starter, Task.ACCOUNT_CREATED, note="Rota access too.")

    assert task.completed_by == it_user and task.completed_at is not None
    assert task.note == "Rota access too."
    person = User.objects.get(email="sam.taylor@example.com")
    starter.refresh_from_db()
    assert starter.person == person
    assert (person.first_name, person.last_name) == ("Sam", "Taylor")
    assert person.employee_number == "N0001"
    assert (person.department, person.line_manager) == (department, manager)
    assert person.start_date == date(2026, 3, 30)
    assert person.employment_type == User.EmploymentType.PERMANENT
    assert person.is_active and not person.has_usable_password()
    assignment = Assignment.objects.get(user=person)
    assert assignment.version == policy
    assert assignment.reason == Assignment.Reason.NEW_STARTER
    assert AuditEvent.objects.filter(action="user.created", object_id=str(person.pk)).exists()

    invitation = Notification.objects.get(recipient=person, kind="sign-in-invitation")
    assert outbox.SECRET_PLACEHOLDER in invitation.body_text
    assert outbox.SECRET_PLACEHOLDER in invitation.body_html
    assert "/accounts/reset/" not in invitation.body_text + invitation.body_html


def test_the_invitation_link_is_made_when_sent_never_stored_and_lets_them_in(
    starter, it_user
) -> None:
    tick(it_user, starter, Task.ACCOUNT_CREATED)
    invitation = Notification.objects.get(kind="sign-in-invitation")
    mail.outbox.clear()
    assert outbox.deliver(invitation.pk)

    message = mail.outbox[0]
    assert message.to == ["sam.taylor@example.com"]
    links = re.findall(r"http://\S+/accounts/reset/(\S+)/(\S+)/", message.body)
    assert len(links) == 1
    uid, token = links[0]
    html = message.alternatives[0].content
    assert f"/accounts/reset/{uid}/{token}/" in html
    invitation.refresh_from_db()
    stored = invitation.body_text + invitation.body_html + invitation.subject + invitation.link
    assert token not in stored

    # The link works: they choose a password and sign in.
    client = Client()
    response = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    assert b"Choose a new password" in response.content
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    signed_in = client.post(
        "/accounts/login/", {"username": "sam.taylor@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    # ... only once: the link dies with the new password.
    assert (
        b"This link has expired"
        in Client().get(f"/accounts/reset/{uid}/{token}/", follow=True).content
    )


def test_an_account_already_in_the_directory_is_linked_not_made_twice(starter, it_user) -> None:
    imported = UserFactory(
        email="sam.taylor@example.com", employee_number="N0001", first_name="Samantha"
    )
    imported.set_unusable_password()
    imported.save()
    # Ticking alone links nothing: IT first sees the differences and confirms.
    before = snapshot()
    with pytest.raises(staff_changes.LinkNeedsConfirmation, match="already in the staff dir"):
        tick(it_user, starter, Task.ACCOUNT_CREATED)
    assert snapshot() == before
    confirm_link(it_user, starter, imported)
    starter.refresh_from_db()
    assert starter.person == imported
    assert starter.account_action == StaffChange.AccountAction.LINKED
    assert User.objects.filter(email="sam.taylor@example.com").count() == 1
    imported.refresh_from_db()
    assert imported.first_name == "Samantha"  # the directory's, not the notice's
    event = AuditEvent.objects.get(action="user.linked")
    assert event.data["reactivated"] is False and event.data["changed"] == []
    assert Notification.objects.filter(recipient=imported, kind="sign-in-invitation").exists()


def test_a_returning_leaver_is_reactivated_and_invited(starter, it_user, manager) -> None:
    former = UserFactory(
        email="sam.taylor@example.com", employee_number="N0001", is_active=False,
        first_name="Samantha", line_manager=None,
    )  # fmt: skip
    former.set_unusable_password()
    former.save()
    with pytest.raises(staff_changes.LinkNeedsConfirmation):
        tick(it_user, starter, Task.ACCOUNT_CREATED)
    former.refresh_from_db()
    assert not former.is_active
    confirm_link(it_user, starter, former)
    former.refresh_from_db()
    assert former.is_active
    # A returner takes the notice's details.
    assert (former.first_name, former.line_manager) == ("Sam", manager)
    starter.refresh_from_db()
    assert starter.account_action == StaffChange.AccountAction.REACTIVATED
    event = AuditEvent.objects.get(action="user.linked")
    assert event.data["reactivated"] is True
    assert {"first_name", "line_manager"} <= set(event.data["changed"])
    assert Notification.objects.filter(recipient=former, kind="sign-in-invitation").exists()


def test_someone_elses_address_is_refused_and_nothing_changes(starter, it_user) -> None:
    UserFactory(email="sam.taylor@example.com", employee_number="X9999")
    before = snapshot()
    with pytest.raises(staff_changes.TaskRefused) as refused:
        tick(it_user, starter, Task.ACCOUNT_CREATED)
    assert str(refused.value) == (
        "sam.taylor@example.com is the portal address of employee X9999, not N0001. Correct the "
        "notice or the staff directory first."
    )
    assert snapshot() == before
    starter.refresh_from_db()
    assert starter.person is None
    assert not starter.tasks.filter(completed_at__isnull=False).exists()


def test_the_policy_task_waits_for_the_account_and_the_signature(starter, it_user) -> None:
    with pytest.raises(staff_changes.TaskRefused, match="Create the portal account first"):
        tick(it_user, starter, Task.POLICY_SIGNED)
    tick(it_user, starter, Task.ACCOUNT_CREATED)
    with pytest.raises(staff_changes.TaskRefused) as refused:
        tick(it_user, starter, Task.POLICY_SIGNED)
    assert str(refused.value) == (
        "Sam Taylor has not signed the policy yet, so access to systems waits (policy 4.6). To "
        "go ahead anyway, record the reason as an override."
    )
    assert not starter.tasks.get(kind=Task.POLICY_SIGNED).is_done


def test_the_policy_task_closes_with_an_override_reason(starter, it_user) -> None:
    tick(it_user, starter, Task.ACCOUNT_CREATED)
    task = tick(
        it_user, starter, Task.POLICY_SIGNED, override_reason="Signed on paper at induction."
    )
    assert task.override_reason == "Signed on paper at induction."
    event = AuditEvent.objects.filter(action="staff_change.task_completed").first()  # newest
    assert event.data == {"task": Task.POLICY_SIGNED, "override": True}


def test_the_policy_task_closes_once_signed_and_ignores_an_override(starter, it_user) -> None:
    tick(it_user, starter, Task.ACCOUNT_CREATED)
    person = User.objects.get(email="sam.taylor@example.com")
    person.set_password(PASSWORD)
    person.save()
    AcknowledgementFactory(user=person)
    task = tick(it_user, starter, Task.POLICY_SIGNED, override_reason="Not needed")
    assert task.is_done and task.override_reason == ""


def test_the_last_task_closes_the_notice_and_tells_the_manager_and_hr(
    starter, it_user, manager, hr_user
) -> None:
    tick(it_user, starter, Task.ACCOUNT_CREATED)
    tick(it_user, starter, Task.EQUIPMENT_ISSUED)
    assert not Notification.objects.filter(kind="staff-change-done").exists()
    tick(it_user, starter, Task.POLICY_SIGNED, override_reason="Signed on paper.")

    starter.refresh_from_db()
    assert starter.state == State.CLOSED and starter.closed_at is not None
    done = Notification.objects.filter(kind="staff-change-done")
    assert sorted(n.recipient.email for n in done) == [hr_user.email, manager.email]
    assert "without the policy signed: Signed on paper." in done[0].body_text
    assert AuditEvent.objects.filter(action="staff_change.closed").count() == 1


def test_a_task_cannot_be_ticked_twice(starter, it_user) -> None:
    tick(it_user, starter, Task.EQUIPMENT_ISSUED)
    with pytest.raises(staff_changes.TaskRefused, match="was already ticked off by"):
        tick(it_user, starter, Task.EQUIPMENT_ISSUED)


def test_a_cancelled_notice_cannot_be_worked(starter, it_user, hr_user) -> None:
    staff_changes.cancel_notice(actor=hr_user, notice=starter, reason="Offer withdrawn.")
    with pytest.raises(staff_changes.TaskRefused, match="is cancelled: it can no longer change"):
        tick(it_user, starter, Task.EQUIPMENT_ISSUED)


def test_it_sends_the_invitation_again_until_a_password_is_chosen(starter, it_user) -> None:
    with pytest.raises(staff_changes.TaskRefused, match="no portal account yet"):
        staff_changes.resend_invitation(actor=it_user, notice=starter)
    tick(it_user, starter, Task.ACCOUNT_CREATED)
    staff_changes.resend_invitation(actor=it_user, notice=starter)
    assert Notification.objects.filter(kind="sign-in-invitation").count() == 2
    person = User.objects.get(email="sam.taylor@example.com")
    person.set_password(NEW_PASSWORD)
    person.save()
    with pytest.raises(staff_changes.TaskRefused, match="already chosen a password"):
        staff_changes.resend_invitation(actor=it_user, notice=starter)


# --- Temporary workers: extension -------------------------------------------------------------
@pytest.fixture
def temporary(hr_user, manager, employee, department, it_user, policy) -> StaffChange:
    notice = give(hr_user, temporary_details(department, manager))
    tick(it_user, notice, Task.TEMPORARY_ACCOUNT)
    notice.refresh_from_db()
    return notice


def test_a_temporary_account_ends_on_the_access_end_date(temporary) -> None:
    person = temporary.person
    assert person.employment_type == User.EmploymentType.TEMPORARY
    assert (person.start_date, person.end_date) == (date(2026, 3, 23), date(2026, 4, 17))


@pytest.mark.parametrize("actor", ["manager", "hr_user"])
def test_the_manager_or_hr_extends_a_temporary_workers_access(
    request, temporary, actor, it_user
) -> None:
    staff_changes.extend_access(
        actor=request.getfixturevalue(actor),
        notice=temporary,
        end_date=date(2026, 5, 15),
        today=TODAY,
    )
    temporary.refresh_from_db()
    assert temporary.end_date == date(2026, 5, 15)
    assert temporary.tasks.get(kind=Task.ACCESS_REVOKED).due_date == date(2026, 5, 15)
    assert User.objects.get(pk=temporary.person_id).end_date == date(2026, 5, 15)
    event = AuditEvent.objects.get(action="staff_change.extended")
    assert event.data == {"from": "2026-04-17", "to": "2026-05-15"}
    told = Notification.objects.get(kind="staff-change-update", recipient=it_user)
    assert "extended from 17 April 2026 to 15 May 2026" in told.body_text


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (date(2026, 4, 17), "Choose a date after the current access end date, 17 April 2026."),
        (date(2026, 4, 1), "Choose a date after the current access end date, 17 April 2026."),
    ],
)
def test_an_extension_must_move_the_date_later(temporary, manager, end, message) -> None:
    before = snapshot()
    with pytest.raises(staff_changes.TaskRefused) as refused:
        staff_changes.extend_access(actor=manager, notice=temporary, end_date=end, today=TODAY)
    assert str(refused.value) == message
    assert snapshot() == before


def test_an_extension_cannot_end_in_the_past(temporary, manager) -> None:
    with pytest.raises(staff_changes.TaskRefused, match="has already passed"):
        staff_changes.extend_access(
            actor=manager, notice=temporary, end_date=date(2026, 4, 20), today=date(2026, 4, 21)
        )


@pytest.mark.parametrize("actor", ["employee", "outsider", "it_user"])
def test_only_the_manager_or_hr_extend(request, temporary, actor) -> None:
    with pytest.raises(staff_changes.TaskRefused, match="line manager or HR"):
        staff_changes.extend_access(
            actor=request.getfixturevalue(actor),
            notice=temporary,
            end_date=date(2026, 5, 15),
            today=TODAY,
        )


def test_nothing_to_extend_once_access_is_revoked(temporary, manager, it_user) -> None:
    tick(it_user, temporary, Task.ACCESS_REVOKED)
    with pytest.raises(staff_changes.TaskRefused, match="is closed"):
        staff_changes.extend_access(
            actor=manager, notice=temporary, end_date=date(2026, 5, 15), today=TODAY
        )


def test_a_leaver_has_no_end_date_to_extend(manager, employee) -> None:
    notice = give(manager, leaver_details(employee))
    with pytest.raises(staff_changes.TaskRefused, match="Only a temporary worker"):
        staff_changes.extend_access(
            actor=manager, notice=notice, end_date=date(2026, 5, 15), today=TODAY
        )


# --- Cancelling -------------------------------------------------------------------------------
def test_cancelling_needs_a_reason_and_tells_it(manager, employee, it_user) -> None:
    notice = give(manager, leaver_details(employee))
    with pytest.raises(staff_changes.TaskRefused, match="Say why"):
        staff_changes.cancel_notice(actor=manager, notice=notice, reason="  ")
    staff_changes.cancel_notice(actor=manager, notice=notice, reason="They are staying.")
    notice.refresh_from_db()
    assert (notice.state, notice.cancel_reason) == (State.CANCELLED, "They are staying.")
    told = Notification.objects.get(kind="staff-change-update", recipient=it_user)
    assert "They are staying." in told.body_text


def test_an_outsider_cannot_cancel(manager, employee, outsider) -> None:
    notice = give(manager, leaver_details(employee))
    with pytest.raises(staff_changes.TaskRefused):
        staff_changes.cancel_notice(actor=outsider, notice=notice, reason="No.")


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
