from __future__ import annotations

from portal.context_processors import NavEntry, NavItem, offered
from portal.models import User
from requests import permissions, selectors

# The header's group menus (``portal.context_processors.MENUS``): a page added to PAGES without
# one of its own is listed under "Requests".
MENU = "Requests"
STAFF_MENU = "Staff"

PAGES = (
    NavEntry("My requests", "requests:mine"),
    NavEntry("Authorised register", "requests:register"),
    NavEntry("Approvals", "requests:approvals", "Budget holder", selectors.may_authorise),
    NavEntry(
        "Staff notices",
        "requests:staff_changes",
        "HR / Manager",
        permissions.can_submit_notice,
        menu=STAFF_MENU,
    ),
    NavEntry(
        "Waiting for a budget holder",
        "requests:waiting_for_budget_holder",
        "HR",
        permissions.can_see_waiting_for_budget_holder,
    ),
    NavEntry("IT queue", "requests:queue", "IT", permissions.can_work_queue),
    NavEntry(
        "Staff changes",
        "requests:staff_board",
        "IT",
        permissions.can_work_staff_board,
        menu=STAFF_MENU,
    ),
)


def items(user: User) -> list[NavItem]:
    return offered(user, PAGES, menu=MENU)
