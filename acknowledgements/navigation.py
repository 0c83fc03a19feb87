from __future__ import annotations

from django.urls import reverse

from acknowledgements import permissions
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
    if permissions.can_manage_versions(user):
        found.append(NavItem("Manage policy", reverse("acknowledgements:manage_index"), "Reviewer"))
    if permissions.can_view_all_personal_use(user):
        found.append(
            NavItem("Personal-use register", reverse("acknowledgements:all_personal_use"), "HR")
        )
    return found
