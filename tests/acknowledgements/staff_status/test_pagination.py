"""The list's keyset pagination: every person once, in name order, at the same cost at any depth."""

from __future__ import annotations

import pytest
from django.test import Client

from acknowledgements import compliance, publishing, staff_status
from portal.models import User
from tests.acknowledgements.staff_status.helpers import bulk_staff, list_url, pks
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import signed_in


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
        # About half are the session, the menu and the inbox count that every page pays for;
        # one counts who matches the filters and how many of them are overdue.
        with django_assert_max_num_queries(17):
            first = client.get(list_url(policy))
        with django_assert_max_num_queries(17):
            last = client.get(list_url(policy), {"after": deep, "status": "due", "q": "a"})
        assert first.status_code == last.status_code == 200
        in_scope = len(ordered) if viewer == hr_user else count + 1  # the reports and Emma
        assert len(pks(first)) == min(50, in_scope)
    # The deep page is the last few rows, not the first page again.
    assert pks(last) and set(pks(last)) <= {pk for _l, _f, pk in ordered[-4:]}
