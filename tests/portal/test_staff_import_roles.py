"""The staff import and the accounts that run the portal: HR's file never changes a role
holder's account, nor HR's own; an administrator's import may."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from portal import outbox, permissions
from portal.models import AuditEvent, Notification, User
from portal.staff_import import RowError, import_staff
from tests.factories import PASSWORD, UserFactory
from tests.portal.import_jobs_helpers import eager_imports, post_import
from tests.portal.test_staff_import import person, staff_csv

pytestmark = pytest.mark.django_db
__all__ = ["eager_imports"]

HR_MAILBOX = "hr.shared@example.com"  # an address HR reads


def row_for(user: User, **fields: str) -> dict[str, str]:
    """A directory row that leaves ``user`` exactly as they are, but for ``fields``."""
    email = fields.pop("email", user.email)
    values = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "department": user.department.name if user.department else "Residential Care",
        "job_title": user.job_title,
        "start_date": user.start_date.isoformat() if user.start_date else "2024-01-15",
        "end_date": user.end_date.isoformat() if user.end_date else "",
        "line_manager_email": user.line_manager.email if user.line_manager else "",
        **fields,
    }
    return person(user.employee_number, email, **values)


def reset_links(client, email: str) -> list[str]:
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    outbox.sweep()  # reset mail goes through the outbox
    return [line for m in mail.outbox for line in m.body.splitlines() if "/accounts/reset/" in line]


def test_hr_cannot_point_a_superusers_address_at_a_mailbox_hr_reads(client, hr_user, superuser):
    """The reported attack: the import changed an administrator's address, and a password reset
    to it gave HR the administrator's account."""
    data = staff_csv(row_for(superuser, email=HR_MAILBOX))

    result = import_staff(actor=hr_user, data=data)

    assert (result.created, result.updated, result.errors) == (0, 0, [])
    assert result.held == [
        RowError(
            2,
            "would change email of the account of admin@example.com, who holds a portal role "
            "(administrator): left unchanged for an administrator to apply",
        )
    ]
    superuser.refresh_from_db()
    assert superuser.email == "admin@example.com"
    assert not User.objects.filter(email=HR_MAILBOX).exists()
    assert reset_links(client, HR_MAILBOX) == []
    assert not AuditEvent.objects.filter(action__in=["user.updated", "user.email_changed"])
    # The attempt leaves a trace.
    held = AuditEvent.objects.get(action="user.import_held")
    assert (held.actor, held.object_id) == (hr_user, str(superuser.pk))
    assert held.data == {"line": 2, "changed": ["email"]}


@pytest.mark.usefixtures("eager_imports")
def test_hr_page_lists_held_rows_and_leaves_the_account(client, hr_user, superuser):
    client.force_login(hr_user)

    response = post_import(client, staff_csv(row_for(superuser, email=HR_MAILBOX)))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-held"' in html
    assert "<li>Left for an administrator: 1</li>" in html
    assert "<tr><td>2</td><td>would change email of the account of admin@example.com" in html
    assert "were left for an administrator" in html
    superuser.refresh_from_db()
    assert superuser.email == "admin@example.com"


@pytest.mark.parametrize(
    ("who", "fields", "changed", "roles"),
    [
        ("it_user", {"first_name": "Mallory"}, "first name", "IT"),
        ("it_user", {"last_name": "Mallory", "job_title": "Nobody"}, "job title, last name", "IT"),
        # A past end date is how a directory says someone has gone.
        ("reviewer", {"end_date": "2024-02-01"}, "end date", "Policy reviewers"),
        ("reviewer", {"employment_type": "Temporary"}, "employment type", "Policy reviewers"),
        ("staff_member", {"department": "Elsewhere"}, "department", "Django admin access"),
        ("superuser", {"line_manager_email": "hr@example.com"}, "line manager", "administrator"),
    ],
)
def test_hr_cannot_change_a_role_holders_account(
    request, hr_user, who, fields, changed, roles
) -> None:
    if who == "staff_member":
        user = UserFactory(email="staff@example.com", is_staff=True)
    else:
        user = request.getfixturevalue(who)
    before = User.objects.filter(pk=user.pk).values().get()

    result = import_staff(actor=hr_user, data=staff_csv(row_for(user, **fields)))

    assert result.held == [
        RowError(
            2,
            f"would change {changed} of the account of {user.email}, who holds a portal role "
            f"({roles}): left unchanged for an administrator to apply",
        )
    ]
    assert User.objects.filter(pk=user.pk).values().get() == before


def test_a_closed_role_holders_account_is_left_alone_too(hr_user) -> None:
    """Reopened, the account has its role again: its address matters while it is closed."""
    former = UserFactory(email="former.it@example.com", groups=[permissions.IT_GROUP])
    User.objects.filter(pk=former.pk).update(is_active=False)

    result = import_staff(actor=hr_user, data=staff_csv(row_for(former, email=HR_MAILBOX)))

    assert [row.line for row in result.held] == [2]
    former.refresh_from_db()
    assert (former.email, former.is_active) == ("former.it@example.com", False)


