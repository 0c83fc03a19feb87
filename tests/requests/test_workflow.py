"""The request workflow, through ``requests.workflow`` itself: where a request goes when it is
submitted, who may take each step from each state, what each step records and whom it tells."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection

from portal import permissions as roles
from portal.models import AuditEvent, Notification, User
from requests import workflow
from requests.models import AuthorisationRequest, CatalogueItem, Kind, RequestEvent
from requests.workflow import TransitionRefused
from tests.factories import DepartmentFactory, UserFactory
from tests.requests.factories import CatalogueItemFactory

State = AuthorisationRequest.State
COST = Decimal("49.99")

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
TO = {
    "budget_approve": State.AWAITING_IT,
    "budget_reject": State.REJECTED,
    "approve": State.APPROVED,
    "reject": State.REJECTED,
    "budget_more_info": State.MORE_INFO,
    "more_info": State.MORE_INFO,
    "resubmit": State.AWAITING_IT,  # the cost was authorised before IT asked
    "withdraw": State.WITHDRAWN,
    "fulfil": State.FULFILLED,
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
    "more_info": "the IT Department",
    "resubmit": "the person who made the request",
    "withdraw": "the person who made the request",
    "fulfil": "the IT Department",
}
ACTORS = ["requester", "colleague", "budget_holder", "other_budget_holder", "it", "hr"]


def new_request(**fields: object) -> AuthorisationRequest:
    """An unsaved request, as a valid form would hand it to ``submit``."""
    values: dict[str, object] = {
        "kind": Kind.SOFTWARE,
        "item": "Notepad++",
        "vendor": "Don Ho",
        "version_or_model": "8.6",
        "justification": "To edit the rota export before it is uploaded.",
    }
    values.update(fields)
    return AuthorisationRequest(**values)


@dataclass
class People:
    requester: User
    colleague: User
    budget_holder: User
    other_budget_holder: User
    it: User
    it_colleague: User
    hr: User

    def actor(self, role: str) -> User:
        return getattr(self, role)


@pytest.fixture
def people(employee, manager, outsider, it_user, hr_user) -> People:
    colleague = UserFactory(
        email="colleague@example.com", department=employee.department, line_manager=manager
    )
    community = outsider.department
    community.budget_holder = outsider.line_manager
    community.save()
    it_colleague = UserFactory(email="it2@example.com", groups=[roles.IT_GROUP])
    # A former IT member: never told of anything.
    UserFactory(email="it.leaver@example.com", groups=[roles.IT_GROUP], is_active=False)
    return People(
        requester=employee,
        colleague=colleague,
        budget_holder=manager,
        other_budget_holder=community.budget_holder,
        it=it_user,
        it_colleague=it_colleague,
        hr=hr_user,
    )


def fresh(request: AuthorisationRequest) -> AuthorisationRequest:
    return AuthorisationRequest.objects.get(pk=request.pk)


def in_state(people: People, state: str) -> AuthorisationRequest:
    """A request with a cost, taken by the proper people to ``state``."""
    request = workflow.submit(requester=people.requester, request=new_request(cost_one_off=COST))
    steps = {
        State.AWAITING_BUDGET_HOLDER: [],
        State.AWAITING_IT: [("budget_approve", people.budget_holder)],
        State.MORE_INFO: [("budget_approve", people.budget_holder), ("more_info", people.it)],
        State.APPROVED: [("budget_approve", people.budget_holder), ("approve", people.it)],
        State.REJECTED: [("budget_approve", people.budget_holder), ("reject", people.it)],
        State.FULFILLED: [
            ("budget_approve", people.budget_holder),
            ("approve", people.it),
            ("fulfil", people.it),
        ],
        State.WITHDRAWN: [("budget_approve", people.budget_holder), ("withdraw", people.requester)],
    }[state]
    for action, actor in steps:
        request = workflow.perform(actor=actor, request=request, action=action, note="Noted.")
    assert request.state == state
    return request


@dataclass(frozen=True)
class Snapshot:
    request: dict[str, object]
    events: int
    audit: int
    notifications: frozenset[tuple[str, str, str]]


def snapshot(request: AuthorisationRequest) -> Snapshot:
    row = AuthorisationRequest.objects.filter(pk=request.pk).values().get()
    return Snapshot(
        request=row,
        events=RequestEvent.objects.filter(request=request).count(),
        audit=AuditEvent.objects.count(),
        notifications=frozenset(
            Notification.objects.values_list("recipient__email", "kind", "dedupe_key")
        ),
    )


def told(before: Snapshot, after: Snapshot) -> set[tuple[str, str]]:
    """Who was told what between two snapshots."""
    return {(email, kind) for email, kind, _ in after.notifications - before.notifications}


def it_members(people: People) -> set[tuple[str, str]]:
    return {(people.it.email, "request-for-it"), (people.it_colleague.email, "request-for-it")}


# --- Submitting ---------------------------------------------------------------------------------
def test_a_request_with_a_cost_goes_to_the_departments_budget_holder(people) -> None:
    request = workflow.submit(requester=people.requester, request=new_request(cost_one_off=COST))
    request = fresh(request)
    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert request.budget_holder == people.budget_holder
    assert request.department == people.requester.department
    assert request.budget_approved_at is None
    assert request.reference == f"AR-{request.pk:06d}"
    event = RequestEvent.objects.get(request=request)
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "submitted", "", State.AWAITING_BUDGET_HOLDER, people.requester,
    )  # fmt: skip
    audit = AuditEvent.objects.get()
    assert (audit.action, audit.actor, audit.object_id) == (
        "request.submitted", people.requester, str(request.pk),
    )  # fmt: skip
    assert audit.data == {"from": "", "to": State.AWAITING_BUDGET_HOLDER}
    assert set(Notification.objects.values_list("recipient__email", "kind")) == {
        (people.requester.email, "request-received"),
        (people.budget_holder.email, "request-budget"),
    }


def test_a_recurring_cost_alone_needs_the_budget_holder_too(people) -> None:
    request = workflow.submit(
        requester=people.requester,
        request=new_request(cost_recurring=Decimal("7.50"), recurring_period="monthly"),
    )
    assert fresh(request).state == State.AWAITING_BUDGET_HOLDER


def test_a_request_without_a_cost_goes_straight_to_it(people) -> None:
    request = fresh(workflow.submit(requester=people.requester, request=new_request()))
    assert request.state == State.AWAITING_IT
    assert request.budget_approved_at is None
    assert RequestEvent.objects.get(request=request).to_state == State.AWAITING_IT
    assert set(Notification.objects.values_list("recipient__email", "kind")) == {
        (people.requester.email, "request-received"),
        *it_members(people),
    }


def test_the_budget_holders_own_request_is_already_authorised(people) -> None:
    request = workflow.submit(
        requester=people.budget_holder, request=new_request(cost_one_off=COST)
    )
    request = fresh(request)
    assert request.state == State.AWAITING_IT
    assert request.budget_holder == people.budget_holder
    assert request.budget_approved_at is not None
    assert set(Notification.objects.values_list("recipient__email", "kind")) == {
        (people.budget_holder.email, "request-received"),
        *it_members(people),
    }


@pytest.mark.parametrize("department", ["without a budget holder", "none at all"])
def test_a_cost_with_no_budget_holder_is_refused_and_nothing_is_saved(db, department) -> None:
    requester = UserFactory(
        department=DepartmentFactory(name="Maintenance") if department != "none at all" else None
    )
    with pytest.raises(TransitionRefused, match="Your department has no budget holder"):
        workflow.submit(requester=requester, request=new_request(cost_one_off=COST))
    assert not AuthorisationRequest.objects.exists()
    assert not RequestEvent.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not Notification.objects.exists()


def test_without_a_cost_no_budget_holder_is_needed(db) -> None:
    requester = UserFactory(department=DepartmentFactory(name="Maintenance"))
    request = workflow.submit(requester=requester, request=new_request())
    assert fresh(request).state == State.AWAITING_IT


def test_an_item_in_the_register_is_matched_and_fast_tracked_when_free(people) -> None:
    listed = CatalogueItemFactory(name="Notepad++", kind=Kind.SOFTWARE)
    CatalogueItemFactory(name="Notepad++", kind=Kind.DOWNLOAD)
    free = fresh(workflow.submit(requester=people.requester, request=new_request(item="notepad++")))
    assert (free.catalogue_match, free.fast_tracked) == (listed, True)
    paid = workflow.submit(requester=people.requester, request=new_request(cost_one_off=COST))
    paid = fresh(paid)
    assert (paid.catalogue_match, paid.fast_tracked) == (listed, False)
    assert paid.state == State.AWAITING_BUDGET_HOLDER


def test_a_withdrawn_register_entry_is_not_a_match(people) -> None:
    CatalogueItemFactory(name="Notepad++", kind=Kind.SOFTWARE, active=False)
    request = fresh(workflow.submit(requester=people.requester, request=new_request()))
    assert (request.catalogue_match, request.fast_tracked) == (None, False)


# --- Every step, from every state, by everyone ---------------------------------------------
def test_the_table_covers_every_step_the_workflow_has() -> None:
    assert set(workflow.TRANSITIONS) == set(MAY_TAKE) == set(FROM) == set(TO)
    for action, transition in workflow.TRANSITIONS.items():
        assert bool(transition.note_required) == (action in NOTE_REQUIRED), action


def lowered(label: str) -> str:
    """A state's name inside a sentence: "awaiting IT", not "awaiting it"."""
    return label[0].lower() + label[1:]


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


