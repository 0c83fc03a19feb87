"""Linking a notice to an existing account."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import User
from requests.staff.models import StaffChange, StaffChangeTask
from tests.factories import UserFactory
from tests.helpers import messages_of, signed_in
from tests.requests.staff import give, temporary_details
from tests.requests.staff_views.helpers import Task, snapshot, url


# --- Linking a notice to an existing account --------------------------------------------------
@pytest.fixture
def linkable(hr_user, manager, employee, department, soon) -> tuple[StaffChange, User]:
    """HR's temporary notice for someone already in the directory, with other details there."""
    UserFactory(email="other.boss@example.com")
    person = UserFactory(
        email="tara.agency@example.com", first_name="Tara", last_name="Agency-Smith",
        line_manager=User.objects.get(email="other.boss@example.com"),
    )  # fmt: skip
    details = temporary_details(department, manager, start_date=soon["start"], end_date=soon["end"])
    return give(hr_user, details, today=soon["today"]), person


def _account_task(notice: StaffChange) -> StaffChangeTask:
    return notice.tasks.get(kind=Task.TEMPORARY_ACCOUNT)


def test_ticking_shows_the_differences_and_links_nothing(client: Client, it_user, linkable):
    notice, person = linkable
    client = signed_in(client, it_user)
    before = snapshot()
    response = client.post(url("staff_change_task", notice, _account_task(notice).pk), {})
    assert response.status_code == 200
    assert snapshot() == before
    html = response.content.decode()
    assert "is already in the staff directory" in html
    rows = {row.label: row for row in response.context["preview"].differences}
    assert (rows["Name"].on_notice, rows["Name"].in_directory) == ("Tara Agency", person.full_name)
    assert "other.boss@example.com" in rows["Line manager"].in_directory
    assert "manager@example.com" in rows["Line manager"].on_notice
    assert rows["Employment type"].on_notice == "Temporary"
    assert rows["Employment type"].in_directory == "Permanent"
    assert rows["End date"].in_directory == "None"
    differing = {label for label, row in rows.items() if row.differs}
    assert {"Name", "Line manager", "Employment type", "End date"} <= differing
    assert "Email address" not in differing
    assert html.count('data-testid="differs"') == len(differing)
    assert "confirming only links the notice to it. None of its details change" in html
    assert "Stays as it is" in html and "Changes to the notice's" not in html
    # The same page from its own address.
    response = client.get(url("staff_change_link", notice))
    assert response.status_code == 200
    assert response.context["preview"].account == person


def test_the_tick_button_never_links_however_often_pressed(client: Client, it_user, linkable):
    notice, _person = linkable
    client = signed_in(client, it_user)
    for _ in range(2):
        client.post(url("staff_change_task", notice, _account_task(notice).pk), {"note": "Go"})
    notice.refresh_from_db()
    assert notice.person is None and not _account_task(notice).is_done


def test_it_links_only_after_confirming_on_the_page(client: Client, it_user, linkable) -> None:
    notice, person = linkable
    client = signed_in(client, it_user)
    form = {"account": person.pk, "reactivate": "no", "note": "Checked with HR."}
    before = snapshot()
    response = client.post(url("staff_change_link", notice), form)
    assert response.status_code == 200
    assert "Tick the box to confirm that the notice is about this person" in (
        response.content.decode()
    )
    assert snapshot() == before
    response = client.post(url("staff_change_link", notice), {**form, "same_person": "on"})
    assert response.status_code == 302
    assert messages_of(response) == [
        f"{notice.reference} is linked to Tara Agency-Smith's account; none of its details changed."
    ]
    notice.refresh_from_db()
    person.refresh_from_db()
    assert (notice.person, notice.account_action) == (person, "linked")
    assert (person.last_name, person.employment_type, person.end_date) == (
        "Agency-Smith",
        "permanent",
        None,
    )
    task = _account_task(notice)
    assert (task.completed_by, task.note) == (it_user, "Checked with HR.")
    page = client.get(url("staff_change", notice)).content.decode()
    assert "An active account, linked with its details unchanged" in page


def test_a_confirmation_for_another_account_is_shown_again(
    client: Client, it_user, employee, linkable
) -> None:
    notice, _person = linkable
    client = signed_in(client, it_user)
    before = snapshot()
    response = client.post(
        url("staff_change_link", notice),
        {"account": employee.pk, "reactivate": "no", "same_person": "on", "note": "Kept"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The staff directory has changed since this page was shown." in html
    assert snapshot() == before
    assert response.context["form"]["note"].value() == "Kept"


def test_the_link_page_without_an_existing_account_goes_back(
    client: Client, it_user, temporary_notice
) -> None:
    response = signed_in(client, it_user).get(url("staff_change_link", temporary_notice))
    assert response.status_code == 302
    assert response["Location"] == url("staff_change", temporary_notice)


@pytest.mark.parametrize(("actor", "status"), [("hr_user", 403), ("manager", 403)])
def test_only_it_links(client: Client, request, linkable, actor, status) -> None:
    notice, person = linkable
    client = signed_in(client, request.getfixturevalue(actor))
    assert client.get(url("staff_change_link", notice)).status_code == status
    response = client.post(
        url("staff_change_link", notice),
        {"account": person.pk, "reactivate": "no", "same_person": "on"},
    )
    assert response.status_code == status
    notice.refresh_from_db()
    assert notice.person is None


def test_another_manager_does_not_find_the_link_page(client: Client, outsider, linkable):
    notice, _person = linkable
    other = signed_in(client, outsider.line_manager)
    assert other.get(url("staff_change_link", notice)).status_code == 404
