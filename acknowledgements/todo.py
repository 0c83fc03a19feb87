"""The signer's and the manager's items on the home page's to-do list."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from acknowledgements import selectors, signature_status
from acknowledgements.models import Question
from portal import permissions as roles
from portal.models import User
from portal.todo import TodoItem


def sign_policy(user: User) -> list[TodoItem]:
    today = timezone.localdate()
    items = []
    for assignment in selectors.outstanding_for(user):
        policy = assignment.version.policy
        overdue = signature_status.status_of(assignment, today) == signature_status.OVERDUE
        due = date_format(assignment.due_date, "j F Y")
        version = assignment.version
        again = (
            "The text has not changed: you are asked to confirm it again. "
            f"{version.change_summary} "
            if version.reconfirmation
            else ""
        )
        items.append(
            TodoItem(
                f"{'Confirm' if version.reconfirmation else 'Sign'} the {policy.title}",
                f"{again}{'Overdue: it was due' if overdue else 'Due'} on {due}. "
                "It forms part of your terms and conditions of employment.",
                reverse("acknowledgements:policy_detail", args=[policy.slug]),
                "Read and sign",
                urgent=True,
            )
        )
    return items


def questions_to_answer(user: User) -> list[TodoItem]:
    if not roles.is_line_manager(user):
        return []
    waiting = Question.objects.filter(manager=user, answered_at__isnull=True).count()
    if not waiting:
        return []
    noun = "question" if waiting == 1 else "questions"
    return [
        TodoItem(
            f"{waiting} {noun} about the policy from your team",
            "Your team cannot sign with confidence until you answer.",
            reverse("acknowledgements:questions"),
            "Answer",
            urgent=True,
        )
    ]


def reviews(user: User) -> list[TodoItem]:
    """A reviewer whose outcome an open annual review is waiting for."""
    if not roles.is_policy_reviewer(user):
        return []
    from acknowledgements import reviews as annual_reviews

    today = timezone.localdate()
    items = []
    for outcome in annual_reviews.awaiting(user):
        review = outcome.review
        when = date_format(review.review_date, "j F Y")
        items.append(
            TodoItem(
                f"Review the {review.policy.title}",
                f"{'Overdue: the review was due' if review.review_date < today else 'Due'} on "
                f"{when}. Record whether it needs changes.",
                reverse("acknowledgements:review", args=[review.pk]),
                "Record your review",
                urgent=True,
            )
        )
    return items