def with_changes(request: AuthorisationRequest, **fields: object) -> AuthorisationRequest:
    changes = fresh(request)
    for name, value in fields.items():
        setattr(changes, name, value)
    return changes


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


# --- Separation of duties -------------------------------------------------------------------
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_it_cannot_decide_their_own_request_but_a_colleague_can(people, action) -> None:
    own = workflow.submit(requester=people.it, request=new_request())
    assert own.state == State.AWAITING_IT

    with pytest.raises(TransitionRefused, match="another member of the IT Department"):
        workflow.perform(actor=people.it, request=own, action=action, note="Mine.")
    assert fresh(own).state == State.AWAITING_IT

    decided = workflow.perform(actor=people.it_colleague, request=own, action=action, note="Ok.")
    assert decided.state in {State.APPROVED, State.REJECTED}


def test_a_budget_holder_changing_their_own_cost_within_the_limit_authorises_it_again(
    people, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    holder = people.budget_holder
    request = workflow.submit(requester=holder, request=new_request(cost_one_off=COST))
    assert request.state == State.AWAITING_IT and request.budget_approved_at is not None
    request = workflow.perform(actor=people.it, request=request, action="more_info", note="Seats?")

    workflow.update_details(
        actor=holder, request=request, changes=with_changes(request, cost_one_off=COST * 2)
    )
    assert fresh(request).budget_approved_at is None, "voided by the change"
    request = workflow.perform(actor=holder, request=request, action="resubmit")

    assert request.state == State.AWAITING_IT, "not left waiting for their own authority"
    request = fresh(request)
    assert (request.authorised_by, request.authority_holds) == (holder, True)


def test_a_budget_holder_raising_their_own_cost_above_the_limit_needs_a_second_authoriser(
    people, director, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    holder = people.budget_holder
    request = workflow.submit(requester=holder, request=new_request(cost_one_off=COST))
    request = workflow.perform(actor=people.it, request=request, action="more_info", note="Seats?")
    workflow.update_details(
        actor=holder, request=request, changes=with_changes(request, cost_one_off=COST * 3)
    )
    request = workflow.perform(actor=holder, request=request, action="resubmit")

    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert (request.budget_holder, request.second_authority) == (director, True)
    with pytest.raises(TransitionRefused, match="second authoriser asked"):
        workflow.perform(actor=holder, request=request, action="budget_approve")


# --- Segregation of duties: a budget holder's own cost above the limit --------------------------
LIMIT = Decimal("100.00")


@pytest.fixture
def director(people: People) -> User:
    """The budget holder's own line manager: their second authoriser."""
    boss = UserFactory(email="director@example.com", first_name="Dana", last_name="Cole")
    people.budget_holder.line_manager = boss
    people.budget_holder.save()
    return boss


@pytest.fixture
def limit(settings) -> Decimal:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = LIMIT
    return LIMIT


@pytest.mark.parametrize(
    "costs",
    [
        {"cost_one_off": LIMIT},
        {"cost_recurring": Decimal("100.00"), "recurring_period": "yearly"},
        {"cost_recurring": Decimal("8.33"), "recurring_period": "monthly"},  # £99.96 a year
        {"cost_one_off": Decimal("40.00"), "cost_recurring": Decimal("5.00"),
         "recurring_period": "monthly"},  # £100 in the first year
    ],
)  # fmt: skip
def test_a_budget_holders_own_cost_within_the_limit_is_their_authority(
    people, director, limit, costs
) -> None:
    holder = people.budget_holder
    request = fresh(workflow.submit(requester=holder, request=new_request(**costs)))
    assert request.state == State.AWAITING_IT
    assert (request.budget_holder, request.second_authority) == (holder, False)
    assert (request.authorised_by, request.authority_holds) == (holder, True)
    assert not Notification.objects.filter(kind="request-budget").exists()


@pytest.mark.parametrize(
    "costs",
    [
        {"cost_one_off": Decimal("100.01")},
        {"cost_recurring": Decimal("8.34"), "recurring_period": "monthly"},  # £100.08 a year
        {"cost_recurring": Decimal("10.00"), "recurring_period": "monthly"},
        {"cost_one_off": Decimal("60.00"), "cost_recurring": Decimal("50.00"),
         "recurring_period": "yearly"},
    ],
)  # fmt: skip
def test_a_budget_holders_own_cost_above_the_limit_goes_to_their_line_manager(
    people, director, limit, costs
) -> None:
    holder = people.budget_holder
    request = fresh(workflow.submit(requester=holder, request=new_request(**costs)))
    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert (request.budget_holder, request.second_authority) == (director, True)
    assert (request.budget_approved_at, request.authorised_by) == (None, None)
    assert set(Notification.objects.values_list("recipient__email", "kind")) == {
        (holder.email, "request-received"),
        (director.email, "request-budget"),
    }
    notice = Notification.objects.get(kind="request-budget")
    assert "your authority is needed as second authoriser" in notice.body_text
    assert "£100.00" in notice.body_text


def test_nobody_authorises_their_own_cost_above_the_limit(people, director, limit) -> None:
    holder = people.budget_holder
    request = workflow.submit(requester=holder, request=new_request(cost_one_off=Decimal("250")))
    assert workflow.available_actions(holder, request) == [workflow.TRANSITIONS["withdraw"]]
    for action in ("budget_approve", "budget_reject", "budget_more_info"):
        before = snapshot(request)
        with pytest.raises(TransitionRefused) as refusal:
            workflow.perform(actor=holder, request=request, action=action, note="Mine.")
        assert str(refusal.value).startswith("Only the budget holder or second authoriser asked")
        assert snapshot(request) == before
    # Nor may anyone else who is not the one asked: another budget holder, HR, IT.
    for other in (people.other_budget_holder, people.hr, people.it, people.colleague):
        with pytest.raises(TransitionRefused):
            workflow.perform(actor=other, request=request, action="budget_approve")
    assert fresh(request).state == State.AWAITING_BUDGET_HOLDER


def test_the_second_authorisers_decision_counts_as_the_budget_holders(
    people, director, limit
) -> None:
    holder = people.budget_holder
    request = workflow.submit(requester=holder, request=new_request(cost_one_off=Decimal("250")))
    assert {t.action for t in workflow.available_actions(director, request)} == {
        "budget_approve", "budget_reject", "budget_more_info",
    }  # fmt: skip
    before = snapshot(request)
    request = workflow.perform(actor=director, request=request, action="budget_approve")
    assert request.state == State.AWAITING_IT
    request = fresh(request)
    assert (request.authorised_by, request.authority_holds) == (director, True)
    assert told(before, snapshot(request)) == {
        *it_members(people), (holder.email, "request-update"),
    }  # fmt: skip
    update = Notification.objects.get(recipient=holder, kind="request-update")
    assert "as second authoriser, has authorised the cost" in update.body_text
    approved = workflow.perform(actor=people.it, request=request, action="approve")
    assert approved.state == State.APPROVED


def test_the_second_authoriser_can_refuse_or_ask_as_a_budget_holder_does(
    people, director, limit
) -> None:
    holder = people.budget_holder
    asked = workflow.submit(requester=holder, request=new_request(cost_one_off=Decimal("250")))
    asked = workflow.perform(
        actor=director, request=asked, action="budget_more_info", note="Which budget line?"
    )
    assert asked.state == State.MORE_INFO
    asked = workflow.perform(actor=holder, request=asked, action="resubmit")
    assert (asked.state, asked.budget_holder) == (State.AWAITING_BUDGET_HOLDER, director)
    refused = workflow.perform(
        actor=director, request=asked, action="budget_reject", note="Not this year."
    )
    assert refused.state == State.REJECTED


@pytest.mark.parametrize("manager_state", ["none", "inactive", "themselves"])
def test_with_no_line_manager_to_ask_hr_authorises_never_the_budget_holder(
    people, limit, manager_state
) -> None:
    holder = people.budget_holder
    if manager_state == "inactive":
        holder.line_manager = UserFactory(email="gone@example.com", is_active=False)
    elif manager_state == "themselves":
        holder.line_manager = holder
    holder.save()
    hr_colleague = UserFactory(email="hr2@example.com", groups=[roles.HR_GROUP])
    request = workflow.submit(requester=holder, request=new_request(cost_one_off=Decimal("250")))
    request = fresh(request)
    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert (request.budget_holder, request.second_authority) == (None, True)
    assert set(Notification.objects.filter(kind="request-budget").values_list(
        "recipient__email", flat=True
    )) == {people.hr.email, hr_colleague.email}  # fmt: skip
    with pytest.raises(TransitionRefused):
        workflow.perform(actor=holder, request=request, action="budget_approve")
    with pytest.raises(TransitionRefused):
        workflow.perform(actor=people.it, request=request, action="budget_approve")
    request = workflow.perform(actor=people.hr, request=request, action="budget_approve")
    assert request.state == State.AWAITING_IT
    assert fresh(request).authorised_by == people.hr


def test_an_hr_budget_holder_with_no_manager_is_authorised_by_another_member_of_hr(
    people, limit
) -> None:
    hr_department = people.hr.department
    hr_department.budget_holder = people.hr
    hr_department.save()
    hr_colleague = UserFactory(email="hr2@example.com", groups=[roles.HR_GROUP])
    request = workflow.submit(requester=people.hr, request=new_request(cost_one_off=Decimal("900")))
    assert [n.recipient for n in Notification.objects.filter(kind="request-budget")] == [
        hr_colleague
    ]
    with pytest.raises(TransitionRefused):
        workflow.perform(actor=people.hr, request=request, action="budget_approve")
    request = workflow.perform(actor=hr_colleague, request=request, action="budget_approve")
    assert request.state == State.AWAITING_IT


def test_a_limit_of_nothing_sends_every_own_cost_to_the_second_authoriser(
    people, director, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("0.00")
    request = workflow.submit(
        requester=people.budget_holder, request=new_request(cost_one_off=Decimal("0.01"))
    )
    assert (request.state, request.budget_holder) == (State.AWAITING_BUDGET_HOLDER, director)
    free = workflow.submit(requester=people.budget_holder, request=new_request())
    assert free.state == State.AWAITING_IT


# --- Segregation of duties: authority covers what was authorised -------------------------------
def test_an_authorised_item_turned_into_another_product_loses_its_authority(people) -> None:
    """The attack: a £10-a-year item, authorised, edited into another product at £10 a month."""
    request = workflow.submit(
        requester=people.requester,
        request=new_request(
            kind=Kind.SUBSCRIPTION, item="Rota Cloud Lite", cost_recurring=Decimal("10.00"),
            recurring_period="yearly",
        ),
    )  # fmt: skip
    request = workflow.perform(actor=people.budget_holder, request=request, action="budget_approve")
    request = workflow.perform(actor=people.it, request=request, action="more_info", note="Plan?")

    workflow.update_details(
        actor=people.requester, request=request,
        changes=with_changes(
            request, item="Completely Different Product", recurring_period="monthly"
        ),
    )  # fmt: skip

    voided = fresh(request)
    assert (voided.budget_approved_at, voided.authorised_by) == (None, None)
    changes = [
        ("Item", "Rota Cloud Lite", "Completely Different Product"),
        ("How often the recurring cost is paid", "Yearly", "Monthly"),
    ]
    assert voided.authority_changes() == changes
    event = RequestEvent.objects.filter(request=request).latest("pk")
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "authority_voided", people.requester, State.MORE_INFO, State.MORE_INFO,
    )  # fmt: skip
    assert event.note == (
        "Item: Rota Cloud Lite → Completely Different Product; "
        "How often the recurring cost is paid: Yearly → Monthly"
    )
    audit = AuditEvent.objects.get(action="request.authority_voided")
    assert (audit.actor, audit.object_id) == (people.requester, str(request.pk))
    assert audit.data == {"changes": {what: [old, new] for what, old, new in changes}}

    before = snapshot(request)
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert request.budget_holder == people.budget_holder
    assert told(before, snapshot(request)) == {(people.budget_holder.email, "request-budget")}
    notice = Notification.objects.filter(kind="request-budget").latest("pk")
    assert "Item: Rota Cloud Lite -> Completely Different Product" in notice.body_text
    assert "How often the recurring cost is paid: Yearly -> Monthly" in notice.body_text

    with pytest.raises(TransitionRefused):
        workflow.perform(actor=people.it, request=request, action="approve")
    assert fresh(request).state == State.AWAITING_BUDGET_HOLDER

    request = workflow.perform(actor=people.budget_holder, request=request, action="budget_approve")
    request = fresh(request)
    assert request.authority_holds and request.authority_changes() == []
    assert workflow.perform(actor=people.it, request=request, action="approve").state == (
        State.APPROVED
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("item", "Notepad++ Enterprise"),
        ("vendor", "Someone Else Ltd"),
        ("version_or_model", "9.0"),
        ("link", "https://example.com/other"),
        ("quantity", 25),
        ("licence_type", "Site licence"),
        ("cost_one_off", COST - 10),  # cheaper too: the authority was for something else
        ("cost_recurring", Decimal("1.00")),
        ("recurring_period", "yearly"),
    ],
)
def test_any_change_to_what_was_authorised_sends_it_back_to_the_budget_holder(
    people, field, value
) -> None:
    request = in_state(people, State.MORE_INFO)
    changes = {field: value}
    if field == "cost_recurring":
        changes["recurring_period"] = "monthly"
    if field == "recurring_period":
        changes["cost_recurring"] = fresh(request).cost_recurring  # the period alone
    workflow.update_details(
        actor=people.requester, request=request, changes=with_changes(request, **changes)
    )
    assert fresh(request).budget_approved_at is None
    assert RequestEvent.objects.filter(request=request, action="authority_voided").count() == 1
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_BUDGET_HOLDER


def test_it_cannot_approve_a_cost_whose_details_differ_from_what_was_authorised(people) -> None:
    """Whatever path changed the row (a script, the database), approval checks the terms."""
    request = in_state(people, State.AWAITING_IT)
    AuthorisationRequest.objects.filter(pk=request.pk).update(item="Completely Different Product")
    before = snapshot(request)
    with pytest.raises(TransitionRefused, match="not authorised for its details as they stand"):
        workflow.perform(actor=people.it, request=request, action="approve")
    assert snapshot(request) == before
    # IT can still send it back, and it goes to the budget holder again, unauthorised.
    request = workflow.perform(actor=people.it, request=request, action="more_info", note="?")
    request = workflow.perform(actor=people.requester, request=request, action="resubmit")
    assert request.state == State.AWAITING_BUDGET_HOLDER
    request = fresh(request)
    assert (request.budget_approved_at, request.authorised_by) == (None, None)
    assert request.authority_changes() == [("Item", "Notepad++", "Completely Different Product")]


# --- Segregation of duties: the budget authority and IT's decision are two people --------------
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_it_cannot_decide_a_request_whose_cost_they_authorised(people, action) -> None:
    """An IT member who is also a budget holder leaves IT's decision to a colleague."""
    department = DepartmentFactory(name="Estates")
    people.it.department = department
    people.it.save()
    department.budget_holder = people.it
    department.save()
    requester = UserFactory(email="estates@example.com", department=department)
    request = workflow.submit(requester=requester, request=new_request(cost_one_off=COST))
    request = workflow.perform(actor=people.it, request=request, action="budget_approve")
    assert action not in {t.action for t in workflow.available_actions(people.it, request)}
    with pytest.raises(TransitionRefused, match="another member of the IT Department"):
        workflow.perform(actor=people.it, request=request, action=action, note="Mine.")
    decided = workflow.perform(
        actor=people.it_colleague, request=request, action=action, note="Ok."
    )
    assert decided.state in {State.APPROVED, State.REJECTED}


def test_an_it_budget_holders_own_cost_is_decided_by_a_colleague(people, limit) -> None:
    department = people.it.department
    department.budget_holder = people.it
    department.save()
    request = workflow.submit(requester=people.it, request=new_request(cost_one_off=COST))
    assert request.state == State.AWAITING_IT, "within the limit: their own authority"
    with pytest.raises(TransitionRefused, match="another member of the IT Department"):
        workflow.perform(actor=people.it, request=request, action="approve")
    assert workflow.perform(actor=people.it_colleague, request=request, action="approve").state == (
        State.APPROVED
    )
