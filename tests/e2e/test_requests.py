"""Asking IT to authorise software, hardware and subscriptions, through a real browser.

Every test runs against the live server with the demo company: Emma Jones (employee@) works in
Residential Care, whose budget holder is Morgan Lee (manager@); Ivan Tech (it@) works the IT
queue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from portal import demo_data as company_demo
from portal.models import Department, User
from requests import catalogue, workflow
from requests.models import AuthorisationRequest, CatalogueItem, Kind
from tests.e2e.accessibility import violations
from tests.e2e.conftest import DESKTOP, BrowserLog
from tests.e2e.helpers import (
    expect_home,
    listen,
    nav_link,
    page_width,
    restore_role_groups,
    sign_in,
)
from tests.factories import PASSWORD, UserFactory

# The live server answers from another thread, so each test commits its data and the database
# is emptied afterwards.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = PROJECT_ROOT / "test-results"
PHONE = {"width": 390, "height": 844}

EMPLOYEE = "employee@example.com"
MANAGER = "manager@example.com"
IT = "it@example.com"
MANAGER_NAME = "Morgan Lee"
IT_NAME = "Ivan Tech"

REFERENCE = re.compile(r"^AR-\d{6}$")
SUBSCRIPTION = "Care Planner Pro"
CONDITION = "Use your work account only"

OpenBrowser = Callable[..., Page]


@pytest.fixture
def demo(site_url: str) -> str:
    """The demo company; returns the site's address."""
    restore_role_groups()
    company_demo.seed_demo()
    return site_url


@pytest.fixture
def open_browser(browser: Browser, site_url: str, browser_log: BrowserLog) -> Iterator[OpenBrowser]:
    """Another person's browser: a context of its own, its console in the test's log."""
    contexts = []

    def open_(*, javascript: bool = True) -> Page:
        context = browser.new_context(
            base_url=site_url,
            viewport=DESKTOP,
            locale="en-GB",
            timezone_id="Europe/London",
            java_script_enabled=javascript,
        )
        contexts.append(context)
        other = context.new_page()
        listen(other, browser_log)
        return other

    yield open_
    for context in contexts:
        context.close()


def assert_clean_run(log: BrowserLog) -> None:
    """No CSP violation, no script error, and no request that failed.

    Browsers ask for /favicon.ico on their own; the portal has none.
    """
    assert log.messages_mentioning("Content Security Policy") == []
    assert log.page_errors == []
    failed = [
        (url, status)
        for url, status in log.responses
        if status >= 400 and not url.endswith("/favicon.ico")
    ]
    assert failed == []


def go_to(page: Page, menu_item: str) -> None:
    nav_link(page, menu_item).click()


def message(page: Page) -> Locator:
    """The page's flash messages (success, information or error)."""
    return page.locator("main > .alert[role=status]")


def start_request(page: Page, kind_label: str, link_name: str) -> None:
    """From anywhere: My requests, then Make a request, then the kind's card."""
    go_to(page, "My requests")
    page.get_by_role("link", name="Make a request").click()
    expect(page.get_by_role("heading", name="What do you need authorised?")).to_be_visible()
    card = page.get_by_test_id("kinds").get_by_role("region", name=kind_label, exact=True)
    card.get_by_role("link", name=link_name).click()
    expect(page.get_by_role("heading", level=1, name=link_name)).to_be_visible()


def fill_item(page: Page, label: str, value: str) -> Locator:
    """Type the item's name and wait for the register's answer to it, which the page fetches.

    Returns the section with the register's matches.
    """
    # The script hides the page's own "Check the register" button once it listens to the
    # field: typing before then would fire no lookup.
    expect(page.locator("[data-register-check]")).to_be_hidden()
    page.get_by_label(label).fill(value)
    matches = page.get_by_test_id("register-matches")
    expect(matches).to_contain_text(f"“{value}”")
    return matches


def submit_request(page: Page) -> str:
    """Submit the form; returns the reference of the request whose page it lands on."""
    page.get_by_role("button", name="Submit the request").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    reference = page.get_by_test_id("reference").inner_text()
    assert REFERENCE.match(reference), reference
    return reference


