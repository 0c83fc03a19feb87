"""Who has signed, person by person: HR's list of everyone and a line manager's list of their own
reports, the filters and search, keyset pagination, one person's record, and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import compliance, grants, publishing, questions, staff_status
from acknowledgements.models import Assignment, Policy
from portal.models import AuditEvent, Department, Notification, User
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import signed_in

FORBIDDEN = b"You do not have access to this page"
EmploymentType = User.EmploymentType


def list_url(policy: Policy) -> str:
    return reverse("acknowledgements:staff_list", args=[policy.slug])


def person_url(person: User) -> str:
    return reverse("acknowledgements:person", args=[person.pk])


def remind_url(policy: Policy, person: User) -> str:
    return reverse("acknowledgements:remind", args=[policy.slug, person.pk])


def pks(response) -> list[int]:
    return [person.pk for person in response.context["page"].rows]


def bulk_staff(
    count: int,
    *,
    prefix: str = "staff",
    department: Department | None = None,
    line_manager: User | None = None,
    **fields: object,
) -> None:
    """``count`` active people written in one go; names repeat, so ties in the order are common."""
    last_names = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Ng")
    User.objects.bulk_create(
        [
            User(
                email=f"{prefix}.{n}@example.com",
                first_name=f"Alex{n % 7}",
                last_name=last_names[n % len(last_names)],
                employee_number=f"{prefix[:3].upper()}{n:06d}",
                department=department,
                line_manager=line_manager,
                start_date=date(2024, 1, 15),
                password="!",  # unusable: these people never sign in
                **fields,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


@pytest.fixture
def team(version, manager, employee, outsider, hr_user, it_user, reviewer) -> SimpleNamespace:
    """The manager's reports, one in each state, and people elsewhere in the company.

    - employee (Emma Jones): signed;
    - dana: due in five days (fixed-term, started June 2025);
    - owen: overdue by three days (Day Services, started March 2023);
    - una: not yet assigned (a contractor with no department, started this year).
    """
    today = timezone.localdate()
    dana = UserFactory(
        first_name="Dana",
        last_name="Dunn",
        email="dana.dunn@example.com",
        employee_number="RC-0042",
        line_manager=manager,
        employment_type=EmploymentType.FIXED_TERM,
        start_date=date(2025, 6, 1),
    )
    owen = UserFactory(
        first_name="Owen",
        last_name="Oakes",
        email="owen.oakes@example.com",
        line_manager=manager,
        department=DepartmentFactory(name="Day Services"),
        start_date=date(2023, 3, 1),
    )
    publishing.assign_outstanding(policy=version.policy)
    Assignment.objects.filter(user=dana).update(due_date=today + timedelta(days=5))
    Assignment.objects.filter(user=owen).update(due_date=today - timedelta(days=3))
    AcknowledgementFactory(user=employee, version=version)
    una = UserFactory(
        first_name="Una",
        last_name="Upton",
        email="una.upton@example.com",
        line_manager=manager,
        department=None,
        employment_type=EmploymentType.CONTRACTOR,
        start_date=date(2026, 1, 5),
    )
    leaver = UserFactory(first_name="Lee", last_name="Left", line_manager=manager, is_active=False)
    return SimpleNamespace(
        signed=employee,
        due=dana,
        overdue=owen,
        unassigned=una,
        leaver=leaver,
        outsider=outsider,
        other_manager=outsider.line_manager,
        reports=[employee, dana, owen, una],
    )


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


# --- What each row shows ----------------------------------------------------------------------
def test_each_row_shows_the_columns_and_links_to_the_person(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).get(list_url(policy))
    html = response.content.decode()
    for heading in ("Name", "Employee number", "Department", "Line manager", "Status", "Signed"):
        assert f'<th scope="col">{heading}</th>' in html
    rows = {person.pk: person for person in response.context["page"].rows}
    dana = rows[team.due.pk]
    assert (dana.status, dana.status_label) == ("due", "Due")
    assert "Dunn, Dana" in html
    assert "RC-0042" in html
    assert person_url(team.due) in html
    assert f"{dana.due_date:%-d %B %Y}" in html
    signed = rows[team.signed.pk]
    assert signed.signed_at is not None
    assert f"{timezone.localtime(signed.signed_at):%-d %B %Y}" in html


def test_status_is_shown_in_words_with_a_badge(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).get(list_url(policy))
    statuses = {p.pk: (p.status, p.status_label) for p in response.context["page"].rows}
    assert statuses == {
        team.signed.pk: ("signed", "Signed"),
        team.due.pk: ("due", "Due"),
        team.overdue.pk: ("overdue", "Overdue"),
        team.unassigned.pk: ("unassigned", "Not yet assigned"),
    }
    html = response.content.decode()
    assert (
        'class="badge text-bg-danger" data-testid="status" data-status="overdue">Overdue<' in html
    )
    assert 'data-status="unassigned">Not yet assigned<' in html


def test_a_manager_gets_a_reminder_button_for_each_unsigned_report(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).get(list_url(policy))
    may_remind = {p.pk for p in response.context["page"].rows if p.may_remind}
    assert may_remind == {team.due.pk, team.overdue.pk}
    html = response.content.decode()
    assert html.count('data-testid="remind"') == 2
    assert remind_url(policy, team.overdue) in html
    assert remind_url(policy, team.signed) not in html


def test_hr_who_manages_nobody_gets_no_reminder_buttons(
    client: Client, policy, team, hr_user
) -> None:
    response = signed_in(client, hr_user).get(list_url(policy))
    assert b'data-testid="remind"' not in response.content


def test_someone_who_signed_a_later_minor_version_too_is_listed_once(
    client: Client, policy, version, team, reviewer, manager
) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer, version=draft, body=draft.body, change_summary="A typing error fixed."
    )
    minor = publishing.publish(actor=reviewer, version=draft, material=False)
    AcknowledgementFactory(user=team.signed, version=minor)  # signed version 1 already
    # The extra signature does not make a second requirement: one per person per policy.
    assert Assignment.objects.filter(user=team.signed, acknowledgement__isnull=False).count() == 1

    rows = signed_in(client, manager).get(list_url(policy)).context["page"].rows
    mine = [p for p in rows if p.pk == team.signed.pk]
    assert len(mine) == 1
    assert (mine[0].status, mine[0].version_number) == ("signed", 1)


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


# --- Keyset pagination ------------------------------------------------------------------------
def walk(client: Client, url: str, params: dict[str, str]) -> tuple[list[int], list[int]]:
    seen: list[int] = []
    sizes: list[int] = []
    query = dict(params)
    for _ in range(50):
        response = client.get(url, query)
        assert response.status_code == 200
        sizes.append(len(pks(response)))
        seen.extend(pks(response))
        after = response.context["next_after"]
        if not after:
            break
        assert 'data-testid="next"' in response.content.decode()
        query = {**params, "after": after}
    return seen, sizes


def test_walking_every_page_yields_everyone_once_in_name_order(
    client: Client, policy, hr_user
) -> None:
    bulk_staff(123, department=DepartmentFactory(name="Supported Living"))
    # Awkward names: the cursor's separator, its escape character, accents and apostrophes.
    UserFactory(last_name="Smith|Jones", first_name="Pat")
    UserFactory(last_name="Smith", first_name="Pat|Sam")
    UserFactory(last_name="100% Smith", first_name="Jo%7C")
    UserFactory(last_name="O'Neill", first_name="Siân")
    expected = list(
        compliance.active_people()
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", flat=True)
    )
    seen, sizes = walk(signed_in(client, hr_user), list_url(policy), {})
    assert seen == expected
    assert len(set(seen)) == len(seen)
    assert sizes == [50, 50, len(expected) - 100]


def test_pages_keep_the_filters(client: Client, policy, hr_user) -> None:
    department = DepartmentFactory(name="Supported Living")
    bulk_staff(70, department=department)
    bulk_staff(30, prefix="other", department=DepartmentFactory(name="Day Services"))
    client = signed_in(client, hr_user)
    seen, sizes = walk(client, list_url(policy), {"department": str(department.pk)})
    assert sizes == [50, 20]
    assert set(User.objects.filter(pk__in=seen).values_list("department", flat=True)) == {
        department.pk
    }
    html = client.get(list_url(policy), {"department": str(department.pk)}).content.decode()
    link = html.split('data-testid="next"', 1)[0].rsplit('href="', 1)[1]
    assert f"department={department.pk}" in link
    assert "after=" in link


def test_the_second_page_links_back_to_the_first(client: Client, policy, hr_user) -> None:
    bulk_staff(60)
    client = signed_in(client, hr_user)
    after = client.get(list_url(policy)).context["next_after"]
    response = client.get(list_url(policy), {"after": after, "status": "due"})
    html = response.content.decode()
    assert 'data-testid="first"' in html
    first = html.split('data-testid="first"', 1)[0].rsplit('href="', 1)[1]
    assert "after" not in first
    assert "status=due" in first


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        "|",
        "||",
        "Smith|Alex1",
        "Smith|Alex1|",
        "Smith|Alex1|abc",
        "Smith|Alex1|-5",
        "Smith|Alex1|5|6",
        "Smith|Alex1|1" + "9" * 100,
        "Smith|Alex1|\u00b2",  # a digit to str.isdigit, not to int()
        "Smith\x00|Alex1|5",
        "Smith%00|Alex1|5",
        "x" * 5000 + "|a|1",
    ],
)
def test_a_malformed_cursor_falls_back_to_the_first_page(
    client: Client, policy, hr_user, after
) -> None:
    bulk_staff(60)
    client = signed_in(client, hr_user)
    first = pks(client.get(list_url(policy)))
    assert staff_status.parse_cursor(after) is None
    response = client.get(list_url(policy), {"after": after})
    assert response.status_code == 200
    assert pks(response) == first
    assert response.context["page"].is_first


@pytest.mark.parametrize(
    ("after", "expected", "rows"),
    [
        # Both sort before every letter, so the page is everyone's first page of names.
        ("'; DROP TABLE portal_user; --|x|1", "'; DROP TABLE portal_user; --", 50),
        ("%ZZ|%|7", "%ZZ", 50),
        ("Zz|Zz|1", "Zz", 0),  # after everyone
    ],
)
def test_an_odd_but_well_formed_cursor_is_just_a_name_to_start_after(
    client: Client, policy, hr_user, after, expected, rows
) -> None:
    bulk_staff(60)
    response = signed_in(client, hr_user).get(list_url(policy), {"after": after})
    assert response.status_code == 200
    assert response.context["page"].after.last_name == expected
    assert len(pks(response)) == rows
    assert all(person.last_name > expected for person in response.context["page"].rows)


def test_a_cursor_past_the_end_is_an_empty_page(client: Client, policy, hr_user) -> None:
    bulk_staff(5)
    after = staff_status.Cursor("\uffff", "", 1).encode()
    response = signed_in(client, hr_user).get(list_url(policy), {"after": after})
    assert response.status_code == 200
    assert pks(response) == []
    assert response.context["next_after"] == ""
    assert b'data-testid="first"' in response.content


@pytest.mark.parametrize(
    ("last", "first"),
    [("Smith", "Alex"), ("Smith|Jones", "Pat"), ("100% Smith", "Jo%7C"), ("O'Neill", "Siân")],
)
def test_cursor_round_trip(last: str, first: str) -> None:
    cursor = staff_status.Cursor(last, first, 42)
    assert staff_status.parse_cursor(cursor.encode()) == cursor
    assert cursor.encode().count("|") == 2


def test_a_plain_cursor_reads_as_typed() -> None:
    assert staff_status.Cursor("Smith", "Alex", 42).encode() == "Smith|Alex|42"


@pytest.mark.parametrize("count", [10, 1000])
def test_list_pages_cost_the_same_at_any_size_and_depth(
    client: Client, policy, hr_user, manager, employee, count, django_assert_max_num_queries
) -> None:
    bulk_staff(count, line_manager=manager)
    publishing.assign_outstanding(policy=policy)
    ordered = list(
        compliance.active_people()
        .order_by("last_name", "first_name", "pk")
        .values_list("last_name", "first_name", "pk")
    )
    deep = staff_status.Cursor(*ordered[-5]).encode()
    for viewer in (hr_user, manager):
        client = signed_in(Client(), viewer)
        # About half are the session, the menu and the inbox count that every page pays for.
        with django_assert_max_num_queries(16):
            first = client.get(list_url(policy))
        with django_assert_max_num_queries(16):
            last = client.get(list_url(policy), {"after": deep, "status": "due", "q": "a"})
        assert first.status_code == last.status_code == 200
        in_scope = len(ordered) if viewer == hr_user else count + 1  # the reports and Emma
        assert len(pks(first)) == min(50, in_scope)
    # The deep page is the last few rows, not the first page again.
    assert pks(last) and set(pks(last)) <= {pk for _l, _f, pk in ordered[-4:]}


# --- One person's record ----------------------------------------------------------------------
def test_the_person_page_needs_signing_in(client: Client, employee) -> None:
    response = client.get(person_url(employee))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("hr_user", 200),
        ("manager", 200),
        ("employee", 404),  # their own: they have their receipts and personal-use pages
        ("outsider", 404),
        ("other_manager", 404),
        ("it_user", 404),
        ("reviewer", 404),
    ],
)
def test_who_may_read_a_persons_record(client: Client, team, actor, status, request) -> None:
    viewer = team.other_manager if actor == "other_manager" else request.getfixturevalue(actor)
    response = signed_in(client, viewer).get(person_url(team.signed))
    assert response.status_code == status


def test_a_missing_person_is_404(client: Client, hr_user) -> None:
    assert (
        signed_in(client, hr_user)
        .get(reverse("acknowledgements:person", args=[999999]))
        .status_code
        == 404
    )


def test_the_person_page_is_read_only(client: Client, team, hr_user) -> None:
    assert signed_in(client, hr_user).post(person_url(team.signed)).status_code == 405


def test_the_person_page_shows_everything_about_their_acknowledgements(
    client: Client, policy, version, team, manager, reviewer
) -> None:
    dana = team.due
    question = questions.asks_question(
        asker=dana, version=version, section="4.1", text="May I check my own email at lunch?"
    )
    questions.answer_question(
        manager=manager,
        question=question,
        answer="Yes, occasionally, at your manager's discretion.",
    )
    grants.grant_personal_use(
        manager=manager, employee=dana, email=True, internet=False, telephone=False,
        expires_on=None, note="",
    )  # fmt: skip
    grants.revoke_personal_use(manager=manager, employee=dana, note="Team rota changed.")
    ack = AcknowledgementFactory(user=dana, version=version)
    # A material version 2: Dana's signature of version 1 no longer counts.
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer, version=draft, body=draft.body, change_summary="Section 4 rewritten."
    )
    publishing.publish(actor=reviewer, version=draft, material=True)

    response = signed_in(client, manager).get(person_url(dana))
    assert response.status_code == 200
    record = response.context["record"]
    assert [(r.assignment.version.number, r.status) for r in record.assignments] == [
        (2, "due"),
        (1, "signed"),
    ]
    assert [(s.policy, s.status) for s in record.standings] == [(policy, "due")]
    assert record.acknowledgements == [ack]
    assert record.questions == [question]
    assert [row.state for row in record.grant_history] == ["revoked"]
    html = response.content.decode()
    assert reverse("acknowledgements:receipt", args=[ack.pk]) in html
    assert ack.receipt_code in html
    assert "May I check my own email at lunch?" in html
    assert "at your manager&#x27;s discretion" in html
    assert "New version published" in html
    assert "Revoked" in html
    assert "RC-0042" in html


def test_an_unsigned_assignment_a_later_material_version_replaced_is_marked_so(
    client: Client, policy, team, hr_user, reviewer
) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer, version=draft, body=draft.body, change_summary="Section 4 rewritten."
    )
    publishing.publish(actor=reviewer, version=draft, material=True)
    response = signed_in(client, hr_user).get(person_url(team.overdue))
    statuses = [
        (r.assignment.version.number, r.status) for r in response.context["record"].assignments
    ]
    assert statuses == [(2, "due"), (1, "replaced")]
    assert b"Replaced by a later version" in response.content


def test_hr_can_read_a_leavers_record(client: Client, team, hr_user) -> None:
    response = signed_in(client, hr_user).get(person_url(team.leaver))
    assert response.status_code == 200
    assert b"left the company" in response.content


@pytest.mark.parametrize("count", [10, 1000])
def test_the_person_page_costs_the_same_however_big_the_company(
    client: Client, policy, version, team, manager, count, django_assert_max_num_queries
) -> None:
    bulk_staff(count, line_manager=manager)
    publishing.assign_outstanding(policy=policy)
    questions.asks_question(asker=team.due, version=version, section="", text="What is ICT?")
    client = signed_in(client, manager)
    # A fixed number per published policy, plus the session, the menu and the inbox count.
    with django_assert_max_num_queries(21):
        response = client.get(person_url(team.due))
    assert response.status_code == 200


# --- Reminders --------------------------------------------------------------------------------
def reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind="policy-reminder").order_by("pk"))


def test_a_manager_reminds_a_report_once_a_day(client: Client, policy, team, manager) -> None:
    client = signed_in(client, manager)
    today = timezone.localdate()
    assignment = Assignment.objects.get(user=team.overdue)

    response = client.post(remind_url(policy, team.overdue), follow=True)
    assert response.redirect_chain[-1][0] == list_url(policy)
    assert "Reminder sent: Owen Oakes has been asked to sign" in response.content.decode()
    sent = reminders()
    assert len(sent) == 1
    assert sent[0].recipient == team.overdue
    assert sent[0].dedupe_key == f"policy-reminder:{assignment.pk}:{today.isoformat()}"
    assert "Morgan Lee" in sent[0].subject
    assert "overdue" in sent[0].body_text
    assert sent[0].link == reverse("acknowledgements:policy_detail", args=[policy.slug])
    event = AuditEvent.objects.get(action="policy.reminder_sent")
    assert (event.actor, event.object_id) == (manager, str(assignment.pk))

    response = client.post(remind_url(policy, team.overdue), follow=True)
    assert "already reminded Owen Oakes today" in response.content.decode()
    assert len(reminders()) == 1
    assert AuditEvent.objects.filter(action="policy.reminder_sent").count() == 1


def test_the_next_day_another_reminder_can_go(policy, team, manager) -> None:
    today = timezone.localdate()
    staff_status.send_reminder(manager=manager, person=team.due, policy=policy, today=today)
    with pytest.raises(staff_status.AlreadyRemindedToday):
        staff_status.send_reminder(manager=manager, person=team.due, policy=policy, today=today)
    staff_status.send_reminder(
        manager=manager, person=team.due, policy=policy, today=today + timedelta(days=1)
    )
    assert len(reminders()) == 2


def test_the_reminder_returns_to_the_same_filtered_page(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).post(
        remind_url(policy, team.due), {"back": "status=due&q=Dunn&after=Dunn%7CDana%7C3"}
    )
    assert response.status_code == 302
    assert response.url.startswith(list_url(policy) + "?")
    assert "status=due" in response.url
    assert "q=Dunn" in response.url


def test_the_list_sends_its_query_back_with_the_reminder(
    client: Client, policy, team, manager
) -> None:
    html = signed_in(client, manager).get(list_url(policy), {"status": "due"}).content.decode()
    assert 'name="back" value="status=due"' in html


@pytest.mark.parametrize(
    ("who", "message"), [("signed", "already signed"), ("unassigned", "not been asked")]
)
def test_nothing_to_remind_about(client: Client, policy, team, manager, who, message) -> None:
    response = signed_in(client, manager).post(remind_url(policy, getattr(team, who)), follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert reminders() == []
    assert not AuditEvent.objects.filter(action="policy.reminder_sent").exists()


@pytest.mark.parametrize("actor", ["hr_user", "other_manager", "employee", "it_user", "reviewer"])
def test_only_the_line_manager_may_remind(client: Client, policy, team, actor, request) -> None:
    viewer = team.other_manager if actor == "other_manager" else request.getfixturevalue(actor)
    response = signed_in(client, viewer).post(remind_url(policy, team.overdue))
    assert response.status_code == 404
    assert reminders() == []


def test_a_leaver_cannot_be_reminded(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).post(remind_url(policy, team.leaver))
    assert response.status_code == 404


def test_reminding_needs_a_post(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).get(remind_url(policy, team.overdue))
    assert response.status_code == 405
    assert reminders() == []


def test_reminding_needs_signing_in(client: Client, policy, team) -> None:
    response = client.post(remind_url(policy, team.overdue))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert reminders() == []
