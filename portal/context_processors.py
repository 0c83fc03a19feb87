from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from portal import permissions
from portal.models import Notification, User


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    role: str  # shown as a small badge so people know why they see it


@dataclass(frozen=True)
class NavEntry:
    """A page an app offers in the menu, to whoever ``may_use`` allows (everyone when None)."""

    label: str
    url_name: str
    role: str = ""
    may_use: Callable[[User], bool] | None = None
    args: tuple[object, ...] = ()


def offered(user: User, entries: Iterable[NavEntry]) -> list[NavItem]:
    """The entries ``user`` may use, in order, as menu items."""
    return [
        NavItem(entry.label, reverse(entry.url_name, args=entry.args), entry.role)
        for entry in entries
        if entry.may_use is None or entry.may_use(user)
    ]


# Other apps add their pages in AppConfig.ready(); each provider returns what ``user`` may use.
NAV_PROVIDERS: list[Callable[[object], list[NavItem]]] = []
# The same for pages about one's people, listed after every app's own pages, before the
# portal's (the manager's team page).
PEOPLE_NAV_PROVIDERS: list[Callable[[object], list[NavItem]]] = []


# The portal's own pages, after every app's.
PORTAL_PAGES = (
    NavEntry("Staff import", "staff_import", "HR", permissions.can_import_staff),
    NavEntry("Departments", "departments", "HR", permissions.can_manage_departments),
    NavEntry("Audit log", "audit_log", "IT / HR", permissions.can_view_audit_log),
    NavEntry("Operations", "operations", "IT / Admin", permissions.can_view_operations),
    NavEntry("Administration", "admin:index", "Admin", permissions.can_use_admin),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    """The menu for whoever is signed in: only what their roles may use."""
    user = request.user
    if not user.is_authenticated:
        return {}
    items = [NavItem("Home", reverse("home"), "")]
    for provider in [*NAV_PROVIDERS, *PEOPLE_NAV_PROVIDERS]:
        items.extend(provider(user))
    items.extend(offered(user, PORTAL_PAGES))
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"nav_items": items, "unread_count": unread}
