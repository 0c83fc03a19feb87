from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from portal import permissions
from portal.models import Notification


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    role: str  # shown as a small badge so people know why they see it


# Other apps add their pages in AppConfig.ready(); each provider returns what ``user`` may use.
NAV_PROVIDERS: list[Callable[[object], list[NavItem]]] = []
# The same for pages about one's people, listed after every app's own pages, before the
# portal's (the manager's team page).
PEOPLE_NAV_PROVIDERS: list[Callable[[object], list[NavItem]]] = []


def navigation(request: HttpRequest) -> dict[str, object]:
    """The menu for whoever is signed in: only what their roles may use."""
    user = request.user
    if not user.is_authenticated:
        return {}
    items = [NavItem("Home", reverse("home"), "")]
    for provider in [*NAV_PROVIDERS, *PEOPLE_NAV_PROVIDERS]:
        items.extend(provider(user))
    if permissions.can_import_staff(user):
        items.append(NavItem("Staff import", reverse("staff_import"), "HR"))
    if permissions.can_view_audit_log(user):
        items.append(NavItem("Audit log", reverse("audit_log"), "IT / HR"))
    if permissions.can_view_operations(user):
        items.append(NavItem("Operations", reverse("operations"), "IT / Admin"))
    if permissions.can_use_admin(user):
        items.append(NavItem("Administration", reverse("admin:index"), "Admin"))
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"nav_items": items, "unread_count": unread}
