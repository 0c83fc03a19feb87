"""The form for each kind of request: what it asks, checks and saves."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from portal.models import Notification
from requests.models import AuthorisationRequest, Kind, RequestEvent
from tests.factories import UserFactory
from tests.helpers import messages_of, signed_in
from tests.requests.requesting.helpers import State, detail_url, form_data, new_url
from tests.requests.test_forms import GOOD


# --- The form for each kind -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (Kind.SOFTWARE, "Number of licences"),
        (Kind.HARDWARE, "Model"),
        (Kind.DOWNLOAD, "Where it is downloaded from"),
        (Kind.SUBSCRIPTION, "Subscription cost (£)"),
    ],
)
def test_each_kind_has_its_page(client: Client, employee, kind: str, label: str) -> None:
    response = signed_in(client, employee).get(new_url(kind))
    assert response.status_code == 200
    assert response.context["form"].kind == kind
    assert label in response.content.decode()
    assert b'data-testid="register-check"' in response.content


def test_page_says_who_authorises_a_cost(client: Client, employee, manager) -> None:
    response = signed_in(client, employee).get(new_url(Kind.HARDWARE))
    assert "first to <strong>Morgan Lee</strong>" in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (Kind.SOFTWARE, State.AWAITING_IT),  # no cost
        (Kind.HARDWARE, State.AWAITING_BUDGET_HOLDER),  # £149.99
        (Kind.DOWNLOAD, State.AWAITING_IT),
        (Kind.SUBSCRIPTION, State.AWAITING_BUDGET_HOLDER),  # £12.50 a month
    ],
)
def test_a_good_request_is_filed_and_sent_on(
    client: Client, employee, manager, it_user, kind: str, state: str
) -> None:
    response = signed_in(client, employee).post(new_url(kind), form_data(kind))

    ar = AuthorisationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(ar)
    assert ar.kind == kind
    assert ar.state == state
    assert ar.requester == employee
    assert ar.department == employee.department
    assert ar.budget_holder == manager
    assert ar.item == GOOD[kind]["item"]
    assert ar.justification == GOOD[kind]["justification"]
    assert RequestEvent.objects.filter(request=ar, action="submitted", actor=employee).exists()
    [message] = messages_of(response)
    assert message.startswith(f"Your request {ar.reference} has been submitted.")
    if state == State.AWAITING_BUDGET_HOLDER:
        assert "It has gone to Morgan Lee, your budget holder, to authorise the cost" in message
    else:
        assert message.endswith("It has gone to the IT Department.")


def test_what_was_typed_is_what_is_filed(client: Client, employee, manager) -> None:
    soon = timezone.localdate() + timedelta(days=14)
    signed_in(client, employee).post(
        new_url(Kind.SOFTWARE),
        form_data(
            Kind.SOFTWARE,
            cost_one_off="£1,200.00",
            cost_recurring="30.5",
            recurring_period="yearly",
            needed_by=soon.isoformat(),
        ),
    )
    ar = AuthorisationRequest.objects.get()
    assert ar.vendor == "Shift Tools Ltd"
    assert ar.version_or_model == "4.2"
    assert ar.licence_type == "Per user"
    assert ar.quantity == 3
    assert ar.cost_one_off == Decimal("1200.00")
    assert ar.cost_recurring == Decimal("30.50")
    assert ar.recurring_period == "yearly"
    assert ar.link == "https://shifttools.example/rota"
    assert ar.device == "LT-0042"
    assert ar.needed_by == soon
    assert ar.state == State.AWAITING_BUDGET_HOLDER


def test_a_budget_holder_asking_within_the_limit_goes_straight_to_it(
    client: Client, manager, it_user, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    response = signed_in(client, manager).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, cost_one_off="99.99")
    )

    ar = AuthorisationRequest.objects.get()
    assert response.status_code == 302
    assert ar.state == State.AWAITING_IT
    assert ar.budget_holder == manager
    assert ar.budget_approved_at is not None
    assert not Notification.objects.filter(kind="request-budget").exists()
    assert Notification.objects.filter(kind="request-for-it", recipient=it_user).exists()
    assert "As the budget holder" in messages_of(response)[0]


def test_a_budget_holder_asking_above_the_limit_is_told_it_goes_to_their_line_manager(
    client: Client, manager, it_user, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    director = UserFactory(first_name="Dana", last_name="Cole")
    manager.line_manager = director
    manager.save()
    response = signed_in(client, manager).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, cost_one_off="149.99")
    )

    ar = AuthorisationRequest.objects.get()
    assert response.status_code == 302
    assert (ar.state, ar.budget_holder, ar.budget_approved_at) == (
        State.AWAITING_BUDGET_HOLDER, director, None,
    )  # fmt: skip
    [message] = messages_of(response)
    assert "your own authority covers costs up to £100.00 in their first year" in message
    assert "it has gone to Dana Cole, your line manager." in message
    assert Notification.objects.get(kind="request-budget").recipient == director
    page = signed_in(client, director).get(detail_url(ar)).content.decode()
    assert "Second authoriser" in page
    assert "line manager of the budget holder" in page


def test_a_budget_holder_with_no_line_manager_is_told_hr_will_authorise(
    client: Client, manager, hr_user, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    response = signed_in(client, manager).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, cost_one_off="149.99")
    )
    ar = AuthorisationRequest.objects.get()
    assert (ar.state, ar.budget_holder, ar.second_authority) == (
        State.AWAITING_BUDGET_HOLDER, None, True,
    )  # fmt: skip
    assert "No line manager is recorded for you, so it has gone to HR" in messages_of(response)[0]
    page = signed_in(client, hr_user).get(detail_url(ar))
    assert page.status_code == 200
    assert "HR: no line manager is recorded for the budget holder" in page.content.decode()
    offered = [f.transition.action for f in page.context["action_forms"]]
    assert offered == ["budget_approve", "budget_reject", "budget_more_info"]
    approvals = client.get(reverse("requests:approvals"))
    assert approvals.status_code == 200
    assert list(approvals.context["page"].object_list) == [ar]
    assert "Approvals" in [item.label for item in approvals.context["nav_items"]]


def test_a_cost_with_nobody_to_authorise_it_goes_to_hrs_list_and_the_requester_is_told(
    client: Client, outsider, it_user
) -> None:
    assert outsider.department.budget_holder is None
    response = signed_in(client, outsider).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, item="Standing desk"), follow=True
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert (
        "has no budget holder at the moment, so your request waits on the list HR keeps" in content
    )
    request = AuthorisationRequest.objects.get()
    assert request.state == AuthorisationRequest.State.AWAITING_BUDGET_HOLDER
    assert request.budget_holder is None
    assert list(Notification.objects.values_list("recipient", "kind")) == [
        (outsider.pk, "request-received")
    ]


@pytest.mark.parametrize(
    ("kind", "changes", "message", "typed"),
    [
        (
            Kind.HARDWARE,
            {"cost_one_off": "-5"},
            "A cost cannot be negative: leave it blank if there is no cost.",
            'value="-5"',
        ),
        (
            Kind.SOFTWARE,
            {"cost_one_off": "10.505"},
            "Use at most 2 decimal places (pounds and pence), for example 12.50.",
            'value="10.505"',
        ),
        (
            Kind.HARDWARE,
            {"needed_by": "2020-01-31"},
            "The needed-by date is in the past: choose today or a later date",
            'value="2020-01-31"',
        ),
        (
            Kind.SOFTWARE,
            {"cost_recurring": "25", "recurring_period": ""},
            "Choose how often the recurring cost is paid: monthly or yearly.",
            'value="25"',
        ),
        (
            Kind.HARDWARE,
            {"quantity": "0"},
            "The quantity must be at least 1.",
            'value="0"',
        ),
        (
            Kind.DOWNLOAD,
            {"link": "ftp://example.com/pdf-reader.exe"},
            "Enter a web address starting with https:// or http://",
            'value="ftp://example.com/pdf-reader.exe"',
        ),
        (
            Kind.SUBSCRIPTION,
            {"cost_recurring": "", "recurring_period": ""},
            "Enter what it costs: a recurring cost with how often it is paid",
            'value="https://learning.example/care"',
        ),
    ],
)
def test_bad_input_is_shown_with_what_was_typed(
    client: Client, employee, manager, it_user, kind, changes, message, typed
) -> None:
    response = signed_in(client, employee).post(new_url(kind), form_data(kind, **changes))

    assert response.status_code == 200
    content = response.content.decode()
    assert escape(message) in content
    assert typed in content
    assert f'value="{GOOD[kind]["item"]}"' in content
    assert escape(GOOD[kind]["justification"]) in content
    assert not AuthorisationRequest.objects.exists()
    assert not Notification.objects.exists()
