"""Steps the browser tests share: seeding the demo, signing in and out, watching the console."""

from __future__ import annotations

import re

from django.contrib.auth.models import Group
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, Response, expect

from portal import permissions
from portal.demo_data import DEMO_PASSWORD
from tests.e2e.conftest import BrowserLog

SIGN_IN_FOR_HOME_URL = re.compile(r"/accounts/login/\?next=/$")


def restore_role_groups() -> None:
    """Put back the role groups that migration 0002 creates.

    Emptying the database after a transactional test removes them too.
    """
    for name in permissions.ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url(SIGN_IN_FOR_HOME_URL)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def expect_home(page: Page, site_url: str) -> None:
    expect(page).to_have_url(f"{site_url}/")
    expect(page.get_by_role("heading", name="Your to-do list")).to_be_visible()


def sign_out(page: Page, site_url: str) -> None:
    """Sign out from the menu (on a desktop-wide page, where the menu is open)."""
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{site_url}/accounts/login/")


def listen(page: Page, log: BrowserLog) -> None:
    """Record ``page``'s console, errors and responses in ``log``, as the browser_log fixture does.

    For pages of a second browser context, so one log covers every page a test opened.
    """

    def on_console(message: ConsoleMessage) -> None:
        log.console.append(f"{message.type}: {message.text}")

    def on_page_error(error: Error) -> None:
        log.page_errors.append(f"{error.name}: {error.message}")

    def on_response(response: Response) -> None:
        log.responses.append((response.url, response.status))

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)


def page_width(page: Page) -> int:
    """How wide the document is: wider than the viewport means a sideways scroll."""
    return page.evaluate("document.documentElement.scrollWidth")


def nav_link(page: Page, name: str) -> Locator:
    """The header's link ``name``: on a phone the folded menu is opened first, and the link's
    group menu when it is in one."""
    toggler = page.get_by_role("button", name="Show menu")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    nav = page.get_by_test_id("nav")
    expect(nav).to_be_visible()
    # Queried inside each menu, so written from the page, not from the header.
    hidden = page.get_by_role("link", name=name, exact=True, include_hidden=True)
    menu = nav.locator("li.dropdown").filter(has=hidden)
    if menu.count():
        menu.locator("button.dropdown-toggle").click()
    return nav.get_by_role("link", name=name, exact=True)
