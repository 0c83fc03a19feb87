"""Answering a request for more information: changing the details and sending the request back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from portal.models import Notification
from requests import workflow
from requests.models import AuthorisationRequest, Kind, RequestEvent
from tests.helpers import messages_of, signed_in
from tests.requests.requesting.helpers import (
    QUESTION,
    State,
    asked_for_more,
    detail_url,
    edit_url,
    form_data,
    fresh,
    submitted,
)

FORBIDDEN = b"You do not have access to this page"


# --- Answering a request for more information -------------------------------------------------
def test_edit_page_shows_the_question_and_the_request_as_it_is(
    client: Client, employee, it_user
) -> None:
    ar = asked_for_more(employee, it_user)
    response = signed_in(client, employee).get(edit_url(ar))

    assert response.status_code == 200
    content = response.content.decode()
    assert escape(QUESTION) in content
    assert escape(it_user.full_name) in content  # a name may hold an apostrophe
    form = response.context["form"]
    assert form.kind == Kind.SOFTWARE
    assert form["item"].value() == "Rota Planner"
    assert form["version_or_model"].value() == "4.2"


def test_the_latest_question_is_shown(client: Client, employee, manager, it_user) -> None:
    ar = submitted(employee, kind=Kind.HARDWARE, item="Label printer", cost_one_off=Decimal("90"))
    ar = workflow.perform(actor=manager, request=ar, action="budget_more_info", note="Which model?")
    ar = workflow.perform(actor=employee, request=ar, action="resubmit")
    ar = workflow.perform(
        actor=manager, request=ar, action="budget_more_info", note="And which shop?"
    )

    content = signed_in(client, employee).get(edit_url(ar)).content.decode()
    assert "And which shop?" in content
    assert "Which model?" not in content
    assert f"{manager.full_name} asked" in content


def test_answering_saves_the_changes_and_sends_it_back(client: Client, employee, it_user) -> None:
    ar = asked_for_more(employee, it_user)
    data = form_data(Kind.SOFTWARE, device="LT-0099", justification="For the night shift rota.")
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 302
    assert response["Location"] == detail_url(ar)
    ar = fresh(ar)
    assert ar.state == State.AWAITING_IT
    assert ar.device == "LT-0099"
    assert ar.justification == "For the night shift rota."
    assert ar.quantity == 3
    assert RequestEvent.objects.filter(request=ar, action="resubmit", actor=employee).exists()
    # IT is told again, on a new key, that it is back with them.
    assert Notification.objects.filter(kind="request-for-it", recipient=it_user).count() == 2
    [message] = messages_of(response)
    assert message.startswith(f"Your changes to {ar.reference} are saved")
    assert "It has gone to the IT Department." in message


def test_raising_the_cost_asks_the_budget_holder_again(
    client: Client, employee, manager, it_user
) -> None:
    ar = asked_for_more(employee, it_user, cost_one_off=Decimal("50"))
    assert fresh(ar).budget_approved_at is not None
    data = form_data(Kind.SOFTWARE, cost_one_off="75")
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 302
    ar = fresh(ar)
    assert ar.state == State.AWAITING_BUDGET_HOLDER
    assert ar.cost_one_off == Decimal("75.00")
    assert ar.budget_approved_at is None
    assert Notification.objects.filter(kind="request-budget", recipient=manager).count() == 2
    assert "Morgan Lee, your budget holder" in messages_of(response)[0]


def test_another_product_at_another_price_goes_back_and_the_budget_holder_sees_what_changed(
    client: Client, employee, manager, it_user
) -> None:
    """The attack, through the pages: the requester answers IT's question by changing the item."""
    ar = asked_for_more(
        employee, it_user, kind=Kind.SUBSCRIPTION, item="Rota Cloud Lite",
        cost_recurring=Decimal("10.00"), recurring_period="yearly",
    )  # fmt: skip
    assert fresh(ar).authority_holds
    data = {
        **form_data(Kind.SUBSCRIPTION),
        "item": "Completely Different Product",
        "cost_one_off": "",
        "cost_recurring": "10.00",
        "recurring_period": "monthly",
    }
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 302
    ar = fresh(ar)
    assert ar.state == State.AWAITING_BUDGET_HOLDER
    assert (ar.budget_holder, ar.budget_approved_at) == (manager, None)
    assert "Morgan Lee, your budget holder" in messages_of(response)[0]

    page = signed_in(client, manager).get(detail_url(ar))
    changes = page.context["authority_changes"]
    assert ("Item", "Rota Cloud Lite", "Completely Different Product") in changes
    assert ("How often the recurring cost is paid", "Yearly", "Monthly") in changes
    html = page.content.decode()
    assert "Changed since the cost was authorised" in html
    assert "<del>Rota Cloud Lite</del>" in html
    assert "<ins>Completely Different Product</ins>" in html
    assert "Cost authority voided" in html  # the history says so
    offered = [f.transition.action for f in page.context["action_forms"]]
    assert offered == ["budget_approve", "budget_reject", "budget_more_info"]

    # IT cannot approve it until it is authorised again.
    response = signed_in(client, it_user).post(
        reverse("requests:act", args=[ar.pk]), {"action": "approve"}
    )
    assert fresh(ar).state == State.AWAITING_BUDGET_HOLDER
    signed_in(client, manager).post(
        reverse("requests:act", args=[ar.pk]), {"action": "budget_approve"}
    )
    ar = fresh(ar)
    assert (ar.state, ar.authority_holds) == (State.AWAITING_IT, True)
    assert signed_in(client, manager).get(detail_url(ar)).context["authority_changes"] == []


