"""Another organisation's portal in a real browser: its own policy loaded with load_policy, its
settings in place of the demo's, and every page each role's menu offers shows its name, colour,
logo and helpline, and nothing of the demo's seed company."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from acknowledgements import publishing
from portal.demo_data import seed_demo
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import expect_home, restore_role_groups, sign_in
from tests.portal.test_another_organisation import (
    ADMIN,
    NORTHWIND,
    NORTHWIND_POLICY,
    assert_no_seed_company,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NORTHWIND_GREEN = "rgb(29, 75, 44)"  # #1d4b2c
ROLES = [
    "employee@example.com",
    "manager@example.com",
    "it@example.com",
    "hr@example.com",
    "reviewer@example.com",
    "admin@example.com",
]


@pytest.fixture
def northwind(settings, site_url: str, tmp_path) -> str:
    """The demo's people, Northwind's settings and Northwind's own policy; the site's address."""
    for name, value in NORTHWIND.items():
        setattr(settings, name, value)
    restore_role_groups()
    seed_demo()
    path = tmp_path / "northwind-policy.md"
    path.write_text(NORTHWIND_POLICY, encoding="utf-8")
    call_command("load_policy", str(path), stdout=StringIO())
    return site_url


def expect_northwind(page: Page, where: str) -> None:
    expect(page).to_have_title(f"{page.title().rsplit(' · ', 1)[0]} · Northwind Home Care")
    footer = page.locator("footer")
    expect(footer).to_contain_text("Northwind Home Care · IT Department")
    expect(footer).to_contain_text("IT helpline: it.help@northwind.example or 020 7946 0999")
    expect(page.locator("nav.navbar")).to_have_css("background-color", NORTHWIND_GREEN)
    logo = page.get_by_role("img", name="Northwind Home Care")
    expect(logo).to_be_visible()
    assert logo.evaluate("image => image.complete && image.naturalWidth > 0"), where
    assert_no_seed_company(page.content(), where)


@pytest.mark.parametrize("email", ROLES)
def test_every_page_of_each_role_is_the_other_organisations(
    page: Page, browser_log: BrowserLog, northwind: str, email: str
) -> None:
    page.goto("/accounts/login/")
    expect_northwind(page, "sign-in page")
    sign_in(page, email)
    expect_home(page, northwind)

    links = page.get_by_test_id("nav").get_by_role("link", include_hidden=True)
    pages = links.evaluate_all("links => links.map(link => link.href)")
    assert len(pages) >= 3, email
    for url in pages:
        page.goto(url)
        if url.removeprefix(northwind).startswith(ADMIN):
            assert_no_seed_company(page.content(), url)
            continue
        expect_northwind(page, url)

    assert browser_log.messages_mentioning("Content Security Policy") == []
    assert browser_log.page_errors == []


def test_the_policy_and_its_signing_page_are_the_other_organisations(
    page: Page, northwind: str
) -> None:
    sign_in(page, "employee@example.com")
    expect_home(page, northwind)
    page.goto(reverse("acknowledgements:policy_detail", args=[publishing.SEED_SLUG]))
    expect(page.get_by_role("heading", name="Acceptable Use of IT Policy").first).to_be_visible()
    expect(page.get_by_text("Northwind Home Care lends its staff computers")).to_be_visible()
    expect_northwind(page, "policy page")

    page.goto(reverse("acknowledgements:sign", args=[publishing.SEED_SLUG]))
    expect(
        page.get_by_text("terms and conditions of employment with Northwind Home Care.")
    ).to_be_visible()
    expect_northwind(page, "signing page")
