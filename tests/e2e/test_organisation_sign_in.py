"""Organisation sign-in in a real browser, against the suite's real OpenID provider process:
sign in with the work account, sign the policy by confirming at the provider, and see how on
the receipt; someone the staff directory does not know is turned away."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from acknowledgements import demo_data as policy_demo
from acknowledgements import publishing
from acknowledgements.models import Acknowledgement
from portal import demo_data as company_demo
from portal.models import AuditEvent, ExternalIdentity
from tests.e2e.conftest import DESKTOP, BrowserLog
from tests.e2e.helpers import expect_home, restore_role_groups
from tests.oidc.provider import PEOPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGN_URL = f"/policies/{publishing.SEED_SLUG}/sign/"
RECEIPT_URL = re.compile(r"/receipts/(\d+)/$")
AGREE = "I have read the policy and agree to the statement above"


@pytest.fixture
def demo(site_url: str, oidc) -> str:
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    return site_url


def sign_in_at_provider(page: Page, issuer: str, username: str) -> None:
    expect(page).to_have_url(re.compile(rf"^{re.escape(issuer)}/interaction/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PEOPLE[username]["password"])
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_and_sign_the_policy_with_the_work_account(
    page: Page, browser_log: BrowserLog, demo: str, oidc
) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in with your work account").click()
    sign_in_at_provider(page, oidc.issuer, "emma")
    expect_home(page, demo)

    page.goto(SIGN_URL)
    expect(page.get_by_label(re.compile(r"^\s*Password"))).to_have_count(0)
    page.get_by_label("Your full name").fill("Emma Jones")
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("link", name="Confirm with your work account and sign").click()
    # The provider asks again, although its session is still open: prompt=login, max_age=0.
    sign_in_at_provider(page, oidc.issuer, "emma")

    expect(page).to_have_url(RECEIPT_URL)
    ack = Acknowledgement.objects.get(user__email="employee@example.com")
    subject = ExternalIdentity.objects.get(user=ack.user).subject
    facts = page.get_by_test_id("facts")
    expect(facts).to_contain_text("organisation sign-in re-authentication at")
    expect(facts).to_contain_text(oidc.issuer)
    expect(facts).to_contain_text(f"subject {subject}")
    assert browser_log.messages_mentioning("Content Security Policy") == []
    assert browser_log.page_errors == []


def test_someone_the_directory_does_not_know_is_turned_away(
    browser: Browser, site_url: str, demo: str, oidc
) -> None:
    context = browser.new_context(base_url=site_url, viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with your work account").click()
    sign_in_at_provider(page, oidc.issuer, "stranger")

    expect(page.get_by_role("heading", name="We could not sign you in")).to_be_visible()
    expect(page.get_by_test_id("oidc-refusal")).to_contain_text("does not list you")
    expect(page.get_by_text("Please ask HR")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    assert AuditEvent.objects.filter(
        action="auth.oidc_refused", data__reason="unknown_person"
    ).exists()
    assert not ExternalIdentity.objects.exists()
    context.close()
