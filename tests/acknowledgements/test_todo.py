"""The home page's to-do list: policies to sign, and questions waiting for a line manager."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from acknowledgements import publishing, questions
from acknowledgements.models import Assignment, PolicyVersion
from portal.models import User
from tests.acknowledgements.factories import (
    AcknowledgementFactory,
    PolicyFactory,
    PolicyVersionFactory,
)
from tests.factories import UserFactory

SIGN_SEED = "Sign the Acceptable Use of ICT Policy and Procedure"


def home(client: Client, user: User) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def day(value) -> str:
    return date_format(value, "j F Y")


def ask(asker: User, version: PolicyVersion, text: str = "Does 4.1 cover my phone?") -> None:
    questions.asks_question(asker=asker, version=version, section="4.1", text=text)


# --- Signing ----------------------------------------------------------------------------------
def test_an_outstanding_assignment_is_on_the_list_with_its_due_date(
    client, employee, version
) -> None:
    publishing.assign_outstanding(policy=version.policy)
    assignment = Assignment.objects.get(user=employee, version=version)
    assert assignment.due_date > timezone.localdate()

    page = home(client, employee)

    assert SIGN_SEED in page
    assert f"Due on {day(assignment.due_date)}." in page
    assert "Overdue" not in page
    assert reverse("acknowledgements:policy_detail", args=[version.policy.slug]) in page


def test_an_assignment_past_its_due_date_is_marked_overdue(client, employee, version) -> None:
    due = timezone.localdate() - timedelta(days=3)
    publishing.assign_outstanding(policy=version.policy, due_for_staff=due)

    page = home(client, employee)

    assert SIGN_SEED in page
    assert f"Overdue: it was due on {day(due)}." in page


def test_an_assignment_due_today_is_not_yet_overdue(client, employee, version) -> None:
    due = timezone.localdate()
    publishing.assign_outstanding(policy=version.policy, due_for_staff=due)

    page = home(client, employee)

    assert f"Due on {day(due)}." in page
    assert "Overdue" not in page


def test_the_item_disappears_after_signing(client, employee, version) -> None:
    publishing.assign_outstanding(policy=version.policy)
    assert SIGN_SEED in home(client, employee)

    AcknowledgementFactory(user=employee, version=version)

    page = home(client, employee)
    assert SIGN_SEED not in page
    assert "Overdue" not in page


def test_nothing_to_sign_without_an_assignment(client, employee, version) -> None:
    assert SIGN_SEED not in home(client, employee)


# --- Questions for a line manager ---------------------------------------------------------------
def test_a_line_manager_sees_how_many_questions_wait_for_them(
    client, manager, employee, department, version
) -> None:
    colleague = UserFactory(line_manager=manager, department=department)
    ask(employee, version)
    ask(colleague, version, "Can I use the Internet to book training?")
    questions_url = reverse("acknowledgements:questions")

    page = home(client, manager)
    assert "2 questions about the policy from your team" in page
    assert questions_url in page

    first = manager.questions_to_answer.order_by("pk").first()
    questions.answer_question(manager=manager, question=first, answer="Yes, at lunchtime.")
    page = home(client, manager)
    assert "1 question about the policy from your team" in page

    second = manager.questions_to_answer.filter(answered_at__isnull=True).get()
    questions.answer_question(manager=manager, question=second, answer="Yes.")
    page = home(client, manager)
    assert "about the policy from your team" not in page


def test_the_asker_and_other_managers_see_no_questions_item(
    client, manager, employee, outsider, version
) -> None:
    ask(employee, version)

    assert "about the policy from your team" not in home(client, employee)
    assert "about the policy from your team" not in home(client, outsider.line_manager)


# --- Query count --------------------------------------------------------------------------------
def test_home_page_queries_do_not_grow_with_assignments_or_questions(
    client, django_assert_max_num_queries, manager, department, reviewer, version
) -> None:
    """A line manager with policies to sign and questions waiting, at two sizes."""

    def grow(to: int) -> None:
        # ``to`` policies to sign and ``to`` questions waiting.
        while Assignment.objects.filter(user=manager, acknowledgement__isnull=True).count() < to:
            draft = PolicyVersionFactory(policy=PolicyFactory(), number=1)
            publishing.publish(actor=reviewer, version=draft, material=True)
        while manager.questions_to_answer.count() < to:
            ask(UserFactory(line_manager=manager, department=department), version)

    publishing.assign_outstanding(policy=version.policy)
    client.force_login(manager)
    client.get(reverse("home"))  # the session's first save is not the page's

    grow(1)
    with django_assert_max_num_queries(15):
        small = client.get(reverse("home")).content.decode()
    assert small.count("Sign the ") == 1
    assert "1 question about the policy from your team" in small

    grow(6)
    with django_assert_max_num_queries(15):
        large = client.get(reverse("home")).content.decode()
    assert large.count("Sign the ") == 6
    assert "6 questions about the policy from your team" in large
