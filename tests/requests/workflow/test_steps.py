"""Every step, from every state, by everyone: the workflow against the table of who may take it."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent
from requests import workflow
from requests.models import RequestEvent
from requests.workflow import TransitionRefused
from tests.requests.workflow.helpers import (
    TO,
    People,
    State,
    fresh,
    in_state,
    it_members,
    lowered,
    snapshot,
    told,
)

# Who may take each step, and from where; written out here rather than read from the workflow,
# so that a change to the rules has to be made in both places.
MAY_TAKE = {
    "budget_approve": {"budget_holder"},
    "budget_reject": {"budget_holder"},
    "approve": {"it"},
    "reject": {"it"},
    "budget_more_info": {"budget_holder"},
    "more_info": {"it"},
    "resubmit": {"requester"},
    "withdraw": {"requester"},
    "fulfil": {"it"},
}
FROM = {
    "budget_approve": {State.AWAITING_BUDGET_HOLDER},
    "budget_reject": {State.AWAITING_BUDGET_HOLDER},
    "approve": {State.AWAITING_IT},
    "reject": {State.AWAITING_IT},
    "budget_more_info": {State.AWAITING_BUDGET_HOLDER},
    "more_info": {State.AWAITING_IT},
    "resubmit": {State.MORE_INFO},
    "withdraw": {State.AWAITING_BUDGET_HOLDER, State.AWAITING_IT, State.MORE_INFO},
    "fulfil": {State.APPROVED},
}


NOTE_REQUIRED = {"budget_reject", "reject", "budget_more_info", "more_info", "fulfil"}
LABELS = {
    "budget_approve": "authorise the cost",
    "budget_reject": "refuse the cost",
    "approve": "approve",
    "reject": "reject",
    "budget_more_info": "ask for more information",
    "more_info": "ask for more information",
    "resubmit": "send back with the information",
    "withdraw": "withdraw",
    "fulfil": "record as installed or issued",
}
WHO = {
    "budget_approve": "the budget holder or second authoriser asked",
    "budget_reject": "the budget holder or second authoriser asked",
    "approve": "another member of the IT Department",
    "reject": "another member of the IT Department",
    "budget_more_info": "the budget holder or second authoriser asked",
    "more_info": "another member of the IT Department",
    "resubmit": "the person who made the request",
    "withdraw": "the person who made the request",
    "fulfil": "the IT Department",
}
ACTORS = ["requester", "colleague", "budget_holder", "other_budget_holder", "it", "hr"]


# --- Every step, from every state, by everyone ---------------------------------------------
def test_the_table_covers_every_step_the_workflow_has() -> None:
    assert set(workflow.TRANSITIONS) == set(MAY_TAKE) == set(FROM) == set(TO)
    for action, transition in workflow.TRANSITIONS.items():
        assert bool(transition.note_required) == (action in NOTE_REQUIRED), action


def expected_notices(people: People, action: str, state: str) -> set[tuple[str, str]]:
    notices: set[tuple[str, str]] = set()
    if TO[action] == State.AWAITING_IT:
        notices |= it_members(people)
    if action == "withdraw" and state == State.AWAITING_BUDGET_HOLDER:
        notices.add((people.budget_holder.email, "request-update"))
    if "requester" not in MAY_TAKE[action]:
        notices.add((people.requester.email, "request-update"))
    return notices


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", list(MAY_TAKE))
def test_each_step_from_each_state_by_each_person(people, action, state, actor) -> None:
    request = in_state(people, state)
    before = snapshot(request)
    allowed = state in FROM[action] and actor in MAY_TAKE[action]
    if not allowed:
        with pytest.raises(TransitionRefused) as refusal:
            workflow.perform(
                actor=people.actor(actor), request=request, action=action, note="Because."
            )
        if state not in FROM[action]:
            assert str(refusal.value) == (
                f"{request.reference} is {lowered(State(state).label)}: "
                f"it cannot be sent to “{LABELS[action]}” now."
            )
        else:
            assert str(refusal.value) == f"Only {WHO[action]} can {LABELS[action]}."
        assert snapshot(request) == before
        return

    result = workflow.perform(
        actor=people.actor(actor), request=request, action=action, note="Because."
    )
    after = snapshot(request)
    assert result.state == fresh(request).state == TO[action]
    assert after.events == before.events + 1
    event = RequestEvent.objects.filter(request=request).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.actor, event.note) == (
        action, state, TO[action], people.actor(actor), "Because.",
    )  # fmt: skip
    assert after.audit == before.audit + 1
    audit = AuditEvent.objects.latest("pk")
    assert (audit.action, audit.actor, audit.object_id) == (
        f"request.{action}", people.actor(actor), str(request.pk),
    )  # fmt: skip
    assert audit.data == {"from": state, "to": TO[action]}
    assert told(before, after) == expected_notices(people, action, state)


def test_an_unknown_step_is_refused(people) -> None:
    request = in_state(people, State.AWAITING_IT)
    before = snapshot(request)
    with pytest.raises(TransitionRefused, match=r"There is no step called 'escalate'\."):
        workflow.perform(actor=people.it, request=request, action="escalate")
    assert snapshot(request) == before


def test_available_actions_match_the_table(people) -> None:
    for state in State:
        request = in_state(people, state)
        for role in ACTORS:
            offered = {t.action for t in workflow.available_actions(people.actor(role), request)}
            expected = {a for a in MAY_TAKE if state in FROM[a] and role in MAY_TAKE[a]}
            assert offered == expected, (state, role)
