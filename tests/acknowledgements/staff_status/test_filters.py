"""The list's filters and search, alone and combined, and what a bad value does."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from acknowledgements import compliance, publishing
from tests.acknowledgements.staff_status.helpers import EmploymentType, list_url, pks
from tests.helpers import signed_in


# --- Filters ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["signed", "due", "overdue", "unassigned"])
def test_status_filter(client: Client, policy, team, manager, status) -> None:
    response = signed_in(client, manager).get(list_url(policy), {"status": status})
    assert pks(response) == [getattr(team, status).pk]


def test_department_filter(client: Client, policy, team, hr_user) -> None:
    response = signed_in(client, hr_user).get(
        list_url(policy), {"department": str(team.overdue.department_id)}
    )
    assert pks(response) == [team.overdue.pk]


def test_no_department_filter(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).get(list_url(policy), {"department": "none"})
    assert pks(response) == [team.unassigned.pk]


def test_line_manager_filter(client: Client, policy, team, hr_user, manager) -> None:
    client = signed_in(client, hr_user)
    response = client.get(list_url(policy), {"manager": str(manager.pk)})
    assert set(pks(response)) == {p.pk for p in team.reports}
    response = client.get(list_url(policy), {"manager": str(team.other_manager.pk)})
    assert pks(response) == [team.outsider.pk]


def manager_choices(response) -> list[str]:
    return [value for value, _label in response.context["form"].fields["manager"].choices]


def test_hr_picks_a_line_manager_from_the_chosen_department(
    client: Client, policy, team, hr_user, manager
) -> None:
    client = signed_in(client, hr_user)
    # Thousands of managers in a real company: none are listed until a department is chosen.
    assert manager_choices(client.get(list_url(policy))) == ["", "none"]
    day_services = team.overdue.department
    response = client.get(list_url(policy), {"department": str(day_services.pk)})
    assert manager_choices(response) == ["", "none", str(manager.pk)]
    assert "Choose a department first" in response.content.decode()


def test_a_chosen_line_manager_stays_listed_without_a_department(
    client: Client, policy, team, hr_user
) -> None:
    # The dashboard links to ?manager=<id> on its own.
    response = signed_in(client, hr_user).get(
        list_url(policy), {"manager": str(team.other_manager.pk)}
    )
    assert manager_choices(response) == ["", "none", str(team.other_manager.pk)]
    assert pks(response) == [team.outsider.pk]


@pytest.mark.parametrize("value", ["999999", "abc", "1" * 30])
def test_an_unknown_line_manager_is_reported_and_ignored(
    client: Client, policy, team, hr_user, value
) -> None:
    response = signed_in(client, hr_user).get(list_url(policy), {"manager": value})
    assert response.status_code == 200
    assert "manager" in response.context["form"].errors
    assert len(pks(response)) == compliance.active_people().count()


def test_no_line_manager_filter(client: Client, policy, team, hr_user, manager) -> None:
    response = signed_in(client, hr_user).get(list_url(policy), {"manager": "none"})
    expected = set(
        compliance.active_people().filter(line_manager__isnull=True).values_list("pk", flat=True)
    )
    assert set(pks(response)) == expected
    assert manager.pk in expected
    assert team.signed.pk not in expected


@pytest.mark.parametrize(
    ("employment_type", "who"),
    [(EmploymentType.FIXED_TERM, "due"), (EmploymentType.CONTRACTOR, "unassigned")],
)
def test_employment_type_filter(
    client: Client, policy, team, manager, employment_type, who
) -> None:
    response = signed_in(client, manager).get(
        list_url(policy), {"employment_type": employment_type}
    )
    assert pks(response) == [getattr(team, who).pk]


def test_start_date_filters(client: Client, policy, team, manager) -> None:
    client = signed_in(client, manager)
    response = client.get(list_url(policy), {"started_from": "2025-01-01"})
    assert set(pks(response)) == {team.due.pk, team.unassigned.pk}
    response = client.get(list_url(policy), {"started_to": "2023-12-31"})
    assert pks(response) == [team.overdue.pk]
    # Typed UK dates work too.
    response = client.get(
        list_url(policy), {"started_from": "01/06/2025", "started_to": "31/12/2025"}
    )
    assert pks(response) == [team.due.pk]


def test_version_filter_lists_the_people_assigned_to_that_version(
    client: Client, policy, team, reviewer, manager
) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer, version=draft, body=draft.body, change_summary="A typing error fixed."
    )
    # A minor version: unsigned assignments move to it, signed ones stay on version 1.
    publishing.publish(actor=reviewer, version=draft, material=False)
    client = signed_in(client, manager)
    assert pks(client.get(list_url(policy), {"version": "1"})) == [team.signed.pk]
    assert set(pks(client.get(list_url(policy), {"version": "2"}))) == {
        team.due.pk,
        team.overdue.pk,
    }
    choices = client.get(list_url(policy)).context["form"].fields["version"].choices
    assert [value for value, _label in choices] == ["", 2, 1]


def test_filters_combine(client: Client, policy, team, hr_user, manager) -> None:
    response = signed_in(client, hr_user).get(
        list_url(policy), {"manager": str(manager.pk), "status": "due", "department": "none"}
    )
    assert pks(response) == []
    response = client.get(
        list_url(policy),
        {"manager": str(manager.pk), "status": "overdue", "started_to": "2023-12-31"},
    )
    assert pks(response) == [team.overdue.pk]


@pytest.mark.parametrize(
    ("q", "who"),
    [
        ("Dunn", "due"),
        ("dana", "due"),
        ("Dana Dunn", "due"),
        ("dana.dunn@example", "due"),
        ("OWEN.OAKES@EXAMPLE.COM", "overdue"),
        ("RC-0042", "due"),
        ("rc-0042", "due"),
        ("Upton", "unassigned"),
    ],
)
def test_search_by_name_email_or_employee_number(
    client: Client, policy, team, manager, q, who
) -> None:
    response = signed_in(client, manager).get(list_url(policy), {"q": q})
    assert pks(response) == [getattr(team, who).pk]


def test_a_search_that_matches_nobody_says_so(client: Client, policy, team, hr_user) -> None:
    response = signed_in(client, hr_user).get(list_url(policy), {"q": "Nobody-By-This-Name"})
    assert pks(response) == []
    assert b"Nobody matches." in response.content


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"department": "abc"},
        {"department": "999999"},
        {"manager": "-1"},
        {"version": "x"},
        {"version": "99"},
        {"employment_type": "volunteer"},
        {"started_from": "31/02/2025"},
        {"started_to": "yesterday"},
        {"q": "x" * 500},
        {"q": "a\x00b"},
    ],
)
def test_bad_filter_values_are_ignored_and_explained(
    client: Client, policy, team, hr_user, params
) -> None:
    client = signed_in(client, hr_user)
    everyone = pks(client.get(list_url(policy)))
    response = client.get(list_url(policy), params)
    assert response.status_code == 200
    assert pks(response) == everyone
    assert response.context["form"].errors
    assert b'data-testid="filter-error"' in response.content


def test_a_start_range_that_ends_before_it_begins_is_an_error(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).get(
        list_url(policy), {"started_from": "2025-01-01", "started_to": "2024-01-01"}
    )
    assert response.status_code == 200
    assert "started_to" in response.context["form"].errors
    # The valid half of the range still applies.
    assert set(pks(response)) == {team.due.pk, team.unassigned.pk}


def test_the_filters_are_open_only_when_in_use(client: Client, policy, team, manager) -> None:
    client = signed_in(client, manager)
    assert b'<details class="mt-2">' in client.get(list_url(policy), {"q": "Dunn"}).content
    assert b'<details class="mt-2" open>' in client.get(list_url(policy), {"status": "due"}).content
    bad_date = client.get(list_url(policy), {"started_from": "soon"})
    assert b'<details class="mt-2" open>' in bad_date.content


def test_the_export_link_carries_the_filters(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).get(list_url(policy), {"status": "due", "q": "Dunn"})
    html = response.content.decode()
    link = html.split('data-testid="export"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    assert link.startswith(reverse("acknowledgements:staff_export", args=[policy.slug]) + "?")
    assert "status=due" in link
    assert "q=Dunn" in link
