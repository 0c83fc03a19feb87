from __future__ import annotations

from django.urls import reverse

from acknowledgements import permissions
from acknowledgements.models import Policy
from acknowledgements.publishing import SEED_SLUG
from portal import permissions as roles
from portal.context_processors import NavItem
from portal.models import User


def items(user: User) -> list[NavItem]:
    found = [
        NavItem("Policy", reverse("acknowledgements:policy_list"), ""),
        NavItem("Personal use", reverse("acknowledgements:my_personal_use"), ""),
    ]
    if roles.is_line_manager(user):
        found.append(NavItem("Questions", reverse("acknowledgements:questions"), "Manager"))
        # The team's status page is per policy; the menu offers the acceptable use policy's.
        if Policy.objects.filter(slug=SEED_SLUG).exists():
            found.append(
                NavItem(
                    "Team status",
                    reverse("acknowledgements:staff_list", args=[SEED_SLUG]),
                    "Manager",
                )
            )
    if permissions.can_manage_versions(user):
        found.append(NavItem("Manage policy", reverse("acknowledgements:manage_index"), "Reviewer"))
    if permissions.can_view_reviews(user):
        found.append(NavItem("Policy reviews", reverse("acknowledgements:reviews"), "Reviewer"))
    if permissions.can_view_dashboard(user):
        found.append(NavItem("Acknowledgements", reverse("acknowledgements:dashboard"), "HR"))
    if permissions.can_view_all_personal_use(user):
        found.append(
            NavItem("Personal-use register", reverse("acknowledgements:all_personal_use"), "HR")
        )
    return found


def people_items(user: User) -> list[NavItem]:
    if roles.is_line_manager(user):
        return [NavItem("My team", reverse("team"), "Manager")]
    return []
