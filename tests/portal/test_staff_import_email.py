"""A change of an account's e-mail address, by the staff import or in the admin: the old
address is told, the account's other sessions end, and one-time links made before stop
working (``portal.accounts.emails_changed``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import outbox
from portal.models import AuditEvent, Notification, User
from portal.outbox import delivery, sweeping
from portal.staff_import import import_staff
from requests.staff.lifecycle import INVITATION_KIND
from tests.factories import PASSWORD, NotificationFactory, UserFactory
from tests.portal.test_staff_import import staff_csv
from tests.portal.test_staff_import_roles import row_for

pytestmark = pytest.mark.django_db

NEW = "emma.jones@newname.example.com"


def move(hr_user: User, user: User, email: str = NEW) -> None:
    result = import_staff(actor=hr_user, data=staff_csv(row_for(user, email=email)))
    assert (result.updated, result.errors, result.held) == (1, [], [])


def signed_in(user: User) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    return client


def test_the_old_address_is_told(hr_user, employee) -> None:
    move(hr_user, employee)

    notice = Notification.objects.get(kind="email-changed")
    assert (notice.recipient, notice.address) == (employee, "employee@example.com")
    assert outbox.deliver(notice.pk)
    [message] = mail.outbox
    assert message.to == ["employee@example.com"]
    assert "from employee@example.com to emma.jones@newname.example.com" in message.body
    assert "If you did not expect this" in message.body
    event = AuditEvent.objects.get(action="user.email_changed")
    assert (event.actor, event.object_id) == (hr_user, str(employee.pk))
    assert event.data == {"from": "employee@example.com", "to": NEW, "source": "upload"}


def test_the_accounts_sessions_end(hr_user, employee, manager) -> None:
    theirs, others = signed_in(employee), signed_in(manager)
    session_key = theirs.session.session_key

    move(hr_user, employee)

    response = theirs.get("/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/")
    assert not Session.objects.filter(session_key=session_key).exists()
    assert others.get("/").status_code == 200
    # The person signs in again with the new address and the same password.
    assert signed_in(User.objects.get(email=NEW)).get("/").status_code == 200


def test_a_reset_link_sent_before_the_change_is_refused_after_it(client, hr_user, employee):
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": "employee@example.com"})
    outbox.sweep()  # reset mail goes through the outbox
    [link] = [line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line]
    path = link.strip()[link.strip().index("/accounts/reset/") :]
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert default_token_generator.check_token(employee, token)

    move(hr_user, employee)

    employee.refresh_from_db()
    assert not default_token_generator.check_token(employee, token)
    page = client.get(path, follow=True)
    assert page.context["validlink"] is False


def test_an_invitation_waiting_in_the_outbox_is_not_sent(hr_user, employee) -> None:
    invitation = NotificationFactory(
        recipient=employee, kind=INVITATION_KIND, body_text=outbox.SECRET_PLACEHOLDER
    )

    move(hr_user, employee)

    assert outbox.sweep() == 1  # the notice to the old address alone
    invitation.refresh_from_db()
    assert invitation.status == Notification.Status.FAILED
    assert "address changed" in invitation.last_error
    assert [m.to for m in mail.outbox] == [["employee@example.com"]]
    assert "/accounts/reset/" not in mail.outbox[0].body


def test_an_invitation_picked_up_before_the_change_makes_no_link(employee) -> None:
    """A sweep read the old address just before the change: the link, made for the account as
    it now is, is not sent there."""
    NotificationFactory(recipient=employee, kind=INVITATION_KIND, body_text="Your link")
    [message] = sweeping.lease(10, timezone.now())
    User.objects.filter(pk=employee.pk).update(email=NEW)

    outcome, fields = delivery.send(message, None, timezone.now())

    assert not outcome.handled
    assert "address changed" in fields["last_error"]
    assert mail.outbox == []


def test_another_case_of_the_same_address_is_not_a_change(hr_user, employee) -> None:
    User.objects.filter(pk=employee.pk).update(email="Employee@Example.com")
    employee.refresh_from_db()
    client = Client()
    client.force_login(employee)

    move(hr_user, employee, email="employee@example.com")

    assert not Notification.objects.filter(kind="email-changed").exists()
    assert client.get("/").status_code == 200


def test_the_database_refuses_one_address_in_two_cases(employee) -> None:
    with pytest.raises(IntegrityError):
        UserFactory(email="EMPLOYEE@example.com")


# --- The admin's user form --------------------------------------------------------------------
def admin_form(user: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "employee_number": user.employee_number or "",
        "job_title": user.job_title,
        "department": user.department_id or "",
        "line_manager": user.line_manager_id or "",
        "employment_type": user.employment_type,
        "start_date": user.start_date.isoformat() if user.start_date else "",
        "end_date": "",
        "is_active": "on",
        "groups": [],
    }
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return data


def test_an_address_changed_in_the_admin_has_the_same_effects(superuser, employee) -> None:
    theirs = signed_in(employee)
    admin = signed_in(superuser)

    response = admin.post(
        reverse("admin:portal_user_change", args=[employee.pk]), admin_form(employee, email=NEW)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    employee.refresh_from_db()
    assert employee.email == NEW
    notice = Notification.objects.get(kind="email-changed")
    assert notice.address == "employee@example.com"
    event = AuditEvent.objects.get(action="user.email_changed")
    assert (event.actor, event.data["source"]) == (superuser, "admin")
    assert theirs.get("/").status_code == 302


def test_an_administrator_changing_their_own_address_stays_signed_in_here(superuser) -> None:
    elsewhere = signed_in(superuser)
    here = signed_in(superuser)

    response = here.post(
        reverse("admin:portal_user_change", args=[superuser.pk]),
        admin_form(superuser, email="root@example.com"),
    )

    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_a_session_made_before_any_stamp_stays_valid(employee) -> None:
    """Deploying the stamp signs nobody out: with none, the hash is Django's own."""
    assert employee.session_stamp == ""
    assert employee.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(employee)
