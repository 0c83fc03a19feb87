from __future__ import annotations

from django.urls import reverse

from portal.context_processors import NavItem
from portal.models import User
from requests import permissions, selectors


def items(user: User) -> list[NavItem]:
    found = [
        NavItem("My requests", reverse("requests:mine"), ""),
        NavItem("Authorised register", reverse("requests:register"), ""),
    ]
    if selectors.may_authorise(user):
        found.append(NavItem("Approvals", reverse("requests:approvals"), "Budget holder"))
    if permissions.can_submit_notice(user):
        found.append(NavItem("Staff notices", reverse("requests:staff_changes"), "HR / Manager"))
    if permissions.can_work_queue(user):
        found.append(NavItem("IT queue", reverse("requests:queue"), "IT"))
    if permissions.can_work_staff_board(user):
        found.append(NavItem("Starters and leavers", reverse("requests:staff_board"), "IT"))
    return found
