"""What the requests app adds to the home page's to-do list and to each role's menu."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal import permissions as roles
from portal.models import User
from requests.models import AuthorisationRequest
from tests.factories import UserFactory
from tests.helpers import signed_in
from tests.requests.factories import AuthorisationRequestFactory

State = AuthorisationRequest.State


def join_it(user: User) -> None:
    user.groups.add(Group.objects.get_or_create(name=roles.IT_GROUP)[0])


def todo(client: Client, user: User) -> dict[str, object]:
    response = signed_in(client, user).get(reverse("home"))
    assert response.status_code == 200
    return {item.title: item for item in response.context["todo"]}


def menu(client: Client, user: User) -> list[str]:
    response = signed_in(client, user).get(reverse("home"))
    return [item.label for item in response.context["nav_items"]]


@pytest.fixture
def other_states(employee) -> None:
    """Requests in every state but the ones the to-do items count: they must not be counted."""
    for state in (State.APPROVED, State.REJECTED, State.FULFILLED, State.WITHDRAWN):
        AuthorisationRequestFactory(requester=employee, state=state)


# --- The requester ------------------------------------------------------------------------------
def test_the_requester_is_asked_for_more_information(client, employee, other_states) -> None:
    AuthorisationRequestFactory(requester=employee, state=State.MORE_INFO)
    item = todo(client, employee)["IT needs more information on 1 request"]
    assert item.url == reverse("requests:mine") + "?state=more_info"
    assert item.urgent is True
    assert item.action == "Answer"
    page = client.get(reverse("home")).content.decode()
    assert "IT needs more information on 1 request" in page
    assert 'href="/requests/?state=more_info"' in page


def test_the_count_is_plural_and_only_the_requesters_own(client, employee, outsider) -> None:
    AuthorisationRequestFactory.create_batch(2, requester=employee, state=State.MORE_INFO)
    AuthorisationRequestFactory(requester=outsider, state=State.MORE_INFO)
    assert "IT needs more information on 2 requests" in todo(client, employee)
    assert "IT needs more information on 1 request" in todo(client, outsider)


def test_nothing_to_answer_means_no_item(client, employee, other_states) -> None:
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_IT)
    assert not any("more information" in title for title in todo(client, employee))


# --- The budget holder --------------------------------------------------------------------------
def test_the_budget_holder_sees_costs_waiting_for_them(client, manager, employee, other_states):
    AuthorisationRequestFactory.create_batch(
        2, requester=employee, state=State.AWAITING_BUDGET_HOLDER
    )
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_IT)
    item = todo(client, manager)["2 costs waiting for your authority"]
    assert item.url == reverse("requests:approvals")
    assert item.urgent is True
    assert "prior authority" in item.detail


def test_only_costs_for_this_budget_holder_count(client, manager, employee, outsider) -> None:
    other_holder = outsider.line_manager
    other_holder.department.budget_holder = other_holder
    other_holder.department.save()
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_BUDGET_HOLDER)
    AuthorisationRequestFactory.create_batch(
        3, requester=outsider, state=State.AWAITING_BUDGET_HOLDER
    )
    assert "1 cost waiting for your authority" in todo(client, manager)
    assert "3 costs waiting for your authority" in todo(client, other_holder)


def test_a_budget_holder_with_nothing_waiting_has_no_item(client, manager, other_states) -> None:
    assert not any("authority" in title for title in todo(client, manager))


@pytest.mark.parametrize("actor", ["employee", "it_user", "hr_user"])
def test_people_who_hold_no_budget_see_no_approvals_item(
    client, request, manager, employee, actor: str
) -> None:
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_BUDGET_HOLDER)
    assert not any("authority" in title for title in todo(client, request.getfixturevalue(actor)))


# --- IT -----------------------------------------------------------------------------------------
def test_it_sees_requests_waiting_for_it(client, it_user, employee, outsider, other_states):
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_IT)
    AuthorisationRequestFactory(requester=outsider, state=State.AWAITING_IT)
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_BUDGET_HOLDER)
    AuthorisationRequestFactory(requester=employee, state=State.MORE_INFO)
    item = todo(client, it_user)["2 requests waiting for IT"]
    assert item.url == reverse("requests:queue")
    assert item.urgent is False


def test_it_with_an_empty_queue_has_no_item(client, it_user, other_states) -> None:
    assert not any("waiting for IT" in title for title in todo(client, it_user))


@pytest.mark.parametrize("actor", ["employee", "manager", "hr_user", "reviewer", "superuser"])
def test_only_it_sees_the_queue_item(client, request, employee, actor: str) -> None:
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_IT)
    assert not any(
        "waiting for IT" in title for title in todo(client, request.getfixturevalue(actor))
    )


@pytest.mark.parametrize("size", [1, 25])
def test_the_home_page_query_count_does_not_grow_with_requests(
    client, django_assert_max_num_queries, manager, employee, size: int
) -> None:
    join_it(manager)  # budget holder and IT at once
    AuthorisationRequestFactory.create_batch(
        size, requester=employee, state=State.AWAITING_BUDGET_HOLDER
    )
    AuthorisationRequestFactory.create_batch(size, requester=employee, state=State.AWAITING_IT)
    AuthorisationRequestFactory.create_batch(size, requester=manager, state=State.MORE_INFO)
    signed_in(client, manager)
    # One count per to-do item whatever the number of requests (IT's starters and leavers
    # tasks included); the rest is the page's own (session, user, groups, menu, the other apps'
    # items, the session's idle-timeout update).
    with django_assert_max_num_queries(17):
        response = client.get(reverse("home"))
    titles = [item.title for item in response.context["todo"]]
    plural = "" if size == 1 else "s"
    assert f"IT needs more information on {size} request{plural}" in titles
    assert f"{size} cost{plural} waiting for your authority" in titles
    assert f"{size} request{plural} waiting for IT" in titles


# --- The menu -----------------------------------------------------------------------------------
REQUESTS_ITEMS = ["My requests", "Authorised register"]


@pytest.mark.parametrize(
    "actor", ["employee", "manager", "outsider", "it_user", "hr_user", "reviewer", "superuser"]
)
def test_everyone_has_my_requests_and_the_register(client, request, employee, actor) -> None:
    labels = menu(client, request.getfixturevalue(actor))
    start = labels.index("My requests")
    assert labels[start : start + 2] == REQUESTS_ITEMS
    response = client.get(reverse("home"))
    urls = {item.label: item.url for item in response.context["nav_items"]}
    assert urls["My requests"] == reverse("requests:mine")
    assert urls["Authorised register"] == reverse("requests:register")


def test_the_budget_holder_has_approvals(client, manager, employee) -> None:
    labels = menu(client, manager)
    assert labels[labels.index("Authorised register") + 1] == "Approvals"
    assert "IT queue" not in labels


def test_a_budget_holder_who_manages_nobody_still_has_approvals(client, db) -> None:
    holder = UserFactory()
    holder.department.budget_holder = holder
    holder.department.save()
    labels = menu(client, holder)
    assert "Approvals" in labels
    assert "My team" not in labels


@pytest.mark.parametrize("actor", ["employee", "outsider", "it_user", "hr_user", "reviewer"])
def test_approvals_are_only_for_budget_holders(client, request, manager, actor: str) -> None:
    assert "Approvals" not in menu(client, request.getfixturevalue(actor))


def test_it_has_the_queue(client, it_user) -> None:
    labels = menu(client, it_user)
    assert labels[labels.index("Authorised register") + 1] == "IT queue"
    assert "Approvals" not in labels


@pytest.mark.parametrize("actor", ["employee", "manager", "hr_user", "reviewer", "superuser"])
def test_the_queue_is_only_for_it(client, request, employee, actor: str) -> None:
    assert "IT queue" not in menu(client, request.getfixturevalue(actor))


def test_someone_who_is_both_sees_approvals_then_the_queue(client, manager) -> None:
    join_it(manager)
    labels = menu(client, manager)
    start = labels.index("My requests")
    assert labels[start : start + 4] == [*REQUESTS_ITEMS, "Approvals", "IT queue"]
