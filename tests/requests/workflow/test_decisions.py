"""Notes, decisions and what each step records, the register entry an approval may add included."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent
from requests import workflow
from requests.models import CatalogueItem, Kind, RequestEvent
from requests.workflow import TransitionRefused
from tests.requests.factories import CatalogueItemFactory
from tests.requests.workflow.helpers import TO, State, fresh, in_state, snapshot


# --- Notes, decisions and what each step records ------------------------------------------------
@pytest.mark.parametrize(
    ("action", "state", "role", "message"),
    [
        ("budget_reject", State.AWAITING_BUDGET_HOLDER, "budget_holder",
         "Give the reason for refusing, so the requester knows what to do."),
        ("reject", State.AWAITING_IT, "it",
         "Give the reason for rejecting, so the requester knows what to do."),
        ("more_info", State.AWAITING_IT, "it", "Say what information you need."),
        ("budget_more_info", State.AWAITING_BUDGET_HOLDER, "budget_holder",
         "Say what information you need."),
        ("fulfil", State.APPROVED, "it", "Record what was installed or issued, and where."),
    ],
)  # fmt: skip
@pytest.mark.parametrize("note", ["", "   \n "])
def test_a_note_is_required_for_some_steps(people, action, state, role, message, note) -> None:
    request = in_state(people, state)
    before = snapshot(request)
    with pytest.raises(TransitionRefused) as refusal:
        workflow.perform(actor=people.actor(role), request=request, action=action, note=note)
    assert str(refusal.value) == message
    assert snapshot(request) == before


@pytest.mark.parametrize(
    ("action", "state", "role"),
    [
        ("budget_approve", State.AWAITING_BUDGET_HOLDER, "budget_holder"),
        ("approve", State.AWAITING_IT, "it"),
        ("resubmit", State.MORE_INFO, "requester"),
        ("withdraw", State.AWAITING_IT, "requester"),
    ],
)
def test_other_steps_need_no_note(people, action, state, role) -> None:
    request = workflow.perform(
        actor=people.actor(role), request=in_state(people, state), action=action
    )
    assert request.state == TO[action]
    assert RequestEvent.objects.filter(request=request).latest("pk").note == ""


def test_decisions_record_their_reason_and_times(people) -> None:
    rejected = workflow.perform(
        actor=people.it, request=in_state(people, State.AWAITING_IT), action="reject",
        note="  Use the approved editor instead.  ",
    )  # fmt: skip
    rejected = fresh(rejected)
    assert rejected.decision_reason == "Use the approved editor instead."
    assert rejected.decided_at is not None

    refused = workflow.perform(
        actor=people.budget_holder, request=in_state(people, State.AWAITING_BUDGET_HOLDER),
        action="budget_reject", note="No budget left this year.",
    )  # fmt: skip
    refused = fresh(refused)
    assert (refused.state, refused.decision_reason) == (State.REJECTED, "No budget left this year.")
    assert refused.budget_approved_at is None

    approved = workflow.perform(
        actor=people.it, request=in_state(people, State.AWAITING_IT), action="approve",
        conditions="  Only on the office PC.  ",
    )  # fmt: skip
    approved = fresh(approved)
    assert approved.conditions == "Only on the office PC."
    assert approved.decided_at is not None
    assert approved.budget_approved_at is not None
    assert RequestEvent.objects.filter(request=approved).latest("pk").note == (
        "Only on the office PC."
    )

    fulfilled = workflow.perform(
        actor=people.it, request=approved, action="fulfil", note="Installed on LAP-0042."
    )
    fulfilled = fresh(fulfilled)
    assert fulfilled.fulfilment_note == "Installed on LAP-0042."
    assert fulfilled.fulfilled_at is not None


def test_approving_with_add_to_register_creates_an_audited_entry(people) -> None:
    request = in_state(people, State.AWAITING_IT)
    before = snapshot(request)
    workflow.perform(
        actor=people.it, request=request, action="approve", conditions="Version 8 or later.",
        add_to_register=True,
    )  # fmt: skip
    request = fresh(request)
    item = CatalogueItem.objects.get()
    assert request.catalogue_match == item
    assert (item.name, item.kind, item.vendor, item.versions, item.notes, item.active) == (
        "Notepad++", Kind.SOFTWARE, "Don Ho", "8.6", "Version 8 or later.", True,
    )  # fmt: skip
    assert item.created_by == people.it
    added = AuditEvent.objects.get(action="catalogue.item_added")
    assert (added.actor, added.object_id) == (people.it, str(item.pk))
    assert AuditEvent.objects.get(action="request.approve").object_id == str(request.pk)
    assert snapshot(request).audit == before.audit + 2


def test_add_to_register_does_not_duplicate_an_existing_match(people) -> None:
    listed = CatalogueItemFactory(name="Notepad++", kind=Kind.SOFTWARE)
    request = in_state(people, State.AWAITING_IT)
    assert request.catalogue_match == listed
    workflow.perform(actor=people.it, request=request, action="approve", add_to_register=True)
    assert list(CatalogueItem.objects.all()) == [listed]
    assert fresh(request).catalogue_match == listed
    assert not AuditEvent.objects.filter(action="catalogue.item_added").exists()


def test_approving_without_add_to_register_leaves_the_register_alone(people) -> None:
    request = in_state(people, State.AWAITING_IT)
    workflow.perform(actor=people.it, request=request, action="approve")
    assert not CatalogueItem.objects.exists()
    assert fresh(request).catalogue_match is None
