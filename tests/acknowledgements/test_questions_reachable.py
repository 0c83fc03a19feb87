"""Employees reach their own questions from the menu and from the policy page."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from acknowledgements import questions
from tests.helpers import signed_in


def menu(client: Client) -> dict[str, str]:
    response = client.get(reverse("home"))
    return {item.label: item.url for item in response.context["nav_items"]}


def test_an_employee_finds_their_questions_in_the_menu(client: Client, employee, version) -> None:
    items = menu(signed_in(client, employee))
    assert items["My questions"] == reverse("acknowledgements:questions")
    assert "Questions" not in items


def test_a_line_manager_has_one_questions_item_holding_their_own_too(
    client: Client, manager, employee, version
) -> None:
    items = menu(signed_in(client, manager))
    assert items["Questions"] == reverse("acknowledgements:questions")
    assert "My questions" not in items


def test_the_policy_page_links_to_the_questions_asked(
    client: Client, employee, manager, version
) -> None:
    client = signed_in(client, employee)
    url = reverse("acknowledgements:policy_detail", args=[version.policy.slug])
    html = client.get(url).content.decode()
    link = f'href="{reverse("acknowledgements:questions")}"'
    assert link in html and "Your questions</a>" in html  # none asked yet

    questions.asks_question(asker=employee, version=version, section="4.1", text="May I?")
    html = client.get(url).content.decode()
    assert "Your questions (1)" in html
    # And the list shows it.
    listing = client.get(reverse("acknowledgements:questions")).content.decode()
    assert "May I?" in listing


def test_someone_with_no_manager_and_no_questions_is_not_offered_an_empty_list(
    client: Client, hr_user, version
) -> None:
    hr_user.line_manager = None
    hr_user.save()
    url = reverse("acknowledgements:policy_detail", args=[version.policy.slug])
    html = signed_in(client, hr_user).get(url).content.decode()
    assert 'data-testid="my-questions"' not in html
