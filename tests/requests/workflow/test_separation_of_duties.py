"""Separation of duties: nobody authorises their own cost above the limit, authority covers only
what was authorised, and the budget authority and IT's decision are two people."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal import permissions as roles
from portal.models import AuditEvent, Notification, User
from requests import workflow
from requests.models import AuthorisationRequest, Kind, RequestEvent
from requests.workflow import TransitionRefused
from tests.factories import DepartmentFactory, UserFactory
from tests.requests.workflow.helpers import (
    COST,
    People,
    State,
    fresh,
    in_state,
    it_members,
    new_request,
    snapshot,
    told,
    with_changes,
)


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
