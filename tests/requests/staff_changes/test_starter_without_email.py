"""A starter with no email address: notified with an employee number, their account made by
IT's tick, and their first sign-in a printed letter rather than an e-mailed invitation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import Notification, User
from requests.staff import changes as staff_changes
from requests.staff import lifecycle
from requests.staff.models import StaffChange
from tests.requests.staff import give, starter_details, tick
from tests.requests.staff_changes.helpers import Task, _refusal


def no_email_starter(department, manager, number: str = "N0042", **fields):
    return starter_details(department, manager, email="", employee_number=number, **fields)


def test_a_starter_without_email_is_notified_with_an_employee_number(
    hr_user, department, manager, it_user, version
):
    notice = give(hr_user, no_email_starter(department, manager))
    assert (notice.email, notice.employee_number) == ("", "N0042")
    tick(it_user, notice, Task.ACCOUNT_CREATED)
    notice.refresh_from_db()
    person = notice.person
    assert person.email is None and person.employee_number == "N0042"
    assert person.is_active and not person.has_usable_password()
    assert person.line_manager == manager and person.department == department
    # No invitation: there is no address to send it to.
    assert notice.invitations_sent == 0
    assert not Notification.objects.filter(kind=lifecycle.INVITATION_KIND).exists()
    with pytest.raises(staff_changes.TaskRefused, match="first sign-in letter"):
        staff_changes.resend_invitation(actor=it_user, notice=notice)


def test_without_email_the_employee_number_is_required(hr_user, department, manager):
    errors = _refusal(hr_user, no_email_starter(department, manager, number=""))
    assert "employee number" in errors["employee_number"][0]


def test_two_starters_without_email_are_two_notices(hr_user, department, manager):
    give(hr_user, no_email_starter(department, manager, number="N0042"))
    give(hr_user, no_email_starter(department, manager, number="N0043", first_name="Kim"))


def test_the_same_employee_number_twice_is_one_notice(hr_user, department, manager):
    first = give(hr_user, no_email_starter(department, manager))
    errors = _refusal(hr_user, no_email_starter(department, manager, first_name="Kim"))
    assert first.reference in errors["__all__"][0]


def test_a_manager_cannot_use_another_persons_employee_number(
    manager, employee, department, outsider
):
    outsider.employee_number = "X0001"
    outsider.save()
    errors = _refusal(manager, no_email_starter(department, None, number="X0001"))
    assert "you do not manage" in errors["employee_number"][0]


def test_a_manager_cannot_give_notice_of_themself_by_number(manager, employee, department):
    manager.employee_number = "M0001"
    manager.save()
    errors = _refusal(manager, no_email_starter(department, None, number="M0001"))
    assert "Nobody can be their own line manager" in errors["email"][0]
    assert not User.objects.filter(employee_number="M0001").exclude(pk=manager.pk).exists()


def test_a_start_date_at_the_end_of_the_calendar_is_refused_on_the_form(
    client, hr_user, department, manager
):
    client.force_login(hr_user)
    data = {
        "first_name": "Sam",
        "last_name": "Taylor",
        "email": "",
        "employee_number": "N0042",
        "department": str(department.pk),
        "start_date": "30/12/9999",
        "line_manager_email": manager.email,
    }
    response = client.post(reverse("requests:staff_change_new", args=["starter"]), data)
    assert response.status_code == 200
    assert "Enter a date between" in response.context["form"].errors["start_date"][0]
    assert not StaffChange.objects.exists()
