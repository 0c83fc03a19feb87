"""Who may open HR's list of who has signed, and whom it lists to each of them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import compliance
from portal.models import User
from tests.acknowledgements.staff_status.helpers import list_url, person_url, pks
from tests.helpers import signed_in

FORBIDDEN = b"You do not have access to this page"


# --- Who may open the list --------------------------------------------------------------------
def test_the_list_needs_signing_in(client: Client, policy) -> None:
    response = client.get(list_url(policy))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["employee", "it_user", "reviewer"])
def test_people_without_reports_or_hr_are_refused(client: Client, policy, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(list_url(policy))
    assert response.status_code == 403
    assert FORBIDDEN in response.content
    assert b"Only HR and line managers" in response.content


def test_an_unknown_policy_is_404(client: Client, hr_user, db) -> None:
    response = signed_in(client, hr_user).get(
        reverse("acknowledgements:staff_list", args=["no-such-policy"])
    )
    assert response.status_code == 404


def test_the_list_is_read_only(client: Client, policy, hr_user) -> None:
    response = signed_in(client, hr_user).post(list_url(policy))
    assert response.status_code == 405


# --- Scope ------------------------------------------------------------------------------------
def test_hr_sees_every_active_member_of_staff(client: Client, policy, team, hr_user) -> None:
    response = signed_in(client, hr_user).get(list_url(policy))
    expected = set(compliance.active_people().values_list("pk", flat=True))
    assert set(pks(response)) == expected
    assert team.outsider.pk in expected
    assert team.leaver.pk not in pks(response)


def test_people_past_their_last_day_are_not_listed(client: Client, policy, team, hr_user) -> None:
    User.objects.filter(pk=team.due.pk).update(
        start_date=date(2020, 1, 1), end_date=timezone.localdate() - timedelta(days=1)
    )
    response = signed_in(client, hr_user).get(list_url(policy))
    assert team.due.pk not in pks(response)


def test_a_manager_sees_only_their_own_direct_reports(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).get(list_url(policy))
    assert set(pks(response)) == {p.pk for p in team.reports}
    assert manager.pk not in pks(response)


def test_another_manager_sees_only_theirs(client: Client, policy, team) -> None:
    response = signed_in(client, team.other_manager).get(list_url(policy))
    assert pks(response) == [team.outsider.pk]


@pytest.mark.parametrize(
    "params",
    [
        "manager_id",
        "search_name",
        "search_email",
        "search_number",
        "department",
    ],
)
def test_no_filter_or_search_reaches_outside_a_managers_team(
    client: Client, policy, team, manager, params
) -> None:
    outsider = team.outsider
    query = {
        "manager_id": {"manager": str(team.other_manager.pk)},
        "search_name": {"q": outsider.last_name},
        "search_email": {"q": outsider.email},
        "search_number": {"q": outsider.employee_number},
        "department": {"department": str(outsider.department_id)},
    }[params]
    response = signed_in(client, manager).get(list_url(policy), query)
    assert response.status_code == 200
    assert outsider.pk not in pks(response)
    assert person_url(outsider).encode() not in response.content


def test_the_manager_filter_is_hrs_only(client: Client, policy, team, manager, hr_user) -> None:
    assert "manager" not in signed_in(client, manager).get(list_url(policy)).context["form"].fields
    assert "manager" in signed_in(client, hr_user).get(list_url(policy)).context["form"].fields
