"""A member of IT's own request: another member of IT decides it, by no route the requester
themselves; the page says so instead of offering steps that cannot complete; and a company
with one member of IT can let an administrator decide (``PORTAL_ADMIN_DECIDES_IT_REQUESTS``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal import permissions as roles
from portal.models import Notification, User
from requests import workflow
from requests.models import AuthorisationRequest
from requests.workflow import TransitionRefused
from tests.conftest import ROOT
from tests.factories import UserFactory
from tests.helpers import messages_of, signed_in
from tests.requests.workflow.helpers import State, fresh, new_request

DECIDING = ("approve", "reject", "more_info")


@pytest.fixture
def own(people) -> AuthorisationRequest:
    request = workflow.submit(requester=people.it, request=new_request())
    assert request.state == State.AWAITING_IT
    return request


@pytest.fixture
def alone(people) -> User:
    """The company's only member of IT: the colleague leaves the group."""
    people.it_colleague.groups.remove(Group.objects.get(name=roles.IT_GROUP))
    return people.it


def page(client: Client, user: User, request: AuthorisationRequest):
    return signed_in(client, user).get(reverse("requests:detail", args=[request.pk]))


def offered(response) -> set[str]:
    return {form.transition.action for form in response.context["action_forms"]}


# --- No route for the requester -------------------------------------------------------------
@pytest.mark.parametrize("action", DECIDING)
def test_the_service_refuses_the_requester_every_decision(people, own, action) -> None:
    with pytest.raises(TransitionRefused, match="Only another member of the IT Department"):
        workflow.perform(actor=people.it, request=own, action=action, note="Mine.")
    assert fresh(own).state == State.AWAITING_IT


@pytest.mark.parametrize("action", DECIDING)
def test_posting_the_step_anyway_is_refused_with_the_reason(
    client: Client, people, own, action
) -> None:
    response = signed_in(client, people.it).post(
        reverse("requests:act", args=[own.pk]),
        {"action": action, "note": "Mine.", "add_to_register": "on"},
    )
    assert response.status_code == 302
    assert fresh(own).state == State.AWAITING_IT
    assert messages_of(response) == [f"Only another member of the IT Department can "
                                     f"{workflow.TRANSITIONS[action].label.lower()}."]  # fmt: skip


def test_the_requester_cannot_take_their_own_request(client: Client, people, own) -> None:
    response = signed_in(client, people.it).post(reverse("requests:assign", args=[own.pk]))
    assert response.status_code == 302
    assert fresh(own).assignee_id is None
    assert messages_of(response) == [
        "This is your own request: another member of the IT Department decides it."
    ]


def test_the_django_admin_is_no_back_door(client: Client, people, settings) -> None:
    """A member of IT who is also a superuser cannot approve their own request in the admin:
    requests are read-only there."""
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = True
    boss = people.it
    boss.is_superuser = boss.is_staff = True
    boss.save()
    own = workflow.submit(requester=boss, request=new_request())
    signed_in(client, boss)
    change = reverse("admin:requests_authorisationrequest_change", args=[own.pk])
    response = client.post(change, {"state": State.APPROVED, "item": own.item})
    assert response.status_code in {200, 403}
    assert fresh(own).state == State.AWAITING_IT


@pytest.mark.parametrize("action", DECIDING)
def test_an_administrator_is_refused_unless_the_company_allows_it(
    people, own, superuser, action, settings
) -> None:
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = False
    with pytest.raises(TransitionRefused):
        workflow.perform(actor=superuser, request=own, action=action, note="Ok.")
    assert fresh(own).state == State.AWAITING_IT


# --- The page -------------------------------------------------------------------------------
def test_the_page_says_who_decides_instead_of_offering_steps(client: Client, people, own) -> None:
    response = page(client, people.it, own)
    assert offered(response) == {"withdraw"}
    assert not response.context["can_assign"]
    html = response.content.decode()
    assert "This is your own request: another member of the IT Department decides it." in html
    assert 'data-testid="assign-form"' not in html
    assert 'data-testid="action-approve"' not in html


def test_a_colleague_is_offered_the_decision(client: Client, people, own) -> None:
    response = page(client, people.it_colleague, own)
    assert {"approve", "reject", "more_info"} <= offered(response)
    assert response.context["decision_note"] == ""


