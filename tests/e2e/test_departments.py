"""HR names budget holders and deputies, and paid requests follow them, through a real browser.

The demo company: Hannah Rees (hr@) is HR; Finance has no budget holder and nobody in it, so the
test adds its people; Rowan Clarke (reviewer@) works in the Company Secretariat, which has none.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.models import Department, Notification, User
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import expect_home, sign_in
from tests.e2e.test_requests import (
    OpenBrowser,
    assert_clean_run,
    demo,  # noqa: F401  (a fixture)
    fill_item,
    go_to,
    message,
    open_browser,  # noqa: F401  (a fixture)
    open_from_list,
    start_request,
    submit_request,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HR = "hr@example.com"
REVIEWER = "reviewer@example.com"


def _finance_people() -> tuple[User, User, User]:
    finance = Department.objects.get(name="Finance")
    people = [
        UserFactory(email=f"{who}@example.com", first_name=first, last_name="Finch",
                    department=finance)
        for who, first in (("finance.head", "Fay"), ("finance.deputy", "Dan"),
                           ("finance.clerk", "Cleo"))
    ]  # fmt: skip
    return people[0], people[1], people[2]


def _paid_subscription(page: Page, item: str) -> str:
    start_request(page, "Paid Internet subscription", "Request a paid Internet subscription")
    fill_item(page, "Service or website", item)
    page.get_by_label("Provider").fill("Example Ltd")
    page.get_by_label("Subscription cost (£)").fill("20")
    page.get_by_label("How often the recurring cost is paid").select_option(label="Monthly")
    page.get_by_label("Why the business needs it").fill("Month-end reconciliation.")
    return submit_request(page)


def test_hr_names_a_holder_and_deputy_and_the_cost_follows_the_dates(
    page: Page,
    open_browser: OpenBrowser,  # noqa: F811
    browser_log: BrowserLog,
    demo: str,  # noqa: F811
) -> None:
    head, deputy, clerk = _finance_people()
    today = timezone.localdate()
    sign_in(page, HR)
    expect_home(page, demo)
    go_to(page, "Departments")
    page.get_by_role("link", name="Nobody to authorise costs").click()
    row = page.get_by_test_id("department-row").filter(has_text="Finance")
    expect(row.get_by_test_id("no-authoriser")).to_be_visible()
    row.get_by_role("link", name="Change Finance").click()
    page.get_by_label("Budget holder", exact=True).fill(head.email)
    page.get_by_label("Deputy while the budget holder is away").fill(deputy.email)
    page.get_by_label("Deputy decides from").fill(today.isoformat())
    page.get_by_label("Deputy decides until (inclusive)").fill(
        (today + timedelta(days=2)).isoformat()
    )
    page.get_by_role("button", name="Save changes").click()
    expect(message(page)).to_have_text("Your changes to Finance are saved.")
    row = page.get_by_test_id("department-row").filter(has_text="Finance")
    expect(row.get_by_test_id("deputy-now")).to_be_visible()
    row.get_by_role("link", name="History of Finance").click()
    expect(page.get_by_test_id("history-row").first).to_contain_text("Deputy changed from no")

    # During the dates, the clerk's paid request goes to the deputy.
    requester = open_browser()
    sign_in(requester, clerk.email, PASSWORD)
    reference = _paid_subscription(requester, "Ledger Cloud")
    expect(message(requester)).to_contain_text(
        f"It is with {deputy.full_name}, who decides for the budget holder of Finance until"
    )
    deputy_page = open_browser()
    sign_in(deputy_page, deputy.email, PASSWORD)
    open_from_list(deputy_page, "Approvals", "approval-row", reference)
    holder_page = open_browser()
    sign_in(holder_page, head.email, PASSWORD)
    go_to(holder_page, "Approvals")
    expect(holder_page.get_by_test_id("nothing-waiting")).to_be_visible()

    # After them (sessions idle that long have ended: everyone signs in again), a new request
    # goes to the budget holder, and so does the one still waiting; the deputy has none.
    zone = timezone.get_current_timezone()
    after = datetime.combine(today + timedelta(days=3), time(9), tzinfo=zone)
    with time_machine.travel(after):
        requester = open_browser()
        sign_in(requester, clerk.email, PASSWORD)
        second = _paid_subscription(requester, "Payroll Cloud")
        expect(message(requester)).to_contain_text(
            f"It has gone to {head.full_name}, your budget holder"
        )
        holder_page = open_browser()
        sign_in(holder_page, head.email, PASSWORD)
        go_to(holder_page, "Approvals")
        rows = holder_page.get_by_test_id("approval-row")
        for waiting in (reference, second):
            expect(rows.filter(has_text=waiting)).to_have_count(1)
        deputy_page = open_browser()
        sign_in(deputy_page, deputy.email, PASSWORD)
        go_to(deputy_page, "Approvals")
        expect(deputy_page.get_by_test_id("nothing-waiting")).to_be_visible()
    assert_clean_run(browser_log)


def test_a_department_without_a_holder_sends_the_cost_to_hrs_list(
    page: Page,
    open_browser: OpenBrowser,  # noqa: F811
    browser_log: BrowserLog,
    demo: str,  # noqa: F811
) -> None:
    sign_in(page, REVIEWER)
    expect_home(page, demo)
    reference = _paid_subscription(page, "Minutes Cloud")
    expect(message(page)).to_contain_text(
        "Company Secretariat has no budget holder at the moment, so your request waits on the list"
    )
    expect(page.get_by_test_id("authoriser")).to_contain_text("Nobody yet")

    hr = open_browser()
    sign_in(hr, HR)
    expect_home(hr, demo)
    expect(hr.get_by_text("1 request waiting for a budget holder")).to_be_visible()
    row = open_from_list(hr, "Waiting for a budget holder", "waiting-row", reference)
    row.get_by_role("link", name="Name a budget holder for Company Secretariat").click()
    hr.get_by_label("Budget holder", exact=True).fill("manager@example.com")
    hr.get_by_role("button", name="Save changes").click()
    expect(message(hr)).to_have_text("Your changes to Company Secretariat are saved.")
    go_to(hr, "Waiting for a budget holder")
    expect(hr.get_by_test_id("nothing-waiting")).to_be_visible()

    # The request is now with the budget holder, who has been told, and its page says so.
    page.reload()
    expect(page.get_by_test_id("authoriser")).to_have_text("Morgan Lee")
    manager = open_browser()
    sign_in(manager, "manager@example.com")
    open_from_list(manager, "Approvals", "approval-row", reference)
    told = Notification.objects.filter(
        recipient__email="manager@example.com", kind="request-budget"
    )
    assert told.count() == 1
    assert_clean_run(browser_log)
