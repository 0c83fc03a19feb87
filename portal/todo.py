"""The home page's to-do list: each app contributes the items that concern the person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from portal import permissions
from portal.models import Notification, User


@dataclass(frozen=True)
class TodoItem:
    title: str
    detail: str
    url: str
    action: str
    urgent: bool = False


TodoProvider = Callable[[User], list[TodoItem]]


def _unread_messages(user: User) -> list[TodoItem]:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    if not unread:
        return []
    noun = "message" if unread == 1 else "messages"
    return [TodoItem(f"{unread} unread {noun}", "In your inbox.", reverse("inbox"), "Open inbox")]


def _team(user: User) -> list[TodoItem]:
    if not permissions.is_line_manager(user):
        return []
    return [TodoItem("Your team", "See the people who report to you.", reverse("team"), "View")]


PROVIDERS: list[TodoProvider] = [_unread_messages, _team]


def todo_for(user: User) -> list[TodoItem]:
    items = [item for provider in PROVIDERS for item in provider(user)]
    return sorted(items, key=lambda item: not item.urgent)