def test_the_only_member_of_it_is_told_nobody_can_decide_yet(
    client: Client, alone, own, settings
) -> None:
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = False
    note = page(client, alone, own).context["decision_note"]
    assert "You are the only member of the IT Department" in note
    assert "PORTAL_ADMIN_DECIDES_IT_REQUESTS" in note


def test_the_only_member_of_it_is_told_an_administrator_decides(
    client: Client, alone, own, superuser, settings
) -> None:
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = True
    note = page(client, alone, own).context["decision_note"]
    assert note == (
        "This is your own request: another member of the IT Department or an administrator "
        "decides it."
    )


def test_one_who_authorised_the_cost_is_told_a_colleague_decides(
    client: Client, people, own
) -> None:
    AuthorisationRequest.objects.filter(pk=own.pk).update(authorised_by=people.it_colleague)
    requester_view = UserFactory(email="it3@example.com", groups=[roles.IT_GROUP])
    assert page(client, requester_view, own).context["decision_note"] == ""
    note = page(client, people.it_colleague, own).context["decision_note"]
    assert note == (
        "You authorised its cost as budget holder, so another member of the IT Department "
        "decides it for IT."
    )


# --- An administrator may decide, when the company allows it -----------------------------
def test_with_the_setting_an_administrator_sees_and_decides(
    client: Client, alone, own, superuser, settings
) -> None:
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = True
    response = page(client, superuser, own)
    assert response.status_code == 200
    assert {"approve", "reject", "more_info"} <= offered(response)
    response = client.post(
        reverse("requests:act", args=[own.pk]), {"action": "approve", "conditions": "Fine."}
    )
    assert response.status_code == 302
    assert fresh(own).state == State.APPROVED


def test_without_the_setting_an_administrator_cannot_even_see_it(
    client: Client, alone, own, superuser, settings
) -> None:
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = False
    assert page(client, superuser, own).status_code == 404
    response = client.post(reverse("requests:act", args=[own.pk]), {"action": "approve"})
    assert response.status_code == 404
    assert fresh(own).state == State.AWAITING_IT


def test_the_setting_reaches_no_one_elses_request(
    client: Client, people, superuser, settings
) -> None:
    """An employee's request stays IT's alone: the administrator neither sees nor decides it."""
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = True
    theirs = workflow.submit(requester=people.requester, request=new_request())
    assert page(client, superuser, theirs).status_code == 404
    with pytest.raises(TransitionRefused):
        workflow.perform(actor=superuser, request=theirs, action="approve")


def test_an_administrator_who_is_the_requester_still_cannot_decide(people, settings) -> None:
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = True
    admin_in_it = UserFactory(email="boss@example.com", is_superuser=True, is_staff=True,
                              groups=[roles.IT_GROUP])  # fmt: skip
    own = workflow.submit(requester=admin_in_it, request=new_request())
    for action in DECIDING:
        assert action not in {t.action for t in workflow.available_actions(admin_in_it, own)}
        with pytest.raises(TransitionRefused):
            workflow.perform(actor=admin_in_it, request=own, action=action, note="Mine.")


@pytest.mark.parametrize("allowed", [True, False])
def test_who_is_told_the_request_reached_it(people, superuser, alone, settings, allowed) -> None:
    settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS = allowed
    own = workflow.submit(requester=alone, request=new_request())
    told = set(
        Notification.objects.filter(
            kind="request-for-it", dedupe_key__startswith=f"request-it:{own.pk}:"
        ).values_list("recipient__email", flat=True)
    )
    assert told == ({superuser.email} if allowed else set())


# --- The setting comes from the environment ---------------------------------------------------
def setting_from(value: str | None) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "1",
        "DJANGO_SECRET_KEY": "environment-test-" + "x" * 40,
    }
    if value is not None:
        environment["PORTAL_ADMIN_DECIDES_IT_REQUESTS"] = value
    show = "import django; django.setup(); from django.conf import settings as s; " \
           "print(s.REQUEST_ADMIN_DECIDES_IT_REQUESTS)"  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "False"), ("0", "False"), ("1", "True"), ("yes", "True")]
)
def test_the_setting_is_read_from_the_environment(value, expected) -> None:
    run = setting_from(value)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == expected


def test_a_value_that_means_nothing_stops_the_portal_starting() -> None:
    run = setting_from("maybe")
    assert run.returncode != 0
    assert "PORTAL_ADMIN_DECIDES_IT_REQUESTS must be one of" in run.stderr
