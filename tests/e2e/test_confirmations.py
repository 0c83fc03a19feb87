"""Changing a personal-use grant keeps what the manager did not change, and actions that remove
something ask before they act, through a real browser.

The demo company: Morgan Lee (manager@) manages Emma Jones (employee@); Hannah Rees (hr@) is HR.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from acknowledgements import demo_data as policy_demo
from acknowledgements import grants
from portal import demo_data as company_demo
from portal.models import Department, User
from requests.staff.models import StaffChange
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import expect_home, restore_role_groups, sign_in
from tests.requests.staff import give, starter_details

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGER = "manager@example.com"
EMPLOYEE = "employee@example.com"
HR = "hr@example.com"


@pytest.fixture
def demo(site_url: str) -> str:
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    return site_url


def assert_clean_run(log: BrowserLog) -> None:
    assert log.messages_mentioning("Content Security Policy") == []
    assert log.page_errors == []
    failed = [(u, s) for u, s in log.responses if s >= 400 and not u.endswith("/favicon.ico")]
    assert failed == []


def test_a_changed_grant_keeps_its_end_date_and_revoking_asks_first(
    page: Page, browser_log: BrowserLog, demo: str
) -> None:
    employee = User.objects.get(email=EMPLOYEE)
    ends = timezone.localdate() + timedelta(days=60)
    note = "Agreed at supervision: personal email in breaks."

    sign_in(page, MANAGER)
    expect_home(page, demo)
    page.goto(f"/team/{employee.pk}/personal-use/")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Expires on (optional)").fill(ends.isoformat())
    page.get_by_label("Note (optional)").fill(note)
    page.get_by_role("button", name="Grant", exact=True).click()
    expect(page.get_by_text("may now make occasional personal use")).to_be_visible()

    # Later the manager allows the Internet too, and touches nothing else.
    expect(page.get_by_label("Expires on (optional)")).to_have_value(ends.isoformat())
    expect(page.get_by_label("Note (optional)")).to_have_value(note)
    page.get_by_label("Internet", exact=True).check()
    page.get_by_role("button", name="Replace the grant").click()
    expect(
        page.get_by_text("may now make occasional personal use of email, Internet")
    ).to_be_visible()
    current = grants.current_grant_for(employee)
    assert (current.facilities, current.expires_on, current.note) == (
        ["email", "Internet"],
        ends,
        note,
    )
    expect(page.get_by_test_id("current")).to_contain_text(f"Note: {note}")

    # Revoking: the first button only says what will happen; nothing is revoked yet.
    confirm = page.get_by_test_id("revoke")
    expect(confirm.get_by_role("button", name="Revoke personal use")).to_be_hidden()
    confirm.locator("summary").click()
    expect(confirm.get_by_test_id("consequence")).to_contain_text(
        "goes back to business use only from now, and is told"
    )
    assert grants.current_grant_for(employee) == current
    confirm.get_by_label("Reason (optional)").fill("No longer needed.")
    confirm.get_by_role("button", name="Revoke personal use").click()
    expect(page.get_by_text("Personal use revoked: Emma Jones")).to_be_visible()
    assert grants.current_grant_for(employee) is None
    assert_clean_run(browser_log)


def test_cancelling_a_staff_change_notice_asks_first(
    page: Page, browser_log: BrowserLog, demo: str
) -> None:
    hr = User.objects.get(email=HR)
    department = Department.objects.get(name="Residential Care")
    today = timezone.localdate()
    notice = give(
        hr,
        starter_details(
            department, User.objects.get(email=MANAGER), start_date=today + timedelta(days=14)
        ),
        today=today,
    )

    sign_in(page, HR)
    expect_home(page, demo)
    page.goto(f"/staff-changes/{notice.pk}/")
    confirm = page.get_by_test_id("confirm-cancel")
    expect(confirm.get_by_role("button", name="Cancel the notice")).to_be_hidden()
    confirm.locator("summary").click()
    expect(confirm.get_by_test_id("consequence")).to_contain_text(
        "IT is told that the notice is cancelled"
    )
    notice.refresh_from_db()
    assert notice.state == StaffChange.State.OPEN

    # Without a reason it stays open, with the reason asked for and the confirmation still open.
    confirm.get_by_role("button", name="Cancel the notice").click()
    expect(
        page.get_by_text("Say why the notice is cancelled, so IT knows what to undo.")
    ).to_be_visible()
    confirm = page.get_by_test_id("confirm-cancel")
    confirm.get_by_label("Why is the notice cancelled?").fill("Given by mistake.")
    confirm.get_by_role("button", name="Cancel the notice").click()
    expect(page.get_by_text(f"{notice.reference} is cancelled. IT has been told.")).to_be_visible()
    notice.refresh_from_db()
    assert notice.state == StaffChange.State.CANCELLED
    assert notice.cancel_reason == "Given by mistake."
    assert_clean_run(browser_log)
