"""Notifications across a request's life, and two IT people deciding at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from portal.models import Notification, User
from requests import workflow
from requests.workflow import TransitionRefused
from tests.requests.workflow.helpers import (
    COST,
    State,
    fresh,
    in_state,
    it_members,
    lowered,
    new_request,
    snapshot,
    told,
)


# --- Notifications across a long life -----------------------------------------------------------
def test_every_step_gets_its_own_notifications(people) -> None:
    """Each visit to a state is announced afresh: no step's notice is swallowed by an earlier
    step's dedupe key."""
    r, holder, it = people.requester, people.budget_holder, people.it
    request = workflow.submit(requester=r, request=new_request(cost_one_off=COST))
    steps = [
        (holder, "budget_more_info", {(r.email, "request-update")}),
        (r, "resubmit", {(holder.email, "request-budget")}),
        (holder, "budget_approve", {*it_members(people), (r.email, "request-update")}),
        (it, "more_info", {(r.email, "request-update")}),
        (r, "resubmit", it_members(people)),
        (it, "more_info", {(r.email, "request-update")}),
        (r, "resubmit", it_members(people)),
        (it, "approve", {(r.email, "request-update")}),
        (it, "fulfil", {(r.email, "request-update")}),
    ]
    for actor, action, expected in steps:
        before = snapshot(request)
        request = workflow.perform(actor=actor, request=request, action=action, note="Step.")
        assert told(before, snapshot(request)) == expected, action
    keys = list(Notification.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) == 2 + sum(len(expected) for *_, expected in steps)
    assert Notification.objects.filter(recipient=r, kind="request-update").count() == 6
    assert Notification.objects.filter(recipient=it, kind="request-for-it").count() == 3
    assert Notification.objects.filter(recipient=holder, kind="request-budget").count() == 2


def test_notifications_for_two_requests_never_share_a_key(people) -> None:
    first = workflow.submit(requester=people.requester, request=new_request())
    second = workflow.submit(requester=people.requester, request=new_request())
    for request in (first, second):
        workflow.perform(actor=people.it, request=request, action="approve")
    assert Notification.objects.filter(kind="request-received").count() == 2
    assert Notification.objects.filter(kind="request-for-it", recipient=people.it).count() == 2
    assert Notification.objects.filter(kind="request-update").count() == 2


# --- Two IT people deciding at once ----------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actions", [("approve", "approve"), ("approve", "reject")])
def test_only_one_of_two_simultaneous_decisions_wins(postgres, people, actions) -> None:
    request = in_state(people, State.AWAITING_IT)
    before = snapshot(request)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[str, object] = {}

    def decide(actor: User, action: str) -> None:
        try:
            barrier.wait()
            workflow.perform(actor=actor, request=request, action=action, note="Decided.")
            outcomes[actor.email] = action
        except TransitionRefused as exc:
            outcomes[actor.email] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(actor, action))
        for actor, action in zip((people.it, people.it_colleague), actions, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    winners = [outcome for outcome in outcomes.values() if isinstance(outcome, str)]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, TransitionRefused)]
    assert len(winners) == len(losers) == 1, outcomes
    final = fresh(request)
    assert final.state == {"approve": State.APPROVED, "reject": State.REJECTED}[winners[0]]
    assert str(losers[0]).startswith(f"{request.reference} is {lowered(final.get_state_display())}")
    after = snapshot(request)
    assert (after.events, after.audit) == (before.events + 1, before.audit + 1)
    assert told(before, after) == {(people.requester.email, "request-update")}
