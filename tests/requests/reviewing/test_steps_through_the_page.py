"""Steps taken through a request's page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Notification
from requests.models import CatalogueItem, RequestEvent
from tests.helpers import messages_of, signed_in
from tests.requests.factories import AuthorisationRequestFactory
from tests.requests.reviewing.helpers import MAY_NOT_SEE, State, act, detail_url, snapshot


# --- Steps through the page -----------------------------------------------------------------------
def test_it_approves_adds_to_the_register_and_the_requester_is_told(
    client: Client, ar, employee, it_user
) -> None:
    response = act(
        signed_in(client, it_user), ar, "approve",
        conditions="Only on the laptop CT-0042.", add_to_register="on",
    )  # fmt: skip
    assert response.status_code == 302
    assert response.url == detail_url(ar)
    ar.refresh_from_db()
    assert ar.state == State.APPROVED
    assert ar.conditions == "Only on the laptop CT-0042."
    item = CatalogueItem.objects.get()
    assert ar.catalogue_match == item
    assert (item.name, item.kind, item.vendor) == ("Visio Plan 2", ar.kind, "Microsoft")
    assert item.created_by == it_user
    event = RequestEvent.objects.get(request=ar, action="approve")
    assert (event.actor, event.note) == (it_user, "Only on the laptop CT-0042.")
    notice = Notification.objects.get(recipient=employee, kind="request-update")
    assert "Only on the laptop CT-0042." in notice.body_text
    assert messages_of(response) == [f"{ar.reference} is approved. The requester has been told."]


def test_approving_without_the_box_leaves_the_register_alone(
    client: Client, ar, employee, it_user
) -> None:
    act(signed_in(client, it_user), ar, "approve", conditions="")
    ar.refresh_from_db()
    assert ar.state == State.APPROVED
    assert ar.catalogue_match is None
    assert not CatalogueItem.objects.exists()
    assert Notification.objects.filter(recipient=employee, kind="request-update").exists()


def test_budget_holder_authorises_the_cost(client: Client, employee, manager) -> None:
    ar = AuthorisationRequestFactory(
        requester=employee, cost_one_off=Decimal("90"), state=State.AWAITING_BUDGET_HOLDER
    )
    response = act(signed_in(client, manager), ar, "budget_approve")
    ar.refresh_from_db()
    assert ar.state == State.AWAITING_IT
    assert ar.budget_approved_at is not None
    assert "It has gone to the IT Department" in messages_of(response)[0]


def test_a_missing_reason_keeps_what_was_typed(client: Client, ar, it_user) -> None:
    before = snapshot(ar)
    response = act(signed_in(client, it_user), ar, "reject", note="   ")
    assert response.status_code == 200
    assert b"Give the reason for rejecting" in response.content
    assert snapshot(ar) == before


def test_too_long_conditions_are_shown_again(client: Client, ar, it_user) -> None:
    before = snapshot(ar)
    typed = "Only on CT-0042. " * 300
    response = act(signed_in(client, it_user), ar, "approve", conditions=typed)
    assert response.status_code == 200
    assert typed.strip().encode() in response.content
    assert b"Ensure this value has at most 5000 characters" in response.content
    assert snapshot(ar) == before


@pytest.mark.parametrize(
    ("actor", "action", "message"),
    [
        ("employee", "approve", "Only another member of the IT Department can approve."),
        ("manager", "reject", "Only another member of the IT Department can reject."),
        ("it_user", "withdraw", "Only the person who made the request can withdraw."),
        ("it_user", "budget_approve", "is awaiting IT: it cannot be sent to"),
        ("employee", "resubmit", "is awaiting IT: it cannot be sent to"),
        ("it_user", "nonsense", "There is no step called 'nonsense'."),
    ],
)
def test_a_refused_step_says_why_and_changes_nothing(
    client: Client, ar, actor, action, message, request
) -> None:
    before = snapshot(ar)
    response = act(signed_in(client, request.getfixturevalue(actor)), ar, action, note="Because.")
    assert response.status_code == 302
    assert response.url == detail_url(ar)
    (text,) = messages_of(response)
    assert message in text
    assert snapshot(ar) == before


def test_a_step_on_a_decided_request_is_refused(client: Client, employee, it_user) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.APPROVED)
    before = snapshot(ar)
    response = act(signed_in(client, it_user), ar, "reject", note="Changed my mind.")
    assert "is approved: it cannot be sent to" in messages_of(response)[0]
    assert snapshot(ar) == before


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_steps_on_a_request_one_cannot_see_are_not_found(
    client: Client, ar, actor, request
) -> None:
    before = snapshot(ar)
    response = act(signed_in(client, request.getfixturevalue(actor)), ar, "approve")
    assert response.status_code == 404
    assert snapshot(ar) == before


def test_steps_need_a_post(client: Client, ar, it_user) -> None:
    assert signed_in(client, it_user).get(reverse("requests:act", args=[ar.pk])).status_code == 405


def test_anonymous_steps_go_to_sign_in(client: Client, ar) -> None:
    before = snapshot(ar)
    response = act(client, ar, "approve")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert snapshot(ar) == before
