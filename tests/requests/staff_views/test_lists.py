"""The lists of notices: HR's list, IT's board, IT's home page and the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory
from tests.helpers import signed_in
from tests.requests.staff import give, leaver_details, starter_details
from tests.requests.staff_views.helpers import snapshot

LIST_URL = reverse("requests:staff_changes")

BOARD_URL = reverse("requests:staff_board")


# --- The list of notices ----------------------------------------------------------------------
def test_the_list_needs_signing_in(client: Client) -> None:
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["employee", "outsider", "reviewer"])
def test_employees_cannot_see_the_list(client: Client, request, actor) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(LIST_URL)
    assert response.status_code == 403
    assert b"Only HR, line managers and IT see notices" in response.content


def test_a_manager_lists_only_their_own_team(
    client: Client, manager, leaver_notice, outsiders_notice
) -> None:
    response = signed_in(client, manager).get(LIST_URL)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [leaver_notice]
    assert b"Emma Jones" in response.content
    assert outsiders_notice.full_name.encode() not in response.content


@pytest.mark.parametrize("actor", ["hr_user", "it_user"])
def test_hr_and_it_list_every_notice(
    client: Client, request, actor, leaver_notice, outsiders_notice
) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(LIST_URL)
    assert set(response.context["page"].object_list) == {leaver_notice, outsiders_notice}


def test_the_list_is_read_only(client: Client, hr_user) -> None:
    assert signed_in(client, hr_user).post(LIST_URL).status_code == 405


# --- IT's board -------------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["employee", "manager", "hr_user", "reviewer"])
def test_only_it_opens_the_board(client: Client, request, actor) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(BOARD_URL)
    assert response.status_code == 403
    assert b"Only the IT Department works the staff changes board." in response.content


def test_the_board_is_read_only(client: Client, it_user) -> None:
    assert signed_in(client, it_user).post(BOARD_URL).status_code == 405


def test_the_board_marks_overdue_tasks(
    client: Client, it_user, hr_user, manager, employee, department, soon
) -> None:
    past = soon["today"] - timedelta(days=3)
    late = give(manager, leaver_details(employee, end_date=past), today=past)
    response = signed_in(client, it_user).get(BOARD_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-pk="{late.pk}" class="table-danger"' in html
    assert 'data-testid="overdue"' in html


@pytest.mark.parametrize("count", [2, 20])
def test_the_board_takes_the_same_queries_for_any_number(
    client: Client, it_user, hr_user, manager, employee, department, soon, count: int
) -> None:
    for n in range(count):
        give(
            hr_user,
            starter_details(
                department, manager, email=f"s{n}@example.com", employee_number=f"S{n}",
                start_date=soon["start"],
            ),
            today=soon["today"],
        )  # fmt: skip
    client = signed_in(client, it_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD_URL)
    assert len(response.context["page"].object_list) == count
    # The same for 2 or 20 notices: the session and the menu, then the count, rows and tasks.
    assert len(queries.captured_queries) == 12


def test_the_board_filters_by_kind(client: Client, it_user, leaver_notice, temporary_notice):
    response = signed_in(client, it_user).get(BOARD_URL, {"kind": "temporary"})
    assert list(response.context["page"].object_list) == [temporary_notice]
    response = client.get(BOARD_URL, {"kind": "nonsense", "state": "open"})
    assert set(response.context["page"].object_list) == {leaver_notice, temporary_notice}


def test_unknown_users_are_not_listed(client: Client, db) -> None:
    stranger = UserFactory()
    assert signed_in(client, stranger).get(BOARD_URL).status_code == 403


# --- IT's home page ---------------------------------------------------------------------------
def test_it_is_told_of_overdue_and_coming_tasks_on_the_home_page(
    client: Client, it_user, hr_user, manager, employee, department, soon
) -> None:
    past = soon["today"] - timedelta(days=3)
    give(manager, leaver_details(employee, end_date=past), today=past)  # revoke overdue
    give(
        hr_user,
        starter_details(department, manager, start_date=soon["today"] + timedelta(days=5)),
        today=soon["today"],
    )
    todo = signed_in(client, it_user).get(reverse("home")).context["todo"]
    mine = [item for item in todo if item.url == BOARD_URL]
    assert len(mine) == 1
    assert mine[0].urgent
    # Revocation overdue; equipment back within 5 working days of 3 days ago, and the
    # starter's account and equipment before their start in 5 days, all due within the week.
    assert mine[0].title == "Staff changes: 4 tasks to do"
    assert mine[0].detail.startswith("1 overdue, 3 due within a week.")


@pytest.mark.parametrize("actor", ["hr_user", "manager", "employee"])
def test_only_it_has_the_starters_and_leavers_item(client: Client, request, actor, leaver_notice):
    todo = signed_in(client, request.getfixturevalue(actor)).get(reverse("home")).context["todo"]
    assert not [item for item in todo if item.url == BOARD_URL]


# --- The Django admin -------------------------------------------------------------------------
def test_the_admin_shows_notices_read_only(client: Client, superuser, leaver_notice) -> None:
    client = signed_in(client, superuser)
    listing = client.get(reverse("admin:requests_staffchange_changelist"))
    assert listing.status_code == 200
    assert leaver_notice.reference.encode() in listing.content
    page = client.get(reverse("admin:requests_staffchange_change", args=[leaver_notice.pk]))
    assert page.status_code == 200
    assert b"Access revoked" in page.content
    assert client.get(reverse("admin:requests_staffchange_add")).status_code == 403
    before = snapshot()
    client.post(
        reverse("admin:requests_staffchange_delete", args=[leaver_notice.pk]), {"post": "yes"}
    )
    assert snapshot()[0] == before[0]
