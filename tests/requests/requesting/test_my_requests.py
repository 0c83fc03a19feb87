"""My requests: the employee's own list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests.models import Kind
from tests.helpers import signed_in
from tests.requests.factories import AuthorisationRequestFactory
from tests.requests.requesting.helpers import State, edit_url


# --- My requests ------------------------------------------------------------------------------
def test_my_requests_lists_only_my_own_newest_first(client: Client, employee, outsider) -> None:
    now = timezone.now()
    older = AuthorisationRequestFactory(
        requester=employee, item="Older item", submitted_at=now - timedelta(days=40)
    )
    newer = AuthorisationRequestFactory(
        requester=employee, item="Newer item", kind=Kind.HARDWARE, state=State.MORE_INFO
    )
    AuthorisationRequestFactory(requester=outsider, item="Someone else's item")

    response = signed_in(client, employee).get(reverse("requests:mine"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    content = response.content.decode()
    assert "Someone else" not in content
    assert content.index("Newer item") < content.index("Older item")
    assert newer.reference in content
    assert "Hardware" in content
    assert "More information needed" in content
    assert timezone.localtime(older.submitted_at).strftime("%-d %B %Y") in content
    # Only a request waiting for the requester offers "Answer".
    assert f'href="{edit_url(newer)}"' in content
    assert f'href="{edit_url(older)}"' not in content


def test_my_requests_can_be_filtered_by_state(client: Client, employee) -> None:
    waiting = AuthorisationRequestFactory(requester=employee, state=State.MORE_INFO)
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_IT)
    client = signed_in(client, employee)

    response = client.get(reverse("requests:mine"), {"state": "more_info"})
    assert list(response.context["page"].object_list) == [waiting]
    assert response.context["state"] == "more_info"

    response = client.get(reverse("requests:mine"), {"state": "nonsense"})
    assert response.context["page"].paginator.count == 2
    assert response.context["state"] == ""

    response = client.get(reverse("requests:mine"), {"state": "approved"})
    assert response.context["page"].paginator.count == 0
    assert "You have no requests marked “Approved”." in response.content.decode()
    assert '<option value="approved" selected>' in response.content.decode()


def test_my_requests_with_none_yet_says_how_to_ask(client: Client, employee) -> None:
    response = signed_in(client, employee).get(reverse("requests:mine"))
    assert b"You have not made any requests yet" in response.content
    assert reverse("requests:choose_kind").encode() in response.content


def test_my_requests_come_25_to_a_page(client: Client, employee) -> None:
    AuthorisationRequestFactory.create_batch(27, requester=employee, state=State.AWAITING_IT)
    AuthorisationRequestFactory.create_batch(3, requester=employee, state=State.APPROVED)
    client = signed_in(client, employee)

    first = client.get(reverse("requests:mine"))
    assert len(first.context["page"].object_list) == 25
    assert b"Page 1 of 2" in first.content

    second = client.get(reverse("requests:mine"), {"page": 2})
    assert len(second.context["page"].object_list) == 5

    filtered = client.get(reverse("requests:mine"), {"state": "awaiting_it"})
    assert filtered.context["page"].paginator.count == 27
    assert b"?state=awaiting_it&amp;page=2" in filtered.content


@pytest.mark.parametrize("count", [3, 40])
def test_my_requests_takes_the_same_queries_whatever_the_number(
    client: Client, employee, django_assert_max_num_queries, count: int
) -> None:
    AuthorisationRequestFactory.create_batch(count, requester=employee, state=State.MORE_INFO)
    client = signed_in(client, employee)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("requests:mine"))
    assert len(response.context["page"].object_list) == min(count, 25)
