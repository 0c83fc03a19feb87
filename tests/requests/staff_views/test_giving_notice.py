"""Giving notice through the pages: who may, and what the form checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Notification
from requests.staff.models import StaffChange
from tests.helpers import messages_of, signed_in
from tests.requests.staff_views.helpers import snapshot, url

Kind = StaffChange.Kind


KIND_URL = reverse("requests:staff_change_kind")


def new_url(kind: str) -> str:
    return reverse("requests:staff_change_new", args=[kind])


# --- Giving notice ----------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["employee", "it_user", "reviewer"])
def test_only_hr_and_managers_give_notice(client: Client, request, actor, department) -> None:
    client = signed_in(client, request.getfixturevalue(actor))
    assert client.get(KIND_URL).status_code == 403
    assert client.get(new_url(Kind.STARTER)).status_code == 403
    response = client.post(new_url(Kind.LEAVER), {"leaver": "employee@example.com"})
    assert response.status_code == 403
    assert not StaffChange.objects.exists()


def test_an_unknown_kind_of_notice_is_not_found(client: Client, hr_user) -> None:
    assert signed_in(client, hr_user).get(new_url("visitor")).status_code == 404


def test_a_manager_is_not_asked_for_a_line_manager(client: Client, manager, employee) -> None:
    form = signed_in(client, manager).get(new_url(Kind.STARTER)).context["form"]
    assert "line_manager_email" not in form.fields
    assert b"You will be their line manager." in client.get(new_url(Kind.STARTER)).content


def test_hr_gives_notice_of_a_starter(
    client: Client, hr_user, manager, employee, department, it_user, soon
) -> None:
    response = signed_in(client, hr_user).post(
        new_url(Kind.STARTER),
        {
            "first_name": "Sam",
            "last_name": "Taylor",
            "email": "sam.taylor@example.com",
            "department": department.pk,
            "line_manager_email": manager.email,
            "start_date": soon["start"].strftime("%d/%m/%Y"),
            "systems": "Care records",
        },
    )
    notice = StaffChange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("staff_change", notice)
    assert messages_of(response) == [
        f"{notice.reference} has gone to the IT Department. You will be told when their "
        "checklist is done."
    ]
    assert (notice.kind, notice.start_date, notice.line_manager) == (
        Kind.STARTER,
        soon["start"],
        manager,
    )
    assert Notification.objects.filter(recipient=it_user, kind="staff-change-new").exists()


def _post_refused(client: Client, kind: str, data: dict) -> str:
    before = snapshot()
    response = client.post(new_url(kind), data)
    assert response.status_code == 200
    assert snapshot() == before, "a refused notice must save nothing"
    return response.content.decode()


def test_bad_dates_are_explained_on_the_form(
    client: Client, hr_user, manager, employee, department, soon
) -> None:
    client = signed_in(client, hr_user)
    base = {
        "first_name": "Tara",
        "last_name": "Agency",
        "email": "tara@example.com",
        "department": department.pk,
        "line_manager_email": manager.email,
        "start_date": soon["start"].isoformat(),
    }
    html = _post_refused(client, Kind.TEMPORARY, base)
    assert "A temporary worker needs an access end date" in html
    html = _post_refused(
        client, Kind.TEMPORARY, {**base, "end_date": (soon["start"] - timedelta(1)).isoformat()}
    )
    assert "The access end date cannot be before the start date." in html
    html = _post_refused(client, Kind.TEMPORARY, {**base, "end_date": "31/02/2026"})
    assert "Enter a real date, for example 17/03/2026." in html
    html = _post_refused(client, Kind.STARTER, {**base, "start_date": ""})
    assert "Give the date they start." in html
    html = _post_refused(client, Kind.STARTER, {**base, "line_manager_email": "x@example.com"})
    assert "No active member of staff has the email address x@example.com." in html
    # What was typed is kept, so it can be corrected.
    assert 'value="Tara"' in html


def test_a_leaver_who_is_not_active_staff_is_explained(client: Client, hr_user, soon) -> None:
    html = _post_refused(
        signed_in(client, hr_user),
        Kind.LEAVER,
        {"leaver": "ghost@example.com", "end_date": soon["start"].isoformat()},
    )
    assert "No active member of staff has the email address or employee number" in html
    assert "“ghost@example.com”" in html


def test_a_manager_cannot_give_notice_for_someone_elses_report(
    client: Client, manager, employee, outsider, soon
) -> None:
    html = _post_refused(
        signed_in(client, manager),
        Kind.LEAVER,
        {"leaver": outsider.email, "end_date": soon["start"].isoformat()},
    )
    assert "None of your direct reports has the email address or employee number" in html
    assert outsider.full_name not in html


def test_a_managers_notice_naming_another_teams_account_is_explained(
    client: Client, manager, employee, it_user, department, soon
) -> None:
    html = _post_refused(
        signed_in(client, manager),
        Kind.TEMPORARY,
        {
            "first_name": "Ivan", "last_name": "Tech", "email": it_user.email,
            "department": department.pk, "start_date": soon["start"].isoformat(),
            "end_date": soon["end"].isoformat(),
        },
    )  # fmt: skip
    assert "This email address belongs to an existing account that you do not manage." in html
    assert 'value="Ivan"' in html  # what was typed is kept


def test_a_duplicate_notice_is_explained(
    client: Client, manager, employee, leaver_notice, soon
) -> None:
    html = _post_refused(
        signed_in(client, manager),
        Kind.LEAVER,
        {"leaver": employee.email, "end_date": soon["start"].isoformat()},
    )
    assert (
        f"There is already an open leaver notice for Emma Jones ({leaver_notice.reference})" in html
    )
