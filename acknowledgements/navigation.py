from __future__ import annotations

from acknowledgements import permissions
from acknowledgements.models import Policy
from acknowledgements.publishing import SEED_SLUG
from portal import permissions as roles
from portal.context_processors import NavEntry, NavItem, offered
from portal.models import User


def _may_see_team_status(user: User) -> bool:
    # The team's status page is per policy; the menu offers the acceptable use policy's.
    return roles.is_line_manager(user) and Policy.objects.filter(slug=SEED_SLUG).exists()


# The header's group menus (``portal.context_processors.MENUS``): a page added to PAGES without
# one of its own is listed under "Policy".
MENU = "Policy"
TEAM_MENU = "My team"


def _asks_only(user: User) -> bool:
    return not roles.is_line_manager(user)


PAGES = (
    NavEntry("Policy", "acknowledgements:policy_list"),
    NavEntry("Personal use", "acknowledgements:my_personal_use"),
    NavEntry(
        "Questions",
        "acknowledgements:questions",
        "Manager",
        roles.is_line_manager,
        menu=TEAM_MENU,
    ),
    # One entry each: a line manager's page holds the questions they asked too.
    NavEntry("My questions", "acknowledgements:questions", "", _asks_only),
    NavEntry(
        "Team status",
        "acknowledgements:staff_list",
        "Manager",
        _may_see_team_status,
        args=(SEED_SLUG,),
        menu=TEAM_MENU,
    ),
    NavEntry(
        "Manage policy",
        "acknowledgements:manage_index",
        "Reviewer",
        permissions.can_manage_versions,
    ),
    NavEntry(
        "Policy reviews", "acknowledgements:reviews", "Reviewer", permissions.can_view_reviews
    ),
    NavEntry(
        "Acknowledgements", "acknowledgements:dashboard", "HR", permissions.can_view_dashboard
    ),
    NavEntry(
        "Personal-use register",
        "acknowledgements:all_personal_use",
        "HR",
        permissions.can_view_all_personal_use,
    ),
)
PEOPLE_PAGES = (NavEntry("My team", "team", "Manager", roles.is_line_manager),)


def items(user: User) -> list[NavItem]:
    return offered(user, PAGES, menu=MENU)


def people_items(user: User) -> list[NavItem]:
    return offered(user, PEOPLE_PAGES, menu=TEAM_MENU)
