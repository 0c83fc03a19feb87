"""Segregation of duties through the page: a budget holder's own cost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from requests import workflow
from requests.models import AuthorisationRequest
from tests.factories import UserFactory
from tests.helpers import messages_of, signed_in
from tests.requests.reviewing.helpers import State, act, detail_url, snapshot


# --- Segregation of duties through the page ------------------------------------------------------
@pytest.fixture
def own_cost(manager, settings) -> AuthorisationRequest:
    """The budget holder's own request above the self-authority limit, with their line manager."""
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    manager.line_manager = UserFactory(email="director@example.com")
    manager.save()
    return workflow.submit(
        requester=manager,
        request=AuthorisationRequest(
            kind="hardware", item="Standing desk", cost_one_off=Decimal("450.00"),
            justification="For the office.",
        ),
    )  # fmt: skip


@pytest.mark.parametrize("action", ["budget_approve", "budget_reject", "budget_more_info"])
def test_the_budget_holder_cannot_post_an_authority_step_on_their_own_request(
    client: Client, own_cost, manager, action
) -> None:
    before = snapshot(own_cost)
    response = act(signed_in(client, manager), own_cost, action, note="Mine.")
    assert response.status_code == 302
    assert messages_of(response) == [
        "Only the budget holder or second authoriser asked can "
        f"{workflow.TRANSITIONS[action].label.lower()}."
    ]
    assert snapshot(own_cost) == before
    page = signed_in(client, manager).get(detail_url(own_cost))
    assert [f.transition.action for f in page.context["action_forms"]] == ["withdraw"]


@pytest.mark.parametrize("actor", ["other_budget_holder", "employee_line_manager", "hr_user"])
def test_a_manager_who_is_not_the_authoriser_gets_not_found(
    client: Client, own_cost, request, actor
) -> None:
    if actor == "employee_line_manager":
        # A line manager, of someone else: not the budget holder's.
        person = UserFactory(email="another.manager@example.com")
        UserFactory(line_manager=person)
    else:
        person = request.getfixturevalue(actor)
    before = snapshot(own_cost)
    client = signed_in(client, person)
    assert client.get(detail_url(own_cost)).status_code == 404
    assert act(client, own_cost, "budget_approve").status_code == 404
    assert snapshot(own_cost) == before


def test_the_second_authoriser_finds_it_in_their_approvals_and_authorises_it(
    client: Client, own_cost, manager, it_user
) -> None:
    director = manager.line_manager
    approvals = signed_in(client, director).get(reverse("requests:approvals"))
    assert approvals.status_code == 200
    assert list(approvals.context["page"].object_list) == [own_cost]
    assert "Approvals" in [item.label for item in approvals.context["nav_items"]]
    # The budget holder's own approvals list never offers their own request.
    mine = signed_in(client, manager).get(reverse("requests:approvals"))
    assert list(mine.context["page"].object_list) == []

    response = act(signed_in(client, director), own_cost, "budget_approve")
    assert messages_of(response) == [
        f"You authorised the cost of {own_cost.reference}. It has gone to the IT Department."
    ]
    own_cost.refresh_from_db()
    assert (own_cost.state, own_cost.authorised_by) == (State.AWAITING_IT, director)
    html = signed_in(client, it_user).get(detail_url(own_cost)).content.decode()
    assert "Second authoriser" in html
    assert f"By {director.full_name} on" in html
