"""A request's page: who may see it, what it shows, and a cost that does not grow with its
history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from requests.models import Attachment, AuthorisationRequest
from tests.factories import UserFactory
from tests.helpers import signed_in
from tests.requests.factories import (
    AuthorisationRequestFactory,
    CatalogueItemFactory,
    CommentFactory,
    RequestEventFactory,
)
from tests.requests.reviewing.helpers import MAY_NOT_SEE, State, detail_url

# Who may see a request: its requester, IT, and the budget holder asked.
MAY_SEE = ["employee", "manager", "it_user"]


# --- The page: who may see it ---------------------------------------------------------------------
def test_anonymous_is_sent_to_sign_in(client: Client, ar) -> None:
    response = client.get(detail_url(ar))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("actor", MAY_SEE)
def test_requester_it_and_budget_holder_see_the_page(client: Client, ar, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(detail_url(ar))
    assert response.status_code == 200
    assert response.context["ar"] == ar
    assert b"AR-%06d" % ar.pk in response.content


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_anyone_else_gets_not_found(client: Client, ar, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(detail_url(ar))
    assert response.status_code == 404
    assert b"Visio" not in response.content


def test_a_request_that_does_not_exist_is_not_found(client: Client, it_user) -> None:
    assert signed_in(client, it_user).get("/requests/999999/").status_code == 404


def test_the_page_is_read_only(client: Client, ar, employee) -> None:
    assert signed_in(client, employee).post(detail_url(ar)).status_code == 405


def test_budget_holder_of_the_old_department_no_longer_asked_cannot_see(
    client: Client, ar, manager, other_budget_holder
) -> None:
    AuthorisationRequest.objects.filter(pk=ar.pk).update(
        budget_holder=other_budget_holder, authorised_by=other_budget_holder
    )
    assert signed_in(client, manager).get(detail_url(ar)).status_code == 404
    assert signed_in(client, other_budget_holder).get(detail_url(ar)).status_code == 200


# --- The page: what it shows ----------------------------------------------------------------------
def test_page_shows_the_details_with_costs_in_pounds(client: Client, ar, employee) -> None:
    html = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "Visio Plan 2" in html
    assert "Microsoft" in html
    assert "£1,250.00" in html
    assert "£12.50 a month" in html
    assert "Awaiting IT" in html
    assert "Morgan Lee" in html  # the budget holder


def test_page_says_when_the_item_is_already_authorised(client: Client, employee) -> None:
    teams = CatalogueItemFactory(name="Microsoft Teams")
    ar = AuthorisationRequestFactory(
        requester=employee, item="Microsoft Teams", catalogue_match=teams, fast_tracked=True
    )
    response = signed_in(client, employee).get(detail_url(ar))
    html = response.content.decode()
    assert "Already authorised: Microsoft Teams (Software)" in html
    assert 'data-testid="fast-track"' in html


def test_page_without_a_match_says_nothing_of_the_register(client: Client, ar, employee) -> None:
    html = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "Already authorised" not in html
    assert 'data-testid="fast-track"' not in html


def test_page_shows_the_whole_history(client: Client, ar, employee, it_user) -> None:
    RequestEventFactory(request=ar, actor=employee, action="submitted", to_state=State.AWAITING_IT)
    RequestEventFactory(
        request=ar, actor=it_user, action="more_info", from_state=State.AWAITING_IT,
        to_state=State.MORE_INFO, note="Which laptop is it for?",
    )  # fmt: skip
    response = signed_in(client, employee).get(detail_url(ar))
    events = response.context["events"]
    assert [e.action for e in events] == ["submitted", "more_info"]
    html = response.content.decode()
    assert "More information asked" in html
    assert "Which laptop is it for?" in html
    assert it_user.full_name in html


def test_page_lists_attachments_with_a_download_link(client: Client, ar, employee) -> None:
    attachment = Attachment.objects.create(
        request=ar, uploaded_by=employee, token="a" * 32, file=f"requests/{ar.pk}/{'a' * 32}",
        original_name="quote.pdf", content_type="application/pdf", size=2048,
    )  # fmt: skip
    html = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "quote.pdf" in html
    assert "2.0\xa0KB" in html
    assert reverse("requests:download", args=[attachment.pk]) in html
    assert employee.full_name in html


def test_it_sees_its_steps_the_register_box_and_assign(client: Client, ar, it_user) -> None:
    response = signed_in(client, it_user).get(detail_url(ar))
    offered = [form.transition.action for form in response.context["action_forms"]]
    assert offered == ["approve", "reject", "more_info"]
    html = response.content.decode()
    assert "Assign to me" in html
    assert 'name="conditions"' in html
    assert "Add to the authorised register" in html
    assert "Reason for rejecting" in html
    assert "Your question" in html


def test_register_box_is_not_offered_when_the_item_is_already_there(
    client: Client, employee, it_user
) -> None:
    ar = AuthorisationRequestFactory(requester=employee, catalogue_match=CatalogueItemFactory())
    html = signed_in(client, it_user).get(detail_url(ar)).content.decode()
    assert 'name="conditions"' in html
    assert "Add to the authorised register" not in html


def test_it_sees_what_to_record_when_fulfilling(client: Client, employee, it_user) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.APPROVED)
    response = signed_in(client, it_user).get(detail_url(ar))
    assert [f.transition.action for f in response.context["action_forms"]] == ["fulfil"]
    html = response.content.decode()
    assert "What was installed or issued, and where" in html
    assert "Assign to me" not in html  # decided requests are not taken


def test_requester_may_only_withdraw_while_it_decides(client: Client, ar, employee) -> None:
    response = signed_in(client, employee).get(detail_url(ar))
    assert [f.transition.action for f in response.context["action_forms"]] == ["withdraw"]
    html = response.content.decode()
    assert "Assign to me" not in html
    assert 'name="conditions"' not in html


def test_budget_holder_sees_authorise_and_refuse(client: Client, employee, manager) -> None:
    ar = AuthorisationRequestFactory(
        requester=employee, cost_one_off=Decimal("90"), state=State.AWAITING_BUDGET_HOLDER
    )
    response = signed_in(client, manager).get(detail_url(ar))
    offered = [f.transition.action for f in response.context["action_forms"]]
    assert offered == ["budget_approve", "budget_reject", "budget_more_info"]
    assert "Reason for refusing the cost" in response.content.decode()


def test_nothing_to_do_on_a_closed_request(client: Client, employee) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.REJECTED)
    response = signed_in(client, employee).get(detail_url(ar))
    assert response.context["action_forms"] == []
    assert b"Nothing for you to do on this request now." in response.content


# --- The page's cost does not grow with its history -----------------------------------------------
@pytest.mark.parametrize("size", [2, 20])
@pytest.mark.parametrize("actor", ["it_user", "employee"])
def test_page_queries_do_not_grow_with_history(
    client: Client, ar, it_user, employee, actor, size, request, django_assert_max_num_queries
) -> None:
    people = [employee, it_user, UserFactory()]
    for n in range(size):
        RequestEventFactory(request=ar, actor=people[n % 3], action="more_info", note=f"n{n}")
        CommentFactory(request=ar, author=people[n % 3], internal=n % 2 == 0)
        Attachment.objects.create(
            request=ar, uploaded_by=people[n % 3], token=f"{n:032d}", file=f"x/{n}",
            original_name=f"file-{n}.pdf", content_type="application/pdf", size=100,
        )  # fmt: skip
    signed_in(client, request.getfixturevalue(actor))
    with django_assert_max_num_queries(13):
        response = client.get(detail_url(ar))
    assert response.status_code == 200
    assert len(response.context["events"]) == size
    assert len(response.context["attachments"]) == size
