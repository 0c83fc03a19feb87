"""IT's checklist for a notice: the tasks, who ticks them and what ticking does."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail
from django.test import Client

from acknowledgements.models import Assignment
from portal import outbox
from portal.models import AuditEvent, Notification, User
from requests.staff import changes as staff_changes
from requests.staff.models import StaffChange
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.factories import PASSWORD, UserFactory
from tests.requests.staff import confirm_link, tick
from tests.requests.staff_changes.helpers import State, Task, snapshot

NEW_PASSWORD = "Lantern-orchard-winter-42"


# --- IT's checklist ---------------------------------------------------------------------------
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
