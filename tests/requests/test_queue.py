"""The budget holder's approvals and the IT queue: who may open them, the filters, the counts, and
keyset pagination that costs the same on every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import permissions as roles
from portal.models import User
from requests import queue
from requests.models import AuthorisationRequest, Kind
from tests.factories import UserFactory
from tests.helpers import signed_in
from tests.requests.factories import AuthorisationRequestFactory, CatalogueItemFactory

State = AuthorisationRequest.State
QUEUE_URL = reverse("requests:queue")
APPROVALS_URL = reverse("requests:approvals")
FORBIDDEN = b"You do not have access to this page"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def pks(response) -> list[int]:
    return [row.pk for row in response.context["page"].rows]


# --- Approvals ------------------------------------------------------------------------------------
def test_approvals_need_signing_in(client: Client) -> None:
    response = client.get(APPROVALS_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_budget_holder_sees_only_costs_waiting_for_them(
    client: Client, employee, manager, outsider, other_budget_holder
) -> None:
    waiting = AuthorisationRequestFactory(
        requester=employee, item="Adobe Acrobat Pro", cost_one_off=Decimal("1499.99"),
        state=State.AWAITING_BUDGET_HOLDER,
    )  # fmt: skip
    AuthorisationRequestFactory(requester=employee, item="Already with IT", state=State.AWAITING_IT)
    colleague = UserFactory(department=other_budget_holder.department)
    AuthorisationRequestFactory(
        requester=colleague, item="Someone else's cost", state=State.AWAITING_BUDGET_HOLDER
    )
    response = signed_in(client, manager).get(APPROVALS_URL)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [waiting]
    html = response.content.decode()
    assert "Adobe Acrobat Pro" in html
    assert "£1,499.99" in html
    assert "Already with IT" not in html
    assert "Someone else" not in html


def test_another_budget_holder_sees_only_their_own(
    client: Client, employee, manager, other_budget_holder
) -> None:
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_BUDGET_HOLDER)
    theirs = AuthorisationRequestFactory(
        requester=UserFactory(department=other_budget_holder.department),
        state=State.AWAITING_BUDGET_HOLDER,
    )
    response = signed_in(client, other_budget_holder).get(APPROVALS_URL)
    assert list(response.context["page"].object_list) == [theirs]


def test_budget_holder_with_nothing_waiting_is_told_so(client: Client, manager) -> None:
    response = signed_in(client, manager).get(APPROVALS_URL)
    assert b"Nothing is waiting for you." in response.content


@pytest.mark.parametrize("actor", ["employee", "outsider", "it_user", "hr_user"])
def test_people_who_hold_no_budget_are_refused_approvals(client: Client, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(APPROVALS_URL)
    assert response.status_code == 403
    refusal = b"Only a budget holder, or someone asked to authorise a cost, has approvals to give."
    assert refusal in response.content


def test_approvals_are_read_only(client: Client, manager) -> None:
    assert signed_in(client, manager).post(APPROVALS_URL).status_code == 405


# --- The IT queue: who may open it ----------------------------------------------------------------
def test_queue_needs_signing_in(client: Client) -> None:
    response = client.get(QUEUE_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "actor", ["employee", "manager", "outsider", "other_budget_holder", "hr_user"]
)
def test_only_it_works_the_queue(client: Client, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(QUEUE_URL)
    assert response.status_code == 403
    assert b"Only the IT Department works the request queue." in response.content


def test_queue_is_read_only(client: Client, it_user) -> None:
    assert signed_in(client, it_user).post(QUEUE_URL).status_code == 405


# --- Filters and counts ---------------------------------------------------------------------------
@pytest.fixture
def spread(employee, manager, outsider, it_user) -> dict[str, AuthorisationRequest]:
    """One request in each state, and a few to tell the filters apart."""
    other_it = UserFactory(email="it2@example.com", groups=[roles.IT_GROUP])

    def make(name: str, days_ago: int, **fields: object) -> AuthorisationRequest:
        fields.setdefault("requester", employee)
        return AuthorisationRequestFactory(
            item=name, submitted_at=timezone.now() - timedelta(days=days_ago), **fields
        )

    return {
        "budget": make("Cost to authorise", 9, state=State.AWAITING_BUDGET_HOLDER),
        "it_old": make("Old for IT", 30, state=State.AWAITING_IT, kind=Kind.HARDWARE),
        "it_mine": make("Taken by me", 6, state=State.AWAITING_IT, assignee=it_user),
        "it_other": make("Taken by a colleague", 4, state=State.AWAITING_IT, assignee=other_it),
        "it_outsider": make("From Community Support", 3, state=State.AWAITING_IT,
                            requester=outsider),
        "it_fast": make("Teams", 1, state=State.AWAITING_IT, fast_tracked=True,
                        catalogue_match=CatalogueItemFactory(name="Teams")),
        "more_info": make("Needs more information", 8, state=State.MORE_INFO),
        "approved": make("Approved one", 20, state=State.APPROVED),
        "rejected": make("Rejected one", 21, state=State.REJECTED),
        "fulfilled": make("Fulfilled one", 22, state=State.FULFILLED),
        "withdrawn": make("Withdrawn one", 23, state=State.WITHDRAWN),
        "other_it": other_it,
    }  # fmt: skip


def listed(client: Client, spread, **params: object) -> list[str]:
    response = client.get(QUEUE_URL, params)
    assert response.status_code == 200
    names = {ar.pk: key for key, ar in spread.items() if isinstance(ar, AuthorisationRequest)}
    return [names[pk] for pk in pks(response)]


def test_default_is_awaiting_it_oldest_first(client: Client, it_user, spread) -> None:
    assert listed(signed_in(client, it_user), spread) == [
        "it_old", "it_mine", "it_other", "it_outsider", "it_fast",
    ]  # fmt: skip


def test_all_open_requests(client: Client, it_user, spread) -> None:
    assert listed(signed_in(client, it_user), spread, state="open") == [
        "it_old", "budget", "more_info", "it_mine", "it_other", "it_outsider", "it_fast",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (State.AWAITING_BUDGET_HOLDER, ["budget"]),
        (State.MORE_INFO, ["more_info"]),
        (State.APPROVED, ["approved"]),
        (State.REJECTED, ["rejected"]),
        (State.FULFILLED, ["fulfilled"]),
        (State.WITHDRAWN, ["withdrawn"]),
    ],
)
def test_each_state(client: Client, it_user, spread, state, expected) -> None:
    assert listed(signed_in(client, it_user), spread, state=state) == expected


def test_kind_filter(client: Client, it_user, spread) -> None:
    assert listed(signed_in(client, it_user), spread, kind=Kind.HARDWARE) == ["it_old"]


def test_department_filter(client: Client, it_user, outsider, spread) -> None:
    result = listed(signed_in(client, it_user), spread, department=outsider.department_id)
    assert result == ["it_outsider"]


def test_assignee_filters(client: Client, it_user, spread) -> None:
    signed_in(client, it_user)
    assert listed(client, spread, assignee="me") == ["it_mine"]
    assert listed(client, spread, assignee="nobody") == ["it_old", "it_outsider", "it_fast"]
    assert listed(client, spread, assignee=spread["other_it"].pk) == ["it_other"]


def test_age_filter(client: Client, it_user, spread) -> None:
    assert listed(signed_in(client, it_user), spread, older_than=5) == ["it_old", "it_mine"]
    assert listed(client, spread, state="open", older_than=7) == ["it_old", "budget", "more_info"]


@pytest.mark.parametrize(
    "params",
    [
        {"state": "nonsense"},
        {"kind": "weapons"},
        {"department": "abc"},
        {"department": "999999"},
        {"assignee": "everyone"},
        {"assignee": "999999"},
        {"older_than": "-3"},
        {"older_than": "lots"},
        {"older_than": "99999999999999999999"},
    ],
)
def test_bad_filter_values_are_ignored(client: Client, it_user, spread, params) -> None:
    assert listed(signed_in(client, it_user), spread, **params) == listed(client, spread)


def test_non_it_assignee_is_not_a_choice(client: Client, it_user, employee, spread) -> None:
    result = listed(signed_in(client, it_user), spread, assignee=employee.pk)
    assert result == listed(client, spread)


def test_counts_per_state_follow_the_other_filters(client: Client, it_user, spread) -> None:
    response = signed_in(client, it_user).get(QUEUE_URL)
    counts = {value: count for value, _label, count in response.context["counts"]}
    assert counts == {
        State.AWAITING_IT: 5, State.AWAITING_BUDGET_HOLDER: 1, State.MORE_INFO: 1,
        State.APPROVED: 1, State.REJECTED: 1, State.FULFILLED: 1, State.WITHDRAWN: 1,
        queue.OPEN: 7, queue.EVERYTHING: 11,
    }  # fmt: skip
    assert 'data-testid="count-awaiting_it">5<' in response.content.decode()
    hardware = client.get(QUEUE_URL, {"kind": Kind.HARDWARE}).context["counts"]
    assert {value: count for value, _label, count in hardware}[queue.EVERYTHING] == 1


def test_counts_are_one_query(it_user, spread, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(1):
        counts = queue.state_counts(queue.Filters(), it_user)
    assert counts[queue.OPEN] == 7


def test_fast_tracked_requests_are_marked(client: Client, it_user, spread) -> None:
    html = signed_in(client, it_user).get(QUEUE_URL).content.decode()
    assert html.count('data-testid="fast-track"') == 1
    row = html.split(f'data-pk="{spread["it_fast"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="fast-track"' in row


# --- Keyset pagination ----------------------------------------------------------------------------
def make_open_requests(employee: User, count: int) -> list[AuthorisationRequest]:
    """``count`` open requests, many sharing a submission time, and closed ones between them."""
    states = [State.AWAITING_IT, State.AWAITING_BUDGET_HOLDER, State.MORE_INFO]
    made = []
    for n in range(count):
        made.append(
            AuthorisationRequestFactory(
                requester=employee,
                state=states[n % 3],
                submitted_at=START + timedelta(minutes=n // 4),  # four at each moment
            )
        )
        if n % 10 == 0:
            AuthorisationRequestFactory(
                requester=employee, state=State.REJECTED, submitted_at=START + timedelta(minutes=n)
            )
    return made


def test_walking_every_page_yields_every_open_request_once_in_order(
    client: Client, employee, it_user
) -> None:
    made = make_open_requests(employee, 123)
    expected = [ar.pk for ar in sorted(made, key=lambda ar: (ar.submitted_at, ar.pk))]
    signed_in(client, it_user)
    seen: list[int] = []
    sizes: list[int] = []
    params = {"state": "open"}
    for _ in range(10):
        response = client.get(QUEUE_URL, params)
        assert response.status_code == 200
        sizes.append(len(pks(response)))
        seen.extend(pks(response))
        after = response.context["next_after"]
        if not after:
            break
        assert 'data-testid="next"' in response.content.decode()
        params = {"state": "open", "after": after}
    assert sizes == [50, 50, 23]
    assert seen == expected


def test_the_next_link_keeps_the_filters(client: Client, employee, it_user) -> None:
    make_open_requests(employee, 60)
    response = signed_in(client, it_user).get(QUEUE_URL, {"state": "open", "kind": "software"})
    html = response.content.decode()
    link = html.split('data-testid="next"', 1)[0].rsplit('href="', 1)[1]
    assert "state=open" in link
    assert "kind=software" in link
    assert "after=" in link


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        ",",
        "2026-01-05T09:00:00+00:00",
        "2026-01-05T09:00:00+00:00,",
        "2026-01-05T09:00:00+00:00,abc",
        "2026-01-05T09:00:00+00:00,-5",
        "2026-01-05T09:00:00,5",  # no offset: ambiguous, so not trusted
        "2026-13-45T99:00:00+00:00,5",
        "nan,1",
        "2026-01-05T09:00:00+00:00,1" + "9" * 100,
        "x" * 5000,
        "2026-01-05T09:00:00+00:00,5,6",
        "'; DROP TABLE requests_authorisationrequest; --,1",
        "2026-01-05T09:00:00+00:00,\u00b2",  # a digit to str.isdigit, not to int()
        "9999-12-31T23:59:59-23:59,5",  # beyond the calendar once in UTC
        "0001-01-01T00:00:00+23:59,5",
    ],
)
def test_a_malformed_cursor_falls_back_to_the_first_page(
    client: Client, employee, it_user, after
) -> None:
    make_open_requests(employee, 60)
    signed_in(client, it_user)
    first = pks(client.get(QUEUE_URL, {"state": "open"}))
    response = client.get(QUEUE_URL, {"state": "open", "after": after})
    assert response.status_code == 200
    assert pks(response) == first
    assert response.context["page"].is_first


def test_a_cursor_past_the_end_is_an_empty_page(client: Client, employee, it_user) -> None:
    make_open_requests(employee, 5)
    after = queue.Cursor(START + timedelta(days=365), 1).encode()
    response = signed_in(client, it_user).get(QUEUE_URL, {"state": "open", "after": after})
    assert response.status_code == 200
    assert pks(response) == []
    assert response.context["next_after"] == ""
    assert b"No requests match." in response.content


def test_cursor_round_trip() -> None:
    cursor = queue.Cursor(datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC), 42)
    assert queue.parse_cursor(cursor.encode()) == cursor
    assert cursor.encode() == "2026-03-29T01:30:15.123456+00:00,42"


@pytest.mark.parametrize("count", [60, 240])
def test_queue_pages_cost_the_same_at_any_depth(
    client: Client, employee, it_user, count, django_assert_max_num_queries
) -> None:
    made = sorted(make_open_requests(employee, count), key=lambda ar: (ar.submitted_at, ar.pk))
    deep = queue.Cursor(made[-20].submitted_at, made[-20].pk).encode()
    signed_in(client, it_user)
    with django_assert_max_num_queries(13):
        first = client.get(QUEUE_URL, {"state": "open"})
    with django_assert_max_num_queries(13):
        last = client.get(QUEUE_URL, {"state": "open", "after": deep})
    assert len(pks(first)) == 50
    assert pks(last) == [ar.pk for ar in made[-19:]]