def open_from_list(page: Page, menu_item: str, row_test_id: str, reference: str) -> Locator:
    """Open the request from a list page; returns its row as it was on the list."""
    go_to(page, menu_item)
    row = page.get_by_test_id(row_test_id).filter(has_text=reference)
    expect(row).to_have_count(1)
    return row


def open_request(page: Page, row: Locator, reference: str) -> None:
    row.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_test_id("reference")).to_have_text(reference)


def history_rows(page: Page) -> Locator:
    return page.get_by_test_id("history").get_by_test_id("event")


def file_directly(email: str, *, kind: str, item: str, **fields: object) -> AuthorisationRequest:
    """A request filed by the service, as the form would, for pages that need one to show."""
    return workflow.submit(
        requester=User.objects.get(email=email),
        request=AuthorisationRequest(
            kind=kind, item=item, justification="Needed for the rota.", **fields
        ),
    )


def test_paid_subscription_goes_to_the_budget_holder_then_it_and_joins_the_register(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    sign_in(page, EMPLOYEE)
    expect_home(page, demo)
    start_request(page, "Paid Internet subscription", "Request a paid Internet subscription")
    expect(page.get_by_test_id("cost-note")).to_contain_text(MANAGER_NAME)

    matches = fill_item(page, "Service or website", SUBSCRIPTION)
    expect(matches.get_by_test_id("no-register-match")).to_be_visible()
    page.get_by_label("Provider").fill("CarePlan Software Ltd")
    page.get_by_label("Its web address").fill("https://careplanner.example.com/pro")
    page.get_by_label("Subscription cost (£)").fill("£12.50")
    page.get_by_label("How often the recurring cost is paid").select_option(label="Monthly")
    page.get_by_label("Why the business needs it").fill(
        "Shared care plans for the residents, updated by the whole team on shift."
    )
    reference = submit_request(page)

    expect(message(page)).to_have_text(
        f"Your request {reference} has been submitted. It has gone to {MANAGER_NAME}, "
        "your budget holder, to authorise the cost first."
    )
    expect(page.get_by_test_id("state")).to_have_text("Awaiting budget holder")
    expect(page.get_by_test_id("cost-recurring")).to_have_text("£12.50 a month")

    # The budget holder, in a browser of their own, authorises the cost.
    manager = open_browser()
    sign_in(manager, MANAGER)
    expect_home(manager, demo)
    row = open_from_list(manager, "Approvals", "approval-row", reference)
    expect(row).to_contain_text(SUBSCRIPTION)
    expect(row).to_contain_text("£12.50 a month")
    open_request(manager, row, reference)
    manager.get_by_test_id("action-budget_approve").get_by_role(
        "button", name="Authorise the cost"
    ).click()
    expect(message(manager)).to_have_text(
        f"You authorised the cost of {reference}. It has gone to the IT Department."
    )
    expect(manager.get_by_test_id("state")).to_have_text("Awaiting IT")
    go_to(manager, "Approvals")
    expect(manager.get_by_test_id("nothing-waiting")).to_be_visible()

    # IT approves it on a condition, and adds it to the register.
    it = open_browser()
    sign_in(it, IT)
    expect_home(it, demo)
    row = open_from_list(it, "IT queue", "queue-row", reference)
    expect(row.get_by_test_id("state")).to_have_text("Awaiting IT")
    open_request(it, row, reference)
    expect(history_rows(it).filter(has_text="Cost authorised")).to_contain_text(MANAGER_NAME)
    approve = it.get_by_test_id("action-approve")
    approve.get_by_label("Conditions (optional)").fill(CONDITION)
    approve.get_by_label("Add to the authorised register").check()
    approve.get_by_role("button", name="Approve", exact=True).click()
    expect(message(it)).to_have_text(f"{reference} is approved. The requester has been told.")
    expect(it.get_by_test_id("state")).to_have_text("Approved")

    # The requester sees the approval and its condition.
    row = open_from_list(page, "My requests", "request-row", reference)
    expect(row.get_by_test_id("state")).to_have_text("Approved")
    open_request(page, row, reference)
    expect(page.get_by_test_id("state")).to_have_text("Approved")
    expect(page.get_by_test_id("conditions")).to_have_text(CONDITION)
    expect(page.get_by_test_id("already-authorised")).to_contain_text(SUBSCRIPTION)

    # The register now lists it, for everyone.
    go_to(page, "Authorised register")
    listed = page.get_by_test_id("register-row").filter(has_text=SUBSCRIPTION)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("CarePlan Software Ltd")
    expect(listed).to_contain_text(CONDITION)

    ar = AuthorisationRequest.objects.get(item=SUBSCRIPTION)
    assert ar.state == AuthorisationRequest.State.APPROVED
    assert ar.budget_approved_at is not None
    assert ar.catalogue_match is not None and ar.catalogue_match.name == SUBSCRIPTION
    assert_clean_run(browser_log)


def test_an_extra_seat_on_an_authorised_subscription_is_fast_tracked_to_it(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    it_user = User.objects.get(email=IT)
    catalogue.save_item(
        actor=it_user,
        item=CatalogueItem(
            name=SUBSCRIPTION,
            kind=Kind.SUBSCRIPTION,
            vendor="CarePlan Software Ltd",
            notes="Company licence: ask IT for a seat.",
        ),
    )
    care = Department.objects.get(name="Residential Care")
    colleague = UserFactory(
        email="sam.taylor@example.com",
        first_name="Sam",
        last_name="Taylor",
        department=care,
        line_manager=User.objects.get(email=MANAGER),
        password=PASSWORD,
    )

    # The register check, as a page without scripts offers it: a search box and a button.
    plain = open_browser(javascript=False)
    sign_in(plain, colleague.email, PASSWORD)
    expect_home(plain, demo)
    plain.goto(f"/requests/new/{Kind.SUBSCRIPTION}/")
    check = plain.get_by_test_id("register-check")
    check.get_by_label("Is it already authorised?").fill("care planner")
    check.get_by_role("button", name="Check the register").click()
    expect(plain).to_have_url(re.compile(r"\?q=care\+planner$"))
    matches = plain.get_by_test_id("register-matches")
    expect(matches).to_contain_text("Already authorised")
    expect(matches.get_by_test_id("register-match")).to_have_text(
        re.compile(rf"^{SUBSCRIPTION} · CarePlan Software Ltd")
    )
    # What was looked up is copied into the form.
    expect(plain.get_by_label("Service or website")).to_have_value("care planner")

    # With scripts, the item's own box looks it up as it is typed.
    sign_in(page, colleague.email, PASSWORD)
    expect_home(page, demo)
    start_request(page, "Paid Internet subscription", "Request a paid Internet subscription")
    expect(page.get_by_test_id("register-check")).to_be_hidden()
    matches = fill_item(page, "Service or website", SUBSCRIPTION)
    expect(matches).to_contain_text("Already authorised")
    expect(matches.get_by_test_id("register-match")).to_contain_text(SUBSCRIPTION)

    # No cost: the seat comes from the company licence.
    page.get_by_label("Provider").fill("CarePlan Software Ltd")
    page.get_by_label("Why the business needs it").fill(
        "An extra seat on the company licence so I can update care plans on shift."
    )
    reference = submit_request(page)

    expect(message(page)).to_have_text(
        f"Your request {reference} has been submitted. It has gone to the IT Department, "
        "fast-tracked: already in the authorised register."
    )
    expect(page.get_by_test_id("state")).to_have_text("Awaiting IT")
    expect(page.get_by_test_id("fast-track")).to_have_text("Fast-tracked")
    expect(page.get_by_test_id("already-authorised")).to_contain_text(SUBSCRIPTION)
    expect(page.get_by_test_id("cost-recurring")).to_have_text("None")
    # Straight to IT: no step for the budget holder.
    expect(history_rows(page)).to_have_count(1)
    expect(history_rows(page)).to_contain_text("Submitted")
    expect(history_rows(page)).to_contain_text("Now: Awaiting IT")
    expect(page.get_by_test_id("details")).not_to_contain_text("authorised the cost")

    # The IT queue marks it fast-tracked.
    it = open_browser()
    sign_in(it, IT)
    expect_home(it, demo)
    row = open_from_list(it, "IT queue", "queue-row", reference)
    expect(row.get_by_test_id("fast-track")).to_have_text("Fast-tracked")
    expect(row.get_by_test_id("state")).to_have_text("Awaiting IT")

    # The budget holder has nothing to authorise.
    manager = open_browser()
    sign_in(manager, MANAGER)
    expect_home(manager, demo)
    go_to(manager, "Approvals")
    expect(manager.get_by_test_id("nothing-waiting")).to_be_visible()

    ar = AuthorisationRequest.objects.get(requester=colleague)
    assert ar.fast_tracked
    assert ar.state == AuthorisationRequest.State.AWAITING_IT
    assert not ar.has_cost and ar.budget_approved_at is None
    assert_clean_run(browser_log)


def test_it_rejects_a_hardware_request_with_a_reason(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    reason = "Keyboards come from the stores cupboard: ask your manager for one."

    sign_in(page, EMPLOYEE)
    expect_home(page, demo)
    start_request(page, "Hardware", "Request hardware")
    fill_item(page, "Equipment", "Wireless keyboard")
    expect(page.get_by_label("How many")).to_have_value("1")
    page.get_by_label("Why the business needs it").fill("The office keyboard has broken keys.")
    reference = submit_request(page)
    expect(message(page)).to_have_text(
        f"Your request {reference} has been submitted. It has gone to the IT Department."
    )

    it = open_browser()
    sign_in(it, IT)
    expect_home(it, demo)
    row = open_from_list(it, "IT queue", "queue-row", reference)
    open_request(it, row, reference)
    reject = it.get_by_test_id("action-reject")
    reject.get_by_label("Reason for rejecting").fill(reason)
    reject.get_by_role("button", name="Reject", exact=True).click()
    expect(message(it)).to_have_text(f"{reference} is rejected. The requester has been told why.")
    expect(it.get_by_test_id("state")).to_have_text("Rejected")

    row = open_from_list(page, "My requests", "request-row", reference)
    expect(row.get_by_test_id("state")).to_have_text("Rejected")
    open_request(page, row, reference)
    expect(page.get_by_test_id("state")).to_have_text("Rejected")
    expect(page.get_by_test_id("details")).to_contain_text(f"Reason{reason}")
    expect(history_rows(page).filter(has_text="Rejected")).to_contain_text(reason)
    expect(page.get_by_test_id("no-actions")).to_be_visible()

    ar = AuthorisationRequest.objects.get(item="Wireless keyboard")
    assert ar.state == AuthorisationRequest.State.REJECTED
    assert ar.decision_reason == reason
    assert_clean_run(browser_log)


def test_it_asks_for_more_information_and_the_employee_answers_by_changing_the_request(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    question = "Which version do you need?"

    sign_in(page, EMPLOYEE)
    expect_home(page, demo)
    start_request(page, "Software", "Request software")
    fill_item(page, "Software name", "Inkscape")
    page.get_by_label("Publisher or vendor").fill("Inkscape Project")
    page.get_by_label("Version", exact=True).fill("1.2")
    page.get_by_label("Why the business needs it").fill("Posters for the residents' events.")
    reference = submit_request(page)

    it = open_browser()
    sign_in(it, IT)
    expect_home(it, demo)
    row = open_from_list(it, "IT queue", "queue-row", reference)
    open_request(it, row, reference)
    more_info = it.get_by_test_id("action-more_info")
    more_info.get_by_label("Your question").fill(question)
    more_info.get_by_role("button", name="Ask for more information").click()
    expect(message(it)).to_have_text(
        f"Your question on {reference} has been sent to the requester."
    )
    expect(it.get_by_test_id("state")).to_have_text("More information needed")

    # The question is on the employee's to-do list, and leads to the request to answer.
    page.goto("/")
    expect_home(page, demo)
    todo = (
        page.get_by_test_id("todo")
        .get_by_role("listitem")
        .filter(has_text="IT needs more information on 1 request")
    )
    expect(todo).to_have_count(1)
    todo.get_by_role("link", name="Answer").click()
    expect(page.get_by_role("heading", name="My requests")).to_be_visible()
    row = page.get_by_test_id("request-row").filter(has_text=reference)
    expect(row.get_by_test_id("state")).to_have_text("More information needed")
    row.get_by_role("link", name=f"Answer {reference}").click()

    expect(page.get_by_role("heading", name=f"Answer and send back {reference}")).to_be_visible()
    asked = page.get_by_test_id("question")
    expect(asked).to_contain_text(f"{IT_NAME} asked, on")
    expect(asked.locator("blockquote")).to_have_text(question)
    version = page.get_by_label("Version", exact=True)
    expect(version).to_have_value("1.2")
    version.fill("1.3")
    page.get_by_role("button", name="Send back with these changes").click()
    expect(message(page)).to_have_text(
        f"Your changes to {reference} are saved and the request has been sent back. "
        "It has gone to the IT Department."
    )
    expect(page.get_by_test_id("state")).to_have_text("Awaiting IT")
    page.goto("/")
    expect_home(page, demo)
    expect(page.get_by_text("IT needs more information")).to_have_count(0)

    # Back in the queue, awaiting IT, with both steps in the history.
    row = open_from_list(it, "IT queue", "queue-row", reference)
    expect(row.get_by_test_id("state")).to_have_text("Awaiting IT")
    open_request(it, row, reference)
    expect(it.get_by_test_id("details")).to_contain_text("Version or model1.3")
    events = history_rows(it)
    expect(events).to_have_count(3)
    expect(events.nth(0)).to_contain_text("Submitted")
    expect(events.nth(1)).to_contain_text("More information asked")
    expect(events.nth(1)).to_contain_text(IT_NAME)
    expect(events.nth(1)).to_contain_text(question)
    expect(events.nth(1)).to_contain_text("Now: More information needed")
    expect(events.nth(2)).to_contain_text("Sent back with information")
    expect(events.nth(2)).to_contain_text("Emma Jones")
    expect(events.nth(2)).to_contain_text("Now: Awaiting IT")

    ar = AuthorisationRequest.objects.get(item="Inkscape")
    assert ar.state == AuthorisationRequest.State.AWAITING_IT
    assert ar.version_or_model == "1.3"
    assert_clean_run(browser_log)


def test_an_authorised_item_changed_into_another_product_goes_back_to_the_budget_holder(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    """Authorised at £10 a year, then changed into another product at £10 a month."""
    filed = file_directly(
        EMPLOYEE, kind=Kind.SUBSCRIPTION, item="Rota Cloud Lite", vendor="Rota Cloud Ltd",
        cost_recurring=Decimal("10.00"), recurring_period="yearly",
    )  # fmt: skip
    reference = filed.reference
    manager_user, it_user = User.objects.get(email=MANAGER), User.objects.get(email=IT)
    filed = workflow.perform(actor=manager_user, request=filed, action="budget_approve")
    workflow.perform(actor=it_user, request=filed, action="more_info", note="Which plan exactly?")

    sign_in(page, EMPLOYEE)
    expect_home(page, demo)
    row = open_from_list(page, "My requests", "request-row", reference)
    row.get_by_role("link", name=f"Answer {reference}").click()
    page.get_by_label("Service or website").fill("Completely Different Product")
    page.get_by_label("How often the recurring cost is paid").select_option(label="Monthly")
    page.get_by_role("button", name="Send back with these changes").click()
    expect(message(page)).to_have_text(
        f"Your changes to {reference} are saved and the request has been sent back. "
        f"It has gone to {MANAGER_NAME}, your budget holder, to authorise the cost first."
    )
    expect(page.get_by_test_id("state")).to_have_text("Awaiting budget holder")

    # IT has nothing to approve while the cost waits for authority again.
    it = open_browser()
    sign_in(it, IT)
    expect_home(it, demo)
    it.goto(f"/requests/{filed.pk}/")
    expect(it.get_by_test_id("state")).to_have_text("Awaiting budget holder")
    expect(it.get_by_test_id("action-approve")).to_have_count(0)

    # The budget holder sees what changed since they authorised it, and authorises it again.
    manager = open_browser()
    sign_in(manager, MANAGER)
    expect_home(manager, demo)
    row = open_from_list(manager, "Approvals", "approval-row", reference)
    expect(row).to_contain_text("Completely Different Product")
    open_request(manager, row, reference)
    changes = manager.get_by_test_id("authority-changes")
    expect(changes).to_contain_text("Changed since the cost was authorised")
    expect(changes.get_by_test_id("authority-change")).to_have_text(
        [
            "ItemRota Cloud LiteCompletely Different Product",
            "How often the recurring cost is paidYearlyMonthly",
        ]
    )
    voided = history_rows(manager).filter(has_text="Cost authority voided")
    expect(voided).to_contain_text("Emma Jones")
    assert violations(manager) == []
    manager.get_by_test_id("action-budget_approve").get_by_role(
        "button", name="Authorise the cost"
    ).click()
    expect(manager.get_by_test_id("state")).to_have_text("Awaiting IT")
    expect(manager.get_by_test_id("authority-changes")).to_have_count(0)

    it.reload()
    expect(it.get_by_test_id("action-approve")).to_be_visible()
    ar = AuthorisationRequest.objects.get(pk=filed.pk)
    assert ar.authority_holds and ar.authorised_by == manager_user
    assert_clean_run(browser_log)


def expect_fits(page: Page, screenshot: str) -> None:
    """No sideways scrolling on the phone; the whole page is kept as ``screenshot``."""
    wide = page_width(page)
    assert wide <= PHONE["width"], f"{page.url} is {wide}px wide on a {PHONE['width']}px phone"
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / screenshot
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 0


def test_request_pages_fit_a_phone(page: Page, browser_log: BrowserLog, demo: str) -> None:
    filed = file_directly(
        EMPLOYEE,
        kind=Kind.SUBSCRIPTION,
        item="Residents' activities planner with a long name for a small screen",
        cost_recurring=Decimal("8.99"),
        recurring_period="monthly",
        link="https://activities.example.com/plans/business-annual-subscription-for-care-homes",
    )
    page.set_viewport_size(PHONE)
    sign_in(page, EMPLOYEE)
    expect_home(page, demo)

    page.get_by_role("button", name="Show menu").click()
    go_to(page, "My requests")
    expect(page.get_by_role("heading", name="My requests")).to_be_visible()
    expect(page.get_by_test_id("request-row").filter(has_text=filed.reference)).to_be_visible()
    expect_fits(page, "my-requests-phone-390.png")

    page.get_by_role("link", name="Make a request").click()
    expect(page.get_by_role("heading", name="What do you need authorised?")).to_be_visible()
    expect_fits(page, "request-kinds-phone-390.png")

    page.get_by_role("link", name="Request a paid Internet subscription").click()
    expect(page.get_by_role("heading", name="Request a paid Internet subscription")).to_be_visible()
    expect(page.get_by_label("Service or website")).to_be_visible()
    expect(page.get_by_role("button", name="Submit the request")).to_be_visible()
    expect_fits(page, "request-form-phone-390.png")

    # Its errors fit too, and keep what was typed.
    fill_item(page, "Service or website", "Rota sharing service")
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_text("Explain why the business needs it.")).to_be_visible()
    expect(page.get_by_label("Service or website")).to_have_value("Rota sharing service")
    expect_fits(page, "request-form-errors-phone-390.png")

    page.goto(f"/requests/{filed.pk}/")
    expect(page.get_by_test_id("reference")).to_have_text(filed.reference)
    expect_fits(page, "request-detail-phone-390.png")
    assert_clean_run(browser_log)
