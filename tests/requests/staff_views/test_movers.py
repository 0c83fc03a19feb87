"""Mover notices through the pages: the form, the notice's page, IT's board and HR's list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import scheduling
from requests.staff.models import StaffChange
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import signed_in
from tests.requests.staff import give, mover_details, starter_details, tick
from tests.requests.staff_views.helpers import snapshot

NEW = reverse("requests:staff_change_new", args=["mover"])
BOARD_URL = reverse("requests:staff_board")
LIST_URL = reverse("requests:staff_changes")


@pytest.fixture
def new_manager(db: None) -> object:
    return UserFactory(
        email="new.manager@example.com",
        first_name="Nia",
        last_name="Hart",
        department=DepartmentFactory(name="Day Services"),
    )


def test_the_kinds_page_offers_a_mover(client: Client, hr_user) -> None:
    response = signed_in(client, hr_user).get(reverse("requests:staff_change_kind"))
    assert NEW.encode() in response.content and b"Notify IT of a mover" in response.content


def test_a_manager_moves_a_report_through_the_form(
    client: Client, manager, employee, new_manager, it_user, soon
) -> None:
    response = signed_in(client, manager).post(
        NEW,
        {
            "mover": employee.email,
            "effective_date": soon["start"].strftime("%d/%m/%Y"),
            "new_line_manager": new_manager.email,
            "job_title": "Senior Support Worker",
        },
        follow=True,
    )
    notice = StaffChange.objects.get(kind=StaffChange.Kind.MOVER)
    assert response.redirect_chain[-1][0] == reverse("requests:staff_change", args=[notice.pk])
    page = response.content.decode()
    assert "Morgan Lee → Nia Hart" in page
    assert "Support Worker → Senior Support Worker" in page
    assert "Changes by itself on the effective date" in page
    # The old manager still sees it after the move; IT sees its checklist.
    scheduling.run_job("staff-movers", now=timezone.now() + timedelta(days=15))
    assert client.get(reverse("requests:staff_change", args=[notice.pk])).status_code == 200
    it_page = signed_in(Client(), it_user).get(reverse("requests:staff_change", args=[notice.pk]))
    assert b"Line manager, department and budget holder updated" in it_page.content
    assert b"Updated on" in it_page.content


def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(
    client: Client, hr_user, employee, soon
) -> None:
    signed_in(client, hr_user)
    before = snapshot()
    response = client.post(
        NEW,
        {
            "mover": employee.email,
            "effective_date": "31/02/2026",
            "new_line_manager": "employee@example.com",
            "job_title": "x" * 200,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "Enter a real date" in form.errors["effective_date"][0]
    assert "job_title" in form.errors
    assert snapshot() == before
    response = client.post(
        NEW,
        {
            "mover": employee.email,
            "effective_date": soon["start"].isoformat(),
            "new_line_manager": employee.email,
        },
    )
    assert (
        "Nobody can be their own line manager"
        in response.context["form"].errors["new_line_manager"][0]
    )
    assert response.context["form"].data["mover"] == employee.email  # kept to correct
    assert snapshot() == before


def test_a_held_move_says_why_on_its_page(
    client: Client, hr_user, employee, new_manager, soon
) -> None:
    notice = give(
        hr_user,
        mover_details(employee, effective_date=soon["start"], new_line_manager=new_manager.email),
        today=soon["today"],
    )
    new_manager.is_active = False
    new_manager.save()
    StaffChange.objects.filter(pk=notice.pk).update(effective_date=soon["today"])
    page = signed_in(client, hr_user).get(reverse("requests:staff_change", args=[notice.pk]))
    assert b"Not updated: The new line manager, Nia Hart, is no longer active." in page.content


def test_a_starter_without_email_shows_the_letter_not_the_invitation(
    client: Client, hr_user, manager, employee, department, it_user, soon, version
) -> None:
    notice = give(
        hr_user,
        starter_details(
            department, manager, email="", employee_number="N0042", start_date=soon["start"]
        ),
        today=soon["today"],
    )
    tick(it_user, notice, "account_created")
    page = signed_in(client, it_user).get(reverse("requests:staff_change", args=[notice.pk]))
    assert b"Send the invitation again" not in page.content
    assert b"None: signs in with their employee number" in page.content
    hr_page = signed_in(Client(), hr_user).get(reverse("requests:staff_change", args=[notice.pk]))
    assert b"Print their letter" in hr_page.content


@pytest.mark.parametrize("count", [2, 20])
def test_the_board_and_list_take_the_same_queries_for_any_number_of_movers(
    client: Client, it_user, hr_user, manager, department, soon, count: int
) -> None:
    for n in range(count):
        person = UserFactory(email=f"m{n}@example.com", line_manager=manager, department=department)
        give(
            hr_user,
            mover_details(person, effective_date=soon["start"], job_title=f"Lead {n}"),
            today=soon["today"],
        )
    it_client, hr_client = signed_in(client, it_user), signed_in(Client(), hr_user)
    with CaptureQueriesContext(connection) as queries:
        response = it_client.get(BOARD_URL + "?kind=mover")
    assert len(response.context["page"].object_list) == count
    assert response.content.count(b"Moves ") == count
    assert len(queries.captured_queries) == 12  # as for any other kind
    with CaptureQueriesContext(connection) as queries:
        response = hr_client.get(LIST_URL + "?kind=mover")
    assert len(response.context["page"].object_list) == count
    list_queries = len(queries.captured_queries)
    assert list_queries == LIST_QUERIES


LIST_QUERIES = 11  # the session and the menu, then the count and the rows