def test_a_refused_resubmission_changes_nothing_and_keeps_what_was_typed(
    client: Client, outsider, it_user
) -> None:
    ar = asked_for_more(outsider, it_user)
    # Someone recorded in no department has nobody who could authorise a cost.
    AuthorisationRequest.objects.filter(pk=ar.pk).update(department=None)
    data = form_data(Kind.SOFTWARE, cost_one_off="300", justification="Now with a cost.")
    response = signed_in(client, outsider).post(edit_url(ar), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert "You are not recorded in a department" in content
    assert 'value="300"' in content
    assert "Now with a cost." in content
    ar = fresh(ar)
    assert ar.state == State.MORE_INFO
    assert ar.cost_one_off == Decimal("0.00")
    assert ar.justification == "Plan the night shifts for the home."


def test_bad_input_on_the_edit_page_changes_nothing(client: Client, employee, it_user) -> None:
    ar = asked_for_more(employee, it_user)
    data = form_data(Kind.SOFTWARE, quantity="0", item="Rota Planner 5")
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert "The quantity must be at least 1." in content
    assert 'value="Rota Planner 5"' in content
    assert escape(QUESTION) in content
    ar = fresh(ar)
    assert ar.state == State.MORE_INFO
    assert ar.item == "Rota Planner"


def test_people_who_may_not_see_the_request_get_not_found(
    client: Client, employee, outsider, it_user
) -> None:
    ar = asked_for_more(employee, it_user)
    client = signed_in(client, outsider)
    assert client.get(edit_url(ar)).status_code == 404
    assert client.post(edit_url(ar), form_data(Kind.SOFTWARE)).status_code == 404
    assert client.get(reverse("requests:edit", args=[ar.pk + 1000])).status_code == 404
    assert fresh(ar).state == State.MORE_INFO


@pytest.mark.parametrize("who", ["manager", "it_user"])
def test_others_who_see_the_request_may_not_change_it(
    client: Client, employee, manager, it_user, who: str, request
) -> None:
    ar = asked_for_more(employee, it_user, cost_one_off=Decimal("20"))
    client = signed_in(client, request.getfixturevalue(who))
    response = client.get(edit_url(ar))
    assert response.status_code == 403
    assert FORBIDDEN in response.content
    assert b"Only the person who made a request can change it." in response.content
    response = client.post(edit_url(ar), form_data(Kind.SOFTWARE, item="Changed"))
    assert response.status_code == 403
    assert fresh(ar).item == "Rota Planner"


def test_a_request_not_waiting_for_answers_cannot_be_changed(
    client: Client, employee, it_user
) -> None:
    ar = submitted(employee)
    client = signed_in(client, employee)
    response = client.get(edit_url(ar))
    assert response.status_code == 302
    assert response["Location"] == detail_url(ar)
    assert messages_of(response) == [
        f"{ar.reference} is “Awaiting IT”. A request can be changed only while more "
        "information is asked for."
    ]
    response = client.post(edit_url(ar), form_data(Kind.SOFTWARE, item="Changed"))
    assert response.status_code == 302
    assert fresh(ar).item == "Rota Planner"
