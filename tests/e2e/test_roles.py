"""Each demo role signs in through a real browser and sees only its own menu."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from acknowledgements import demo_data as policy_demo
from portal.demo_data import seed_demo
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import SIGN_IN_FOR_HOME_URL, expect_home, restore_role_groups, sign_in

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = PROJECT_ROOT / "test-results"
PHONE = {"width": 390, "height": 844}
BOOTSTRAP_CSS = "/static/bootstrap/css/bootstrap.min.css"
WRONG_LOGIN = "That email address and password do not match our records."

SIGN_IN_URL = re.compile(r"/accounts/login/(\?.*)?$")

# The live server answers from another thread, so each test commits its data and the database
# is emptied afterwards.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVERYONE = ["Home", "Policy", "Personal use"]
# Everyone reaches their own questions; a line manager's "Questions" page holds them too.
OWN_QUESTIONS = "My questions"
REQUESTS = ["My requests", "Authorised register"]
# The demo's manager is also the budget holder of Residential Care.
ROLE_MENUS = {
    "employee@example.com": [*EVERYONE, OWN_QUESTIONS, *REQUESTS],
    "manager@example.com": [
        *EVERYONE,
        "Questions",
        "Team status",
        *REQUESTS,
        "Approvals",
        "Staff notices",
        "My team",
    ],
    "it@example.com": [
        *EVERYONE,
        OWN_QUESTIONS,
        *REQUESTS,
        "IT queue",
        "Staff changes",
        "Audit log",
        "Operations",
    ],
    "hr@example.com": [
        *EVERYONE,
        OWN_QUESTIONS,
        "Acknowledgements",
        "Personal-use register",
        *REQUESTS,
        "Staff notices",
        "Waiting for a budget holder",
        "Staff import",
        "Departments",
        "Audit log",
    ],
    "reviewer@example.com": [
        *EVERYONE,
        OWN_QUESTIONS,
        "Manage policy",
        "Policy reviews",
        *REQUESTS,
    ],
    "admin@example.com": [*EVERYONE, OWN_QUESTIONS, *REQUESTS, "Operations", "Administration"],
}


@pytest.fixture
def demo(site_url: str) -> str:
    """The demo company and its policy, with one account per role; returns the site's address."""
    restore_role_groups()
    seed_demo()
    policy_demo.seed_demo()  # as `manage.py seed_demo` does: the policy the menus point at
    return site_url


@pytest.mark.parametrize(("email", "menu"), ROLE_MENUS.items(), ids=list(ROLE_MENUS))
def test_role_signs_in_sees_own_menu_and_signs_out(
    page: Page, demo: str, email: str, menu: list[str]
) -> None:
    sign_in(page, email)
    expect_home(page, demo)

    nav = page.get_by_test_id("nav")
    expect(nav).to_be_visible()
    # Every page of the role, whether straight in the header or in one of its group menus.
    links = nav.get_by_role("link", include_hidden=True)
    assert sorted(links.all_text_contents()) == sorted(menu)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{demo}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.goto("/")
    expect(page).to_have_url(SIGN_IN_FOR_HOME_URL)
    expect(page.get_by_test_id("nav")).to_have_count(0)


def test_home_fits_a_phone_and_menu_folds_behind_toggler(page: Page, demo: str) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, "employee@example.com")
    expect_home(page, demo)

    RESULTS_DIR.mkdir(exist_ok=True)
    screenshot = RESULTS_DIR / "home-phone-390.png"
    screenshot.unlink(missing_ok=True)
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"page is {scroll_width}px wide on a 390px phone"

    toggler = page.get_by_role("button", name="Show menu")
    sign_out = page.get_by_role("button", name="Sign out")
    expect(toggler).to_be_visible()
    expect(page.get_by_test_id("nav")).to_be_hidden()
    expect(sign_out).to_be_hidden()

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(sign_out).to_be_visible()
    expect(page.get_by_test_id("nav").get_by_role("link", name="Home")).to_be_visible()


def test_wrong_password_shows_the_error_on_the_page(page: Page, demo: str) -> None:
    with page.expect_response(
        lambda r: r.request.method == "POST" and SIGN_IN_URL.search(r.url) is not None
    ) as answer:
        sign_in(page, "employee@example.com", "not-the-password")
    assert answer.value.status == 200

    expect(page).to_have_url(SIGN_IN_URL)
    expect(page.get_by_text(WRONG_LOGIN)).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value("employee@example.com")
    expect(page.get_by_test_id("nav")).to_have_count(0)


def test_sign_in_and_home_obey_csp_and_use_local_bootstrap(
    page: Page, browser_log: BrowserLog, demo: str
) -> None:
    sign_in(page, "employee@example.com")
    expect_home(page, demo)
    # The collapse script runs on a phone-width page too; make it run here with the CSP applied.
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Show menu").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    assert browser_log.messages_mentioning("Content Security Policy") == []
    assert browser_log.page_errors == []

    # Bootstrap came from the portal itself, and its rules took effect.
    assert 200 in browser_log.statuses_for(f"{demo}{BOOTSTRAP_CSS}")
    expect(page.locator("nav.navbar")).to_have_css("display", "flex")
    assert browser_log.hosts_requested() == {urlsplit(demo).netloc}
