"""Who may open the request pages, and choosing the kind of request."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from requests.models import AuthorisationRequest, Kind
from tests.helpers import signed_in
from tests.requests.requesting.helpers import (
    State,
    asked_for_more,
    edit_url,
    form_data,
    fresh,
    new_url,
    submitted,
)


# --- Who may open the pages -------------------------------------------------------------------
def test_pages_need_sign_in(client: Client, employee) -> None:
    ar = submitted(employee)
    urls = [
        reverse("requests:choose_kind"),
        new_url(Kind.SOFTWARE),
        reverse("requests:mine"),
        edit_url(ar),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["employee", "manager", "it_user", "hr_user", "outsider"])
def test_everyone_may_ask_and_see_their_own_requests(client: Client, who: str, request) -> None:
    client = signed_in(client, request.getfixturevalue(who))
    assert client.get(reverse("requests:choose_kind")).status_code == 200
    assert client.get(new_url(Kind.DOWNLOAD)).status_code == 200
    response = client.get(reverse("requests:mine"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


def test_wrong_methods_are_refused(client: Client, employee, it_user) -> None:
    ar = asked_for_more(employee, it_user)
    client = signed_in(client, employee)
    assert client.post(reverse("requests:choose_kind")).status_code == 405
    assert client.post(reverse("requests:mine")).status_code == 405
    assert client.put(new_url(Kind.SOFTWARE)).status_code == 405
    assert client.delete(edit_url(ar)).status_code == 405
    assert fresh(ar).state == State.MORE_INFO


def test_an_unknown_kind_is_not_found(client: Client, employee) -> None:
    client = signed_in(client, employee)
    assert client.get(new_url("printer-ink")).status_code == 404
    response = client.post(new_url("printer-ink"), form_data(Kind.SOFTWARE))
    assert response.status_code == 404
    assert not AuthorisationRequest.objects.exists()


# --- Choosing the kind ------------------------------------------------------------------------
def test_choose_kind_offers_the_four_kinds_with_the_policy(client: Client, employee) -> None:
    response = signed_in(client, employee).get(reverse("requests:choose_kind"))
    assert response.status_code == 200
    content = response.content.decode()
    for kind, label in Kind.choices:
        assert f'data-testid="kind-{kind}"' in content
        assert f'href="{new_url(kind)}"' in content
        assert label in content
    assert "must be authorised by the IT Department before it is installed" in content
    assert "must be authorised by the IT Department before it is used" in content
    assert "without the IT Department&#x27;s prior approval" in content
    assert "prior authority of your budget holder" in content
    assert "Policy 4.6 and 5.3" in content
    assert "Policy 4.11" in content
