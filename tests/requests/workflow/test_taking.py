"""IT taking a request: who may, and who is told when it comes back."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent
from requests import workflow
from requests.models import AuthorisationRequest, RequestEvent
from requests.workflow import TransitionRefused
from tests.requests.workflow.helpers import State, fresh, in_state, snapshot, told


# --- Taking a request ----------------------------------------------------------------------------
@pytest.mark.parametrize("state", AuthorisationRequest.OPEN_STATES)
def test_it_can_take_an_open_request(people, state) -> None:
    request = in_state(people, state)
    before = snapshot(request)
    taken = workflow.assign_to_me(actor=people.it_colleague, request=request)
    taken = fresh(taken)
    assert (taken.assignee, taken.state) == (people.it_colleague, state)
    event = RequestEvent.objects.filter(request=request).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "assigned", state, state, people.it_colleague,
    )  # fmt: skip
    after = snapshot(request)
    assert (after.events, after.audit) == (before.events + 1, before.audit + 1)
    assert AuditEvent.objects.latest("pk").action == "request.assigned"
    assert told(before, after) == set()


@pytest.mark.parametrize("role", ["requester", "colleague", "budget_holder", "hr"])
def test_only_it_can_take_a_request(people, role) -> None:
    request = in_state(people, State.AWAITING_IT)
    before = snapshot(request)
    with pytest.raises(TransitionRefused) as refusal:
        workflow.assign_to_me(actor=people.actor(role), request=request)
    assert str(refusal.value) == "Only the IT Department can take a request."
    assert snapshot(request) == before


@pytest.mark.parametrize(
    "state", [State.APPROVED, State.REJECTED, State.FULFILLED, State.WITHDRAWN]
)
def test_a_closed_request_cannot_be_taken(people, state) -> None:
    request = in_state(people, state)
    before = snapshot(request)
    with pytest.raises(TransitionRefused) as refusal:
        workflow.assign_to_me(actor=people.it, request=request)
    assert str(refusal.value) == f"{request.reference} is already decided."
    assert snapshot(request) == before


def test_once_taken_only_the_assignee_is_told_it_is_back(people) -> None:
    request = in_state(people, State.AWAITING_BUDGET_HOLDER)
    workflow.assign_to_me(actor=people.it_colleague, request=request)
    before = snapshot(request)
    workflow.perform(actor=people.budget_holder, request=request, action="budget_approve")
    assert told(before, snapshot(request)) == {
        (people.it_colleague.email, "request-for-it"),
        (people.requester.email, "request-update"),
    }
