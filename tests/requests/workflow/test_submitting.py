"""Submitting a request: where it goes first, and what the register fast-tracks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.models import AuditEvent, Notification
from requests import selectors, workflow
from requests.models import AuthorisationRequest, Kind, RequestEvent
from requests.requesting import where_next
from requests.workflow import TransitionRefused
from tests.factories import DepartmentFactory, UserFactory
from tests.requests.factories import CatalogueItemFactory
from tests.requests.workflow.helpers import COST, State, fresh, it_members, new_request


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


def test_a_cost_with_no_budget_holder_waits_on_hrs_list_without_asking_anyone(db) -> None:
    requester = UserFactory(department=DepartmentFactory(name="Maintenance"))
    request = workflow.submit(requester=requester, request=new_request(cost_one_off=COST))
    request = fresh(request)
    assert request.state == State.AWAITING_BUDGET_HOLDER
    assert (request.budget_holder, request.second_authority) == (None, False)
    assert list(selectors.waiting_for_budget_holder()) == [request]
    assert list(Notification.objects.values_list("recipient__email", "kind")) == [
        (requester.email, "request-received")
    ]
    assert "no budget holder at the moment" in where_next(request)


def test_a_cost_from_someone_in_no_department_is_refused_and_nothing_is_saved(db) -> None:
    requester = UserFactory(department=None)
    with pytest.raises(TransitionRefused, match="You are not recorded in a department"):
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
