"""Requests on the home page's to-do list."""

from __future__ import annotations

from django.urls import reverse

from portal.models import User
from portal.todo import TodoItem
from requests import permissions, selectors
from requests.models import AuthorisationRequest
from requests.staff import selectors as staff_selectors

State = AuthorisationRequest.State


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def more_information_asked(user: User) -> list[TodoItem]:
    waiting = selectors.mine(user).filter(state=State.MORE_INFO).count()
    if not waiting:
        return []
    return [
        TodoItem(
            f"IT needs more information on {_plural(waiting, 'request')}",
            "Answer so that your request can be decided.",
            reverse("requests:mine") + "?state=more_info",
            "Answer",
            urgent=True,
        )
    ]


def approvals_waiting(user: User) -> list[TodoItem]:
    if not selectors.may_authorise(user):
        return []
    waiting = selectors.awaiting_authority(user).count()
    if not waiting:
        return []
    return [
        TodoItem(
            f"{_plural(waiting, 'cost')} waiting for your authority",
            "Policy 4.11: paid downloads and subscriptions need your prior authority.",
            reverse("requests:approvals"),
            "Review",
            urgent=True,
        )
    ]


def it_queue(user: User) -> list[TodoItem]:
    if not permissions.can_work_queue(user):
        return []
    waiting = AuthorisationRequest.objects.filter(state=State.AWAITING_IT).count()
    if not waiting:
        return []
    return [
        TodoItem(
            f"{_plural(waiting, 'request')} waiting for IT",
            "Oldest first in the IT queue.",
            reverse("requests:queue"),
            "Open queue",
        )
    ]


def staff_tasks(user: User) -> list[TodoItem]:
    if not permissions.can_work_staff_board(user):
        return []
    counts = staff_selectors.open_task_counts()
    if not (counts["overdue"] or counts["soon"]):
        return []
    parts = []
    if counts["overdue"]:
        parts.append(f"{counts['overdue']} overdue")
    if counts["soon"]:
        parts.append(f"{counts['soon']} due within a week")
    return [
        TodoItem(
            f"Staff changes: {_plural(sum(counts.values()), 'task')} to do",
            f"{', '.join(parts).capitalize()}. Accounts, equipment and access (policy 4.6, 5.5).",
            reverse("requests:staff_board"),
            "Open board",
            urgent=bool(counts["overdue"]),
        )
    ]


def waiting_for_budget_holder(user: User) -> list[TodoItem]:
    if not permissions.can_see_waiting_for_budget_holder(user):
        return []
    waiting = selectors.waiting_for_budget_holder().count()
    if not waiting:
        return []
    return [
        TodoItem(
            f"{_plural(waiting, 'request')} waiting for a budget holder",
            "Their departments have nobody to authorise costs: name a budget holder.",
            reverse("requests:waiting_for_budget_holder"),
            "Open list",
            urgent=True,
        )
    ]
