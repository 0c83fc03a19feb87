"""The register, as the item is typed: what matches and what the employee is shown."""

from __future__ import annotations

from django.test import Client

from portal.models import Notification
from requests.models import AuthorisationRequest, Kind
from tests.helpers import messages_of, signed_in
from tests.requests.factories import CatalogueItemFactory
from tests.requests.requesting.helpers import State, form_data, new_url


# --- The register, as the item is typed -------------------------------------------------------
def test_matching_active_register_items_are_shown_as_already_authorised(
    client: Client, employee
) -> None:
    CatalogueItemFactory(name="Rota Planner Pro", kind=Kind.SOFTWARE, vendor="Shift Tools Ltd")
    CatalogueItemFactory(name="Rota Planner Classic", kind=Kind.SOFTWARE, active=False)
    CatalogueItemFactory(name="Rota whiteboard", kind=Kind.HARDWARE)

    response = signed_in(client, employee).get(new_url(Kind.SOFTWARE), {"q": "rota"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Already authorised" in content
    assert "Rota Planner Pro" in content
    assert "Rota Planner Classic" not in content  # withdrawn from the register
    assert "Rota whiteboard" not in content  # another kind
    assert [item.name for item in response.context["matches"]] == ["Rota Planner Pro"]
    # What was looked up becomes the item in the form.
    assert response.context["form"]["item"].value() == "rota"


def test_an_inactive_item_alone_is_not_suggested(client: Client, employee) -> None:
    CatalogueItemFactory(name="Rota Planner Classic", kind=Kind.SOFTWARE, active=False)
    response = signed_in(client, employee).get(new_url(Kind.SOFTWARE), {"q": "Rota Planner"})
    content = response.content.decode()
    assert "Already authorised" not in content
    assert "Rota Planner Classic" not in content
    assert 'data-testid="no-register-match"' in content


def test_no_lookup_without_a_name(client: Client, employee) -> None:
    CatalogueItemFactory(name="Rota Planner Pro", kind=Kind.SOFTWARE)
    response = signed_in(client, employee).get(new_url(Kind.SOFTWARE), {"q": "   "})
    assert response.context["matches"] == []
    assert "Rota Planner Pro" not in response.content.decode()


def test_matches_are_shown_again_when_the_form_comes_back(client: Client, employee) -> None:
    CatalogueItemFactory(name="Rota Planner", kind=Kind.SOFTWARE)
    response = signed_in(client, employee).post(
        new_url(Kind.SOFTWARE), form_data(Kind.SOFTWARE, justification="")
    )
    assert response.status_code == 200
    assert "Already authorised" in response.content.decode()
    assert "Explain why the business needs it." in response.content.decode()


def test_an_item_in_the_register_with_no_cost_is_fast_tracked(
    client: Client, employee, it_user
) -> None:
    listed = CatalogueItemFactory(name="PDF Reader", kind=Kind.DOWNLOAD)
    response = signed_in(client, employee).post(
        new_url(Kind.DOWNLOAD), form_data(Kind.DOWNLOAD, item="pdf reader")
    )

    ar = AuthorisationRequest.objects.get()
    assert ar.catalogue_match == listed
    assert ar.fast_tracked
    assert ar.state == State.AWAITING_IT
    assert "fast-tracked: already in the authorised register" in messages_of(response)[0]
    received = Notification.objects.get(kind="request-received")
    assert "fast-tracked" in received.body_text


def test_an_item_in_the_register_with_a_cost_still_needs_the_budget_holder(
    client: Client, employee, manager
) -> None:
    listed = CatalogueItemFactory(name="Label printer", kind=Kind.HARDWARE)
    signed_in(client, employee).post(new_url(Kind.HARDWARE), form_data(Kind.HARDWARE))

    ar = AuthorisationRequest.objects.get()
    assert ar.catalogue_match == listed
    assert not ar.fast_tracked
    assert ar.state == State.AWAITING_BUDGET_HOLDER


def test_an_inactive_register_item_is_not_fast_tracked(client: Client, employee) -> None:
    CatalogueItemFactory(name="PDF Reader", kind=Kind.DOWNLOAD, active=False)
    signed_in(client, employee).post(new_url(Kind.DOWNLOAD), form_data(Kind.DOWNLOAD))

    ar = AuthorisationRequest.objects.get()
    assert ar.catalogue_match is None
    assert not ar.fast_tracked
