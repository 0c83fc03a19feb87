"""Assigning a request to a member of IT."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from requests.models import AuthorisationRequest, RequestEvent
from tests.helpers import messages_of, signed_in
from tests.requests.factories import AuthorisationRequestFactory
from tests.requests.reviewing.helpers import MAY_NOT_SEE, State, detail_url, snapshot


# --- Assigning ------------------------------------------------------------------------------------
def assign(client: Client, ar: AuthorisationRequest):
    return client.post(reverse("requests:assign", args=[ar.pk]))


def test_it_takes_a_request(client: Client, ar, it_user) -> None:
    response = assign(signed_in(client, it_user), ar)
    assert response.status_code == 302
    ar.refresh_from_db()
    assert ar.assignee == it_user
    assert RequestEvent.objects.filter(request=ar, action="assigned", actor=it_user).exists()
    assert messages_of(response) == [f"{ar.reference} is now assigned to you."]
    page = signed_in(client, it_user).get(detail_url(ar)).content.decode()
    assert "This request is assigned to you." in page


@pytest.mark.parametrize("actor", ["employee", "manager"])
def test_others_who_see_it_cannot_take_it(client: Client, ar, actor, request) -> None:
    before = snapshot(ar)
    response = assign(signed_in(client, request.getfixturevalue(actor)), ar)
    assert messages_of(response) == ["Only the IT Department can take a request."]
    assert snapshot(ar) == before


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_assigning_a_request_one_cannot_see_is_not_found(
    client: Client, ar, actor, request
) -> None:
    before = snapshot(ar)
    assert assign(signed_in(client, request.getfixturevalue(actor)), ar).status_code == 404
    assert snapshot(ar) == before


def test_a_decided_request_cannot_be_taken(client: Client, employee, it_user) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.FULFILLED)
    before = snapshot(ar)
    response = assign(signed_in(client, it_user), ar)
    assert messages_of(response) == [f"{ar.reference} is already decided."]
    assert snapshot(ar) == before


def test_assigning_needs_a_post(client: Client, ar, it_user) -> None:
    response = signed_in(client, it_user).get(reverse("requests:assign", args=[ar.pk]))
    assert response.status_code == 405


def test_anonymous_assigning_goes_to_sign_in(client: Client, ar) -> None:
    response = assign(client, ar)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert AuthorisationRequest.objects.get(pk=ar.pk).assignee is None
