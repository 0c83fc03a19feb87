from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from portal import permissions
from portal.models import Notification, User
from portal.organisation import current as current_organisation


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    role: str  # shown as a small badge so people know why they see it
    menu: str = ""  # the header's group menu it is listed in (``MENUS``); none: beside them


@dataclass(frozen=True)
class NavMenu:
    """One of the header's group menus, with the items the signed-in person may use."""

    label: str
    items: list[NavItem]

    @property
    def slug(self) -> str:
        return self.label.lower().replace(" ", "-")


@dataclass(frozen=True)
class NavEntry:
    """A page an app offers in the menu, to whoever ``may_use`` allows (everyone when None)."""

    label: str
    url_name: str
    role: str = ""
    may_use: Callable[[User], bool] | None = None
    args: tuple[object, ...] = ()
    menu: str = ""  # the group menu; empty: the one its app's provider names


def offered(user: User, entries: Iterable[NavEntry], *, menu: str = "") -> list[NavItem]:
    """The entries ``user`` may use, in order, as menu items: in the entry's own group menu,
    else in ``menu`` (an app's default, so a page it adds lands in its usual menu)."""
    return [
        NavItem(
            entry.label,
            reverse(entry.url_name, args=entry.args),
            entry.role,
            entry.menu or menu,
        )
        for entry in entries
        if entry.may_use is None or entry.may_use(user)
    ]


# The header's group menus, in order; a menu named by no entry here comes after them.
MENUS = ("Policy", "Requests", "My team", "Staff", "Oversight")


def menus(items: Iterable[NavItem]) -> list[NavMenu]:
    """``items`` in their group menus, in ``MENUS`` order, each menu's items in offered order."""
    grouped: dict[str, list[NavItem]] = {}
    for item in items:
        grouped.setdefault(item.menu, []).append(item)
    order = [*MENUS, *(name for name in grouped if name not in MENUS)]
    return [NavMenu(name, grouped[name]) for name in order if name in grouped]


# Other apps add their pages in AppConfig.ready(); each provider returns what ``user`` may use.
NAV_PROVIDERS: list[Callable[[object], list[NavItem]]] = []
# The same for pages about one's people, listed after every app's own pages, before the
# portal's (the manager's team page).
PEOPLE_NAV_PROVIDERS: list[Callable[[object], list[NavItem]]] = []


# The portal's own pages, after every app's.
PORTAL_PAGES = (
    NavEntry("Staff import", "staff_import", "HR", permissions.can_import_staff, menu="Staff"),
    NavEntry("Departments", "departments", "HR", permissions.can_manage_departments, menu="Staff"),
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
    items.extend(offered(user, PORTAL_PAGES, menu="Oversight"))
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "nav_items": items,
        "nav_menus": menus(item for item in items if item.menu),
        "nav_home": items[0],
        "unread_count": unread,
    }


def organisation(request: HttpRequest) -> dict[str, object]:
    """The organisation the portal serves, on every page (e-mails get it in ``portal.outbox``)."""
    return {"organisation": current_organisation()}
