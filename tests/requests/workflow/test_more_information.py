"""More information asked for, and the request sent back: where it goes, and who may change it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.models import AuditEvent
from requests import workflow
from requests.models import RequestEvent
from requests.workflow import TransitionRefused
from tests.requests.workflow.helpers import (
    COST,
    State,
    fresh,
    in_state,
    it_members,
    new_request,
    snapshot,
    told,
    with_changes,
)


# --- More information, and sending it back -------------------------------------------------------
def test_resubmitting_after_it_asks_goes_back_to_it(people) -> None:
    request = in_state(people, State.MORE_INFO)
    before = snapshot(request)
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_IT
    assert told(before, snapshot(request)) == it_members(people)


def test_resubmitting_after_the_budget_holder_asks_goes_back_to_them(people) -> None:
    request = workflow.perform(
        actor=people.budget_holder, request=in_state(people, State.AWAITING_BUDGET_HOLDER),
        action="budget_more_info", note="Which budget line?",
    )  # fmt: skip
    before = snapshot(request)
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert told(before, snapshot(request)) == {(people.budget_holder.email, "request-budget")}


def test_a_higher_cost_entered_while_more_information_was_asked_needs_the_budget_holder_again(
    people,
) -> None:
    request = in_state(people, State.MORE_INFO)
    assert fresh(request).budget_approved_at is not None
    workflow.update_details(
        actor=people.requester, request=request,
        changes=with_changes(request, cost_one_off=COST + 10, quantity=2),
    )  # fmt: skip
    edited = fresh(request)
    assert (edited.cost_one_off, edited.quantity, edited.budget_approved_at) == (
        COST + 10, 2, None,
    )  # fmt: skip
    assert edited.state == State.MORE_INFO
    assert (
        AuditEvent.objects.filter(action="request.edited", object_id=str(request.pk)).count() == 1
    )
    before = snapshot(request)
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert told(before, snapshot(request)) == {(people.budget_holder.email, "request-budget")}


@pytest.mark.parametrize("field", ["cost_recurring"])
def test_a_new_recurring_cost_also_needs_the_budget_holder_again(people, field) -> None:
    request = in_state(people, State.MORE_INFO)
    workflow.update_details(
        actor=people.requester, request=request,
        changes=with_changes(request, **{field: Decimal("5.00"), "recurring_period": "monthly"}),
    )  # fmt: skip
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_BUDGET_HOLDER


def test_a_change_outside_what_was_authorised_goes_straight_back_to_it(people) -> None:
    request = in_state(people, State.MORE_INFO)
    workflow.update_details(
        actor=people.requester, request=request,
        changes=with_changes(request, justification="Needed for rotas.", device="LT-0042"),
    )  # fmt: skip
    assert fresh(request).budget_approved_at is not None
    assert not RequestEvent.objects.filter(request=request, action="authority_voided").exists()
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_IT


def test_a_cost_added_to_a_free_request_goes_to_the_budget_holder(people) -> None:
    request = workflow.submit(requester=people.requester, request=new_request())
    request = workflow.perform(
        actor=people.it, request=request, action="more_info", note="Is there a licence fee?"
    )
    workflow.update_details(
        actor=people.requester, request=request, changes=with_changes(request, cost_recurring=COST)
    )
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_BUDGET_HOLDER


@pytest.mark.parametrize("state", [s for s in State if s != State.MORE_INFO])
def test_details_can_be_changed_only_while_more_information_is_asked(people, state) -> None:
    request = in_state(people, state)
    before = snapshot(request)
    with pytest.raises(TransitionRefused, match="only when more information is asked"):
        workflow.update_details(
            actor=people.requester, request=request, changes=with_changes(request, item="Vim")
        )
    assert snapshot(request) == before


@pytest.mark.parametrize("role", ["colleague", "budget_holder", "it", "hr"])
def test_only_the_requester_can_change_the_details(people, role) -> None:
    request = in_state(people, State.MORE_INFO)
    before = snapshot(request)
    with pytest.raises(TransitionRefused, match="only when more information is asked"):
        workflow.update_details(
            actor=people.actor(role), request=request, changes=with_changes(request, item="Vim")
        )
    assert snapshot(request) == before
