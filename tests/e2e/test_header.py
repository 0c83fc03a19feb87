"""The header at a laptop's width, for every role: one line, pages in group menus that open with
the mouse and with the keyboard, and every page of the role reachable from them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from acknowledgements import demo_data as policy_demo
from portal.demo_data import seed_demo
from tests.e2e.helpers import expect_home, restore_role_groups, sign_in
from tests.e2e.test_roles import ROLE_MENUS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}

# The header's parts: the name of the portal, then every item of both lists, each as its box.
HEADER_BOXES = """() => {
  const parts = [document.querySelector('.navbar-brand'),
                 ...document.querySelectorAll('#main-nav > .navbar-nav > li')];
  return parts.map(el => {
    const box = el.getBoundingClientRect();
    return {text: el.innerText.trim(), top: box.top, bottom: box.bottom, right: box.right};
  });
}"""


@pytest.fixture
def demo(site_url: str) -> str:
    restore_role_groups()
    seed_demo()
    policy_demo.seed_demo()
    return site_url


@pytest.mark.parametrize(("email", "pages"), ROLE_MENUS.items(), ids=list(ROLE_MENUS))
def test_the_header_is_one_line_with_menus_that_open_by_mouse_and_keyboard(
    page: Page, demo: str, email: str, pages: list[str]
) -> None:
    page.set_viewport_size(LAPTOP)
    sign_in(page, email)
    expect_home(page, demo)

    boxes = page.evaluate(HEADER_BOXES)
    assert len(boxes) >= 5, boxes  # the name, Home, Inbox, Change password, Sign out at least
    tops = {round(box["top"]) for box in boxes}
    assert max(tops) - min(tops) <= 8, f"the header breaks onto another line: {boxes}"
    assert max(box["right"] for box in boxes) <= LAPTOP["width"], boxes
    height = page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")
    assert height < 80, f"the header is {height}px high"
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]

    nav = page.get_by_test_id("nav")
    links = nav.get_by_role("link", include_hidden=True)
    assert sorted(links.all_text_contents()) == sorted(pages)

    menus = nav.locator("li.dropdown")
    assert menus.count() >= 1
    for index in range(menus.count()):
        menu = menus.nth(index)
        toggle = menu.locator("button.dropdown-toggle")
        items = menu.get_by_role("link")
        first = menu.get_by_role("link").first

        # The mouse: a click opens it, a second closes it.
        expect(items.first).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(first).to_be_visible()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(first).to_be_hidden()

        # The keyboard: Enter opens it, the down arrow reaches the first page, Escape closes it
        # and gives the focus back to the menu's button.
        toggle.focus()
        page.keyboard.press("Enter")
        expect(first).to_be_visible()
        page.keyboard.press("ArrowDown")
        expect(first).to_be_focused()
        page.keyboard.press("Escape")
        expect(first).to_be_hidden()
        expect(toggle).to_be_focused()

    # A page in a menu opens from it, and its menu shows where one is.
    first_menu = menus.first
    first_menu.locator("button.dropdown-toggle").click()
    target = first_menu.get_by_role("link").last
    label = target.inner_text()
    target.click()
    first_menu = page.get_by_test_id("nav").locator("li.dropdown").first
    toggle = first_menu.locator("button.dropdown-toggle")
    expect(toggle).to_have_class("nav-link dropdown-toggle active")
    current = first_menu.get_by_role("link", name=label, exact=True, include_hidden=True)
    expect(current).to_have_attribute("aria-current", "page")
