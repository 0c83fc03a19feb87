"""Every step, every actor, every state: straight through the service."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.models import AuditEvent
from requests import workflow
from requests.models import AuthorisationRequest, RequestEvent
from tests.requests.factories import AuthorisationRequestFactory
from tests.requests.reviewing.helpers import State, snapshot

# --- Every step, every actor, every state: straight through the service ---------------------------
ACTORS = ["requester", "budget_holder", "other_budget_holder", "it", "hr", "outsider"]
ACTOR_FIXTURES = {
    "requester": "employee",
    "budget_holder": "manager",
    "other_budget_holder": "other_budget_holder",
    "it": "it_user",
    "hr": "hr_user",
    "outsider": "outsider",
}
OPEN = {State.AWAITING_BUDGET_HOLDER, State.AWAITING_IT, State.MORE_INFO}
# action: (states it starts from, who may take it, the state it leads to). The request has a cost
# not yet authorised, so sending it back goes to the budget holder first, and not even IT may
# approve it (written straight into "awaiting IT", as no step of the workflow would leave it).
EXPECTED = {
    "budget_approve": ({State.AWAITING_BUDGET_HOLDER}, {"budget_holder"}, State.AWAITING_IT),
    "budget_reject": ({State.AWAITING_BUDGET_HOLDER}, {"budget_holder"}, State.REJECTED),
    "approve": ({State.AWAITING_IT}, set(), State.APPROVED),
    "reject": ({State.AWAITING_IT}, {"it"}, State.REJECTED),
    "budget_more_info": ({State.AWAITING_BUDGET_HOLDER}, {"budget_holder"}, State.MORE_INFO),
    "more_info": ({State.AWAITING_IT}, {"it"}, State.MORE_INFO),
    "resubmit": ({State.MORE_INFO}, {"requester"}, State.AWAITING_BUDGET_HOLDER),
    "withdraw": (OPEN, {"requester"}, State.WITHDRAWN),
    "fulfil": ({State.APPROVED}, {"it"}, State.FULFILLED),
}


def test_the_table_covers_every_step() -> None:
    assert set(EXPECTED) == set(workflow.TRANSITIONS)


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_step_for_every_actor_in_every_state(
    employee, manager, action, actor, state, request
) -> None:
    ar = AuthorisationRequestFactory(requester=employee, cost_one_off=Decimal("49.99"), state=state)
    person = request.getfixturevalue(ACTOR_FIXTURES[actor])
    sources, who, target = EXPECTED[action]
    before = snapshot(ar)
    if state in sources and actor in who:
        done = workflow.perform(actor=person, request=ar, action=action, note="Because.")
        assert done.state == target
        assert AuthorisationRequest.objects.get(pk=ar.pk).state == target
        event = RequestEvent.objects.get(request=ar)
        assert (event.actor, event.action, event.from_state, event.to_state) == (
            person, action, state, target,
        )  # fmt: skip
        assert AuditEvent.objects.filter(action=f"request.{action}").count() == 1
    else:
        with pytest.raises(workflow.TransitionRefused):
            workflow.perform(actor=person, request=ar, action=action, note="Because.")
        assert snapshot(ar) == before


@pytest.mark.parametrize(
    ("action", "state", "actor"),
    [
        ("budget_reject", State.AWAITING_BUDGET_HOLDER, "manager"),
        ("reject", State.AWAITING_IT, "it_user"),
        ("more_info", State.AWAITING_IT, "it_user"),
        ("fulfil", State.APPROVED, "it_user"),
    ],
)
def test_steps_that_need_a_note_are_refused_without_one(
    employee, manager, action, state, actor, request
) -> None:
    ar = AuthorisationRequestFactory(requester=employee, cost_one_off=Decimal("5"), state=state)
    before = snapshot(ar)
    with pytest.raises(workflow.TransitionRefused):
        workflow.perform(
            actor=request.getfixturevalue(actor), request=ar, action=action, note="  \n "
        )
    assert snapshot(ar) == before
