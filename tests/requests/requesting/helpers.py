"""Addresses, form data and requests in a given state for the tests of the employee's side."""

from __future__ import annotations

from django.urls import reverse

from portal.models import User
from requests import workflow
from requests.models import AuthorisationRequest, Kind
from tests.requests.test_forms import GOOD

State = AuthorisationRequest.State

QUESTION = "Which computer is it for? Please add its asset tag."


def new_url(kind: str) -> str:
    return reverse("requests:new", args=[kind])


def edit_url(ar: AuthorisationRequest) -> str:
    return reverse("requests:edit", args=[ar.pk])


def detail_url(ar: AuthorisationRequest) -> str:
    return reverse("requests:detail", args=[ar.pk])


def form_data(kind: str, **changes: str) -> dict[str, str]:
    return {**GOOD[kind], **changes}


def fresh(ar: AuthorisationRequest) -> AuthorisationRequest:
    return AuthorisationRequest.objects.get(pk=ar.pk)


def submitted(requester: User, **fields: object) -> AuthorisationRequest:
    values: dict[str, object] = {
        "kind": Kind.SOFTWARE,
        "item": "Rota Planner",
        "vendor": "Shift Tools Ltd",
        "version_or_model": "4.2",
        "quantity": 1,
        "justification": "Plan the night shifts for the home.",
    }
    values.update(fields)
    return workflow.submit(requester=requester, request=AuthorisationRequest(**values))


def asked_for_more(requester: User, it_user: User, **fields: object) -> AuthorisationRequest:
    """A request the IT Department has sent back with a question."""
    ar = submitted(requester, **fields)
    if ar.state == State.AWAITING_BUDGET_HOLDER:
        ar = workflow.perform(actor=ar.budget_holder, request=ar, action="budget_approve")
    return workflow.perform(actor=it_user, request=ar, action="more_info", note=QUESTION)