def test_hr_cannot_change_their_own_account(hr_user) -> None:
    data = staff_csv(row_for(hr_user, email="me@elsewhere.example", first_name="Me"))

    result = import_staff(actor=hr_user, data=data)

    assert result.held == [
        RowError(
            2,
            "would change email, first name of your own account: left unchanged for an "
            "administrator to apply",
        )
    ]
    hr_user.refresh_from_db()
    assert hr_user.email == "hr@example.com"


def test_a_row_cannot_take_a_role_holders_account_by_employee_number(hr_user, superuser):
    taken = row_for(superuser, email="new.person@example.com", first_name="New")

    result = import_staff(actor=hr_user, data=staff_csv(taken))

    assert [row.line for row in result.held] == [2]
    assert result.created == 0
    superuser.refresh_from_db()
    assert (superuser.email, superuser.first_name) != ("new.person@example.com", "New")


def test_a_row_cannot_take_a_role_holders_account_by_its_address(hr_user, it_user, employee):
    """An employee's number with the IT account's address, or a new number for an IT account
    that has none: neither moves the address nor the account."""
    User.objects.filter(pk=it_user.pk).update(employee_number=None)

    by_number = import_staff(actor=hr_user, data=staff_csv(row_for(employee, email=it_user.email)))
    new_number = import_staff(
        actor=hr_user, data=staff_csv(person("E900", it_user.email.upper(), first_name="Eve"))
    )

    assert by_number.errors == [RowError(2, "email it@example.com belongs to another person")]
    assert (new_number.created, [row.line for row in new_number.held]) == (0, [2])
    it_user.refresh_from_db()
    employee.refresh_from_db()
    assert (it_user.employee_number, it_user.email) == (None, "it@example.com")
    assert employee.email == "employee@example.com"


def test_rows_that_change_nothing_of_a_role_holder_are_not_held(hr_user, superuser, employee):
    """A role holder in HR's full export is fine as long as the row matches the account, and
    others may still name them as line manager."""
    data = staff_csv(
        row_for(superuser),
        row_for(employee, line_manager_email="Admin@Example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert (result.unchanged, result.updated, result.held, result.errors) == (1, 1, [], [])
    employee.refresh_from_db()
    assert employee.line_manager == superuser


def test_a_superusers_import_applies_changes_to_role_holders(superuser, it_user) -> None:
    data = staff_csv(row_for(it_user, email="new.it@example.com", first_name="Ivy"))

    result = import_staff(actor=superuser, data=data)

    assert (result.updated, result.held, result.errors) == (1, [], [])
    it_user.refresh_from_db()
    assert (it_user.email, it_user.first_name) == ("new.it@example.com", "Ivy")
    # The change of address had its side effects: the old address is told.
    notice = Notification.objects.get(kind="email-changed", recipient=it_user)
    assert notice.address == "it@example.com"


def test_the_command_is_an_administrators_import(tmp_path, superuser) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(staff_csv(row_for(superuser, first_name="Ada", end_date="2099-12-31")))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_staff", str(path), stdout=out, stderr=err)

    assert out.getvalue() == "Imported 1 people: 0 new, 1 updated, 0 unchanged; 0 rows rejected.\n"
    assert err.getvalue() == ""
    superuser.refresh_from_db()
    assert (superuser.first_name, superuser.end_date) == ("Ada", date(2099, 12, 31))
    assert superuser.check_password(PASSWORD)


def test_hr_cannot_point_a_budget_holders_address_at_a_mailbox_hr_reads(
    client, hr_user, manager, employee
):
    """A budget holder authorises spending: HR taking their address would authorise HR's own
    costs. Their other details stay HR's to keep up to date."""
    data = staff_csv(row_for(manager, email=HR_MAILBOX))

    result = import_staff(actor=hr_user, data=data)

    assert result.held == [
        RowError(
            2,
            "would change email of the account of manager@example.com, a department's budget "
            "holder: left unchanged for an administrator to apply",
        )
    ]
    manager.refresh_from_db()
    assert manager.email == "manager@example.com"
    assert reset_links(client, HR_MAILBOX) == []
    # An ordinary change, a new job title, goes through.
    result = import_staff(actor=hr_user, data=staff_csv(row_for(manager, job_title="Head of Care")))
    assert (result.updated, result.held) == (1, [])
    manager.refresh_from_db()
    assert manager.job_title == "Head of Care"


def test_a_reset_to_an_ordinary_address_is_sent(client, employee):
    """The reset helper above does see a link when one is sent."""
    assert len(reset_links(client, employee.email)) == 1
