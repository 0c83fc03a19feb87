"""Who is told when a request is made, and what the notices say."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils.html import escape

from portal.models import Notification
from requests import workflow
from requests.models import AuthorisationRequest, Kind
from tests.factories import UserFactory
from tests.helpers import signed_in
from tests.requests.requesting.helpers import QUESTION, detail_url, form_data, new_url, submitted


# --- Who is told ------------------------------------------------------------------------------
def assert_rendered(notice: Notification, *phrases: str) -> None:
    """The subject and both bodies rendered fully, and say the reference."""
    ar = AuthorisationRequest.objects.get()
    for text in (notice.subject, notice.body_text, notice.body_html):
        assert ar.reference in text
        assert "{{" not in text
        assert "{%" not in text
    assert notice.body_text.startswith(f"Dear {notice.recipient.first_name},")
    assert "\n" not in notice.subject
    assert notice.link == detail_url(ar)
    for phrase in phrases:
        assert phrase in notice.subject + notice.body_text, phrase
        assert escape(phrase) in notice.body_html or phrase in notice.subject, phrase


def test_with_a_cost_the_requester_and_the_budget_holder_are_told(
    client: Client, employee, manager, it_user
) -> None:
    signed_in(client, employee).post(new_url(Kind.HARDWARE), form_data(Kind.HARDWARE))

    received = Notification.objects.get(kind="request-received")
    budget = Notification.objects.get(kind="request-budget")
    assert received.recipient == employee
    assert budget.recipient == manager
    assert not Notification.objects.filter(kind="request-for-it").exists()
    assert_rendered(received, "Label printer", "Morgan Lee", "£149.99 one-off")
    assert_rendered(
        budget,
        "Emma Jones",
        "Label printer",
        "£149.99",
        "Print medication labels in the office.",
        "Please authorise or refuse the cost",
    )


def test_without_a_cost_the_requester_and_it_are_told(
    client: Client, employee, manager, it_user
) -> None:
    other_it = UserFactory(email="it2@example.com", groups=["IT"])
    signed_in(client, employee).post(new_url(Kind.DOWNLOAD), form_data(Kind.DOWNLOAD))

    assert Notification.objects.get(kind="request-received").recipient == employee
    for_it = Notification.objects.filter(kind="request-for-it").order_by("pk")
    assert {n.recipient for n in for_it} == {it_user, other_it}
    assert len(for_it) == 2
    assert not Notification.objects.filter(kind="request-budget").exists()
    assert_rendered(Notification.objects.get(kind="request-received"), "the IT Department")
    assert_rendered(
        for_it[0],
        "PDF Reader",
        "Emma Jones",
        "https://example.com/pdf-reader",
        "Open care plans sent by the council.",
        "Please approve it",
    )


@pytest.mark.parametrize(
    ("steps", "subject", "phrase"),
    [
        ([("budget_approve", "manager", "")], "Cost authorised:", "authorised the cost"),
        ([("budget_reject", "manager", "Over budget")], "Cost not authorised:", "Over budget"),
        (
            [("budget_approve", "manager", ""), ("more_info", "it", QUESTION)],
            "More information needed:",
            QUESTION,
        ),
        (
            [("budget_approve", "manager", ""), ("approve", "it", "")],
            "Approved:",
            "IT will arrange it",
        ),
        (
            [("budget_approve", "manager", ""), ("reject", "it", "Use the shared printer")],
            "Not approved:",
            "Use the shared printer",
        ),
        (
            [
                ("budget_approve", "manager", ""),
                ("approve", "it", ""),
                ("fulfil", "it", "Issued with asset tag PR-7"),
            ],
            "Ready:",
            "Issued with asset tag PR-7",
        ),
    ],
)
def test_the_requester_is_told_of_each_step(
    employee, manager, it_user, steps, subject, phrase
) -> None:
    ar = submitted(employee, kind=Kind.HARDWARE, item="Label printer", cost_one_off=Decimal("90"))
    actors = {"manager": manager, "it": it_user}
    for action, who, note in steps:
        ar = workflow.perform(actor=actors[who], request=ar, action=action, note=note)

    update = Notification.objects.filter(kind="request-update").order_by("-pk").first()
    assert update.recipient == employee
    assert update.subject.startswith(subject)
    assert_rendered(update, phrase)


def test_it_emails_say_when_the_cost_was_authorised(employee, manager, it_user) -> None:
    ar = submitted(employee, kind=Kind.HARDWARE, item="Label printer", cost_one_off=Decimal("90"))
    workflow.perform(actor=manager, request=ar, action="budget_approve")

    notice = Notification.objects.get(kind="request-for-it")
    assert notice.recipient == it_user
    assert "Cost authorised by Morgan Lee on " in notice.body_text
