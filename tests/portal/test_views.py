"""Each page: works for the right person, refuses the wrong role, hides what is not yours,
and answers only the methods it supports."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from acknowledgements import publishing
from portal.context_processors import navigation
from portal.models import Notification, User
from tests.factories import NotificationFactory, UserFactory
from tests.helpers import signed_in

FORBIDDEN = b"You do not have access to this page"
NOT_FOUND = b"The page may have moved, or you may not have access to it."


# --- Home and inbox ---------------------------------------------------------------------------
def test_home(client, employee) -> None:
    response = signed_in(client, employee).get(reverse("home"))
    assert response.status_code == 200
    assert b"Your to-do list" in response.content
    assert client.post(reverse("home")).status_code == 405


def test_inbox_lists_only_your_messages(client, employee, outsider) -> None:
    NotificationFactory(recipient=employee, subject="Policy 4.2 has changed")
    NotificationFactory(recipient=outsider, subject="Someone else's message")
    response = signed_in(client, employee).get(reverse("inbox"))
    assert response.status_code == 200
    assert b"Policy 4.2 has changed" in response.content
    assert b"Someone else&#x27;s message" not in response.content
    assert client.post(reverse("inbox")).status_code == 405


def test_reading_your_message_marks_it_read(client, employee) -> None:
    message = NotificationFactory(recipient=employee, body_text="Read section 5 by Friday.")
    response = signed_in(client, employee).get(reverse("inbox_message", args=[message.pk]))
    assert response.status_code == 200
    assert b"Read section 5 by Friday." in response.content
    message.refresh_from_db()
    assert message.read_at is not None


def test_another_persons_message_is_not_found(client, employee, outsider) -> None:
    message = NotificationFactory(recipient=outsider, body_text="Private to the outsider.")
    response = signed_in(client, employee).get(reverse("inbox_message", args=[message.pk]))
    assert response.status_code == 404
    assert NOT_FOUND in response.content
    assert b"Private to the outsider." not in response.content
    message.refresh_from_db()
    assert message.read_at is None


def test_inbox_message_is_get_only(client, employee) -> None:
    message = NotificationFactory(recipient=employee)
    url = reverse("inbox_message", args=[message.pk])
    assert signed_in(client, employee).post(url).status_code == 405


def test_mark_all_read_touches_only_your_messages(client, employee, outsider) -> None:
    NotificationFactory.create_batch(3, recipient=employee)
    theirs = NotificationFactory(recipient=outsider)
    response = signed_in(client, employee).post(reverse("inbox_mark_all_read"))
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox")
    assert not Notification.objects.filter(recipient=employee, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_is_post_only(client, employee) -> None:
    NotificationFactory(recipient=employee)
    assert signed_in(client, employee).get(reverse("inbox_mark_all_read")).status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


# --- Role pages -------------------------------------------------------------------------------
def test_team_shows_a_managers_direct_reports(client, manager, employee, outsider) -> None:
    response = signed_in(client, manager).get(reverse("team"))
    assert response.status_code == 200
    assert list(response.context["reports"]) == [employee]
    assert outsider.email.encode() not in response.content
    assert client.post(reverse("team")).status_code == 405


@pytest.mark.parametrize("actor", ["employee", "it_user", "hr_user"])
def test_team_is_for_managers_only(client, request, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(reverse("team"))
    assert response.status_code == 403
    assert FORBIDDEN in response.content
    assert b"Only line managers have a team page." in response.content


def test_staff_import_page_opens_for_hr(client, hr_user) -> None:
    response = signed_in(client, hr_user).get(reverse("staff_import"))
    assert response.status_code == 200
    assert client.put(reverse("staff_import")).status_code == 405


@pytest.mark.parametrize("actor", ["employee", "manager", "it_user", "reviewer", "superuser"])
def test_staff_import_is_for_hr_only(client, request, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(reverse("staff_import"))
    assert response.status_code == 403
    assert b"Only HR can import the staff directory." in response.content


@pytest.mark.parametrize("actor", ["it_user", "hr_user"])
def test_audit_log_opens_for_it_and_hr(client, request, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(reverse("audit_log"))
    assert response.status_code == 200
    assert b"Audit log" in response.content
    assert client.post(reverse("audit_log")).status_code == 405


def test_audit_log_filter_with_a_nul_finds_nothing_rather_than_failing(client, hr_user) -> None:
    # PostgreSQL refused the NUL in the query, so the filter was a 500 there.
    client.force_login(hr_user)
    response = client.get(reverse("audit_log"), {"action": "auth\x00"})
    assert response.status_code == 200
    assert list(response.context["page"]) == []


@pytest.mark.parametrize("actor", ["employee", "manager", "reviewer"])
def test_audit_log_is_for_it_and_hr_only(client, request, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(reverse("audit_log"))
    assert response.status_code == 403
    assert FORBIDDEN in response.content


def test_admin_opens_for_a_superuser(client, superuser) -> None:
    response = signed_in(client, superuser).get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"Acceptable Use Portal administration" in response.content


@pytest.mark.parametrize("is_staff", [True, False])
def test_admin_refuses_everyone_else(client, db, is_staff: bool) -> None:
    user = UserFactory(is_staff=is_staff, groups=["IT"])
    response = signed_in(client, user).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    login_page = client.get(response["Location"])
    assert b"but are not authorized to access this page" in login_page.content
    assert client.get(reverse("admin:portal_user_changelist")).status_code == 302


def test_unknown_page_is_friendly(client, employee) -> None:
    response = signed_in(client, employee).get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert NOT_FOUND in response.content


# --- Navigation -------------------------------------------------------------------------------
EVERYONE = ["Home", "Policy", "Personal use"]
# Everyone reaches their own questions; a line manager's "Questions" page holds them too.
OWN_QUESTIONS = "My questions"
REQUESTS = ["My requests", "Authorised register"]
NAV = {
    "employee": [*EVERYONE, OWN_QUESTIONS, *REQUESTS],
    "manager": [
        *EVERYONE,
        "Questions",
        "Team status",
        *REQUESTS,
        "Approvals",
        "Staff notices",
        "My team",
    ],
    "it_user": [
        *EVERYONE,
        OWN_QUESTIONS,
        *REQUESTS,
        "IT queue",
        "Staff changes",
        "Audit log",
        "Operations",
    ],
    "hr_user": [
        *EVERYONE,
        OWN_QUESTIONS,
        "Acknowledgements",
        "Personal-use register",
        *REQUESTS,
        "Staff notices",
        "Waiting for a budget holder",
        "Staff import",
        "Departments",
        "Audit log",
    ],
    "reviewer": [*EVERYONE, OWN_QUESTIONS, "Manage policy", "Policy reviews", *REQUESTS],
    "superuser": [*EVERYONE, OWN_QUESTIONS, *REQUESTS, "Operations", "Administration"],
}


@pytest.mark.parametrize(("actor", "labels"), NAV.items())
def test_navigation_shows_each_role_its_items(client, request, actor: str, labels) -> None:
    request.getfixturevalue("employee")  # the manager's direct report
    publishing.load_seed_policy()  # the policy whose team status the menu offers
    response = signed_in(client, request.getfixturevalue(actor)).get(reverse("home"))
    assert [item.label for item in response.context["nav_items"]] == labels
    for item in response.context["nav_items"]:
        assert f'href="{item.url}"'.encode() in response.content


def test_team_status_needs_the_policy(client, manager, employee) -> None:
    labels = [item.label for item in signed_in(client, manager).get("/").context["nav_items"]]
    assert "Questions" in labels
    assert "Team status" not in labels


def test_navigation_counts_unread_messages(client, employee) -> None:
    NotificationFactory.create_batch(2, recipient=employee)
    response = signed_in(client, employee).get(reverse("home"))
    assert response.context["unread_count"] == 2


@pytest.mark.parametrize("messages", [1, 30])
def test_navigation_queries_do_not_grow_with_messages(
    django_assert_num_queries, manager, messages: int
) -> None:
    NotificationFactory.create_batch(messages, recipient=manager)
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=manager.pk)
    # Group names, line-manager and budget-holder checks, unread count: four for any inbox.
    with django_assert_num_queries(4):
        context = navigation(request)
    assert context["unread_count"] == messages
