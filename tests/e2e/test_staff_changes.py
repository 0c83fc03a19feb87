"""Starters, leavers and temporary workers, through a real browser.

The demo company: Hannah Rees (hr@) is HR, Morgan Lee (manager@) manages Emma Jones
(employee@), Ivan Tech (it@) works IT's board. The hourly job that ends access is called here
with a fixed moment just after midnight (Europe/London) following the last day, as beat would.
The invitation e-mail is delivered by calling the outbox as the worker does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from acknowledgements import demo_data as policy_demo
from acknowledgements import publishing
from acknowledgements.models import Acknowledgement
from portal import demo_data as company_demo
from portal import outbox
from portal.models import Notification, User
from requests.models import Kind
from requests.staff import lifecycle as staff_lifecycle
from requests.staff.models import StaffChange
from tests.acknowledgements.factories import PersonalUseGrantFactory
from tests.e2e.accessibility import violations
from tests.e2e.conftest import DESKTOP, BrowserLog
from tests.e2e.helpers import expect_home, listen, nav_link, restore_role_groups, sign_in
from tests.requests.factories import AuthorisationRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HR = "hr@example.com"
MANAGER = "manager@example.com"
EMPLOYEE = "employee@example.com"
IT = "it@example.com"
NEW_PASSWORD = "Lantern-orchard-winter-42"
WRONG_LOGIN = "That email address and password do not match our records."
SIGN_TODO = f"Sign the {publishing.SEED_TITLE}"
LONDON = ZoneInfo("Europe/London")
INVITE_PATH = re.compile(r"https?://[^/\s]+(/accounts/reset/[^/\s]+/[^/\s]+/)")

OpenBrowser = Callable[[], Page]


@pytest.fixture
def demo(site_url: str) -> str:
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    return site_url


@pytest.fixture
def open_browser(browser: Browser, site_url: str, browser_log: BrowserLog) -> Iterator[OpenBrowser]:
    """Another person's browser: a context of its own, its console in the test's log."""
    contexts = []

    def open_() -> Page:
        context = browser.new_context(
            base_url=site_url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London"
        )
        contexts.append(context)
        other = context.new_page()
        listen(other, browser_log)
        return other

    yield open_
    for context in contexts:
        context.close()


def assert_clean_run(log: BrowserLog) -> None:
    assert log.messages_mentioning("Content Security Policy") == []
    assert log.page_errors == []
    failed = [(u, s) for u, s in log.responses if s >= 400 and not u.endswith("/favicon.ico")]
    assert failed == []


def just_after_midnight_following(day: date) -> datetime:
    """When the hourly job first runs after ``day`` ends in London."""
    return datetime.combine(day + timedelta(days=1), time(0, 5), tzinfo=LONDON)


def notify_it(page: Page, kind_button: str) -> None:
    nav_link(page, "Staff notices").click()
    page.get_by_role("link", name="Notify IT", exact=True).click()
    page.get_by_role("link", name=kind_button).click()


def fill_newcomer(page: Page, *, first: str, last: str, email: str, start: date) -> None:
    page.locator("#id_first_name").fill(first)
    page.locator("#id_last_name").fill(last)
    page.locator("#id_email").fill(email)
    page.get_by_label("Department").select_option(label="Residential Care")
    page.locator("#id_line_manager_email").fill(MANAGER)
    page.get_by_label("Start date").fill(start.isoformat())


def tick(page: Page, kind: str, **fields: str) -> None:
    form = page.get_by_test_id(f"tick-{kind}")
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button").click()


def accept_invitation(page: Page, email: str, site_url: str) -> None:
    """Deliver the invitation as the worker would, follow its link and choose a password."""
    invitation = Notification.objects.filter(recipient__email=email, kind="sign-in-invitation")
    mail.outbox.clear()
    assert outbox.deliver(invitation.latest("created_at").pk)
    (message,) = mail.outbox
    assert message.to == [email]
    link = INVITE_PATH.search(message.body)
    assert link is not None, message.body
    page.goto(link.group(1))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()


def expect_refused(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(WRONG_LOGIN)).to_be_visible()


def test_hr_notifies_a_starter_it_does_the_checklist_and_the_starter_signs_the_policy(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    start = timezone.localdate() + timedelta(days=14)

    # HR tells IT.
    sign_in(page, HR)
    expect_home(page, demo)
    notify_it(page, "Notify IT of a starter")
    fill_newcomer(page, first="Sam", last="Taylor", email="sam.taylor@example.com", start=start)
    page.get_by_label("Systems and access needed").fill("Care records, email")
    page.get_by_role("button", name="Send to IT").click()
    notice = StaffChange.objects.get()
    expect(page).to_have_url(f"{demo}/staff-changes/{notice.pk}/")
    expect(page.get_by_role("status")).to_contain_text(
        f"{notice.reference} has gone to the IT Department."
    )
    assert Notification.objects.filter(recipient__email=IT, kind="staff-change-new").exists()

    # IT finds it on the board and works the checklist.
    it = open_browser()
    sign_in(it, IT)
    nav_link(it, "Staff changes").click()
    row = it.get_by_test_id("board-row").filter(has_text="Sam Taylor")
    expect(row).to_contain_text("0 of 3 done")
    row.get_by_role("link", name=notice.reference).click()
    tick(it, "account_created")
    expect(it.get_by_role("status")).to_contain_text("portal account is ready")
    expect(it.get_by_test_id("account")).to_have_text("sam.taylor@example.com")
    tick(it, "equipment_issued", **{"Note (optional)": "Phone issued, asset 4471."})
    # The policy task waits for the signature: IT is told why and nothing is ticked.
    tick(it, "policy_signed")
    expect(it.get_by_test_id("tick-policy_signed")).to_contain_text(
        "Sam Taylor has not signed the policy yet"
    )
    expect(it.get_by_test_id("task-policy_signed").get_by_test_id("done")).to_have_count(0)

    # The starter chooses a password from the invitation, signs in and is asked to sign.
    starter = open_browser()
    accept_invitation(starter, "sam.taylor@example.com", demo)
    sign_in(starter, "sam.taylor@example.com", NEW_PASSWORD)
    expect_home(starter, demo)
    todo = starter.get_by_test_id("todo").get_by_role("listitem").filter(has_text=SIGN_TODO)
    expect(todo).to_have_count(1)
    todo.get_by_role("link", name="Read and sign").click()
    starter.get_by_test_id("sign-call").get_by_role("link", name="Read and sign").click()
    starter.get_by_label("Your full name").fill("Sam Taylor")
    starter.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(NEW_PASSWORD)
    starter.get_by_label("I have read the policy and agree to the statement above").check()
    starter.get_by_role("button", name="Sign", exact=True).click()
    expect(starter.get_by_role("heading", name="Receipt: signature of a policy")).to_be_visible()
    assert Acknowledgement.objects.filter(user__email="sam.taylor@example.com").count() == 1

    # Now IT can close the last task, and the notice closes.
    it.goto(f"/staff-changes/{notice.pk}/")
    expect(it.get_by_test_id("policy-state")).to_contain_text("Signed on")
    tick(it, "policy_signed")
    expect(it.get_by_role("status")).to_contain_text(f"{notice.reference} is closed")
    notice.refresh_from_db()
    assert notice.state == StaffChange.State.CLOSED
    assert Notification.objects.filter(recipient__email=MANAGER, kind="staff-change-done").exists()
    assert_clean_run(browser_log)


def test_a_manager_notifies_a_leaver_whose_open_session_ends_after_the_last_day(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    last_day = timezone.localdate()
    leaver = User.objects.get(email=EMPLOYEE)
    manager = User.objects.get(email=MANAGER)
    AuthorisationRequestFactory(
        requester=leaver, kind=Kind.HARDWARE, item="Dell Latitude 5440", state="fulfilled"
    )
    PersonalUseGrantFactory(employee=leaver, granted_by=manager)

    # The leaver is signed in, with the portal open.
    theirs = open_browser()
    sign_in(theirs, EMPLOYEE)
    expect_home(theirs, demo)

    # Their manager tells IT.
    sign_in(page, MANAGER)
    notify_it(page, "Notify IT of a leaver")
    page.get_by_label("Their email address or employee number").fill(EMPLOYEE)
    page.get_by_label("Last working day").fill(last_day.isoformat())
    page.get_by_label("Equipment to be returned").fill("Laptop and phone")
    page.get_by_role("button", name="Send to IT").click()
    notice = StaffChange.objects.get()
    expect(page.get_by_role("status")).to_contain_text("has gone to the IT Department")

    # IT sees what to take back.
    it = open_browser()
    sign_in(it, IT)
    it.goto(f"/staff-changes/{notice.pk}/")
    holdings = it.get_by_test_id("holdings")
    expect(holdings).to_contain_text("Dell Latitude 5440")
    expect(holdings.get_by_test_id("personal-use")).to_contain_text(
        "revoked automatically when their access ends"
    )

    # Still their last day: the session works.
    theirs.reload()
    expect_home(theirs, demo)

    # Just after midnight the hourly job ends the account.
    assert staff_lifecycle.end_expired_access(now=just_after_midnight_following(last_day)) == 1

    # The open session is refused on its next request ...
    theirs.reload()
    expect(theirs).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    theirs.goto("/requests/")
    expect(theirs).to_have_url(re.compile(r"/accounts/login/\?next=/requests/$"))
    # ... and signing in again is refused.
    theirs.get_by_label("Email address").fill(EMPLOYEE)
    theirs.get_by_label("Password").fill(company_demo.DEMO_PASSWORD)
    theirs.get_by_role("button", name="Sign in").click()
    expect(theirs.get_by_text(WRONG_LOGIN)).to_be_visible()

    # The records stay: the manager still sees the notice, with the account ended.
    page.reload()
    expect(page.get_by_test_id("account-ended")).to_be_visible()
    it.reload()
    expect(it.get_by_test_id("personal-use")).to_contain_text("Revoked on")
    assert User.objects.filter(email=EMPLOYEE, is_active=False).exists()
    assert_clean_run(browser_log)


def test_a_temporary_workers_access_ends_on_the_end_date_unless_extended(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    today = timezone.localdate()
    first_end = today + timedelta(days=7)
    new_end = today + timedelta(days=21)

    # HR tells IT of an agency worker.
    sign_in(page, HR)
    notify_it(page, "Notify IT of a temporary worker")
    fill_newcomer(page, first="Tara", last="Agency", email="tara@agency.example.com", start=today)
    page.get_by_label("Access end date").fill(first_end.isoformat())
    page.get_by_role("button", name="Send to IT").click()
    notice = StaffChange.objects.get()

    # IT creates the account, which ends on the end date.
    it = open_browser()
    sign_in(it, IT)
    it.goto(f"/staff-changes/{notice.pk}/")
    tick(it, "temporary_account")
    expect(it.get_by_role("status")).to_contain_text("portal account is ready")
    worker = User.objects.get(email="tara@agency.example.com")
    assert (worker.employment_type, worker.end_date) == ("temporary", first_end)

    temp = open_browser()
    accept_invitation(temp, "tara@agency.example.com", demo)
    sign_in(temp, "tara@agency.example.com", NEW_PASSWORD)
    expect_home(temp, demo)

    # Their manager extends the access; a date before the current one is explained first.
    manager = open_browser()
    sign_in(manager, MANAGER)
    nav_link(manager, "Staff notices").click()
    manager.get_by_test_id("notice-row").filter(has_text="Tara Agency").get_by_role(
        "link", name=notice.reference
    ).click()
    extend = manager.get_by_test_id("extend")
    extend.get_by_label("New access end date").fill((first_end - timedelta(days=1)).isoformat())
    extend.get_by_role("button", name="Extend access").click()
    expect(manager.get_by_test_id("extend")).to_contain_text(
        "Choose a date after the current access end date"
    )
    extend = manager.get_by_test_id("extend")
    extend.get_by_label("New access end date").fill(new_end.isoformat())
    extend.get_by_role("button", name="Extend access").click()
    expect(manager.get_by_role("status")).to_contain_text("IT has been told")
    expect(manager.get_by_test_id("end-date")).to_contain_text(f"{new_end:%B %Y}")

    # The first end date passes: nothing ends, the open session carries on.
    assert staff_lifecycle.end_expired_access(now=just_after_midnight_following(first_end)) == 0
    temp.reload()
    expect_home(temp, demo)

    # The new one passes: the account ends and the session with it.
    assert staff_lifecycle.end_expired_access(now=just_after_midnight_following(new_end)) == 1
    temp.reload()
    expect(temp).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect_refused(temp, "tara@agency.example.com")
    assert_clean_run(browser_log)


def test_an_existing_account_is_linked_only_after_it_confirms_the_differences(
    page: Page, open_browser: OpenBrowser, browser_log: BrowserLog, demo: str
) -> None:
    start = timezone.localdate() + timedelta(days=14)
    it_person = User.objects.get(email=IT)
    it_before = (it_person.last_name, it_person.line_manager_id, it_person.employment_type)

    # A manager cannot give a temporary-worker notice for someone outside their team (IT's
    # own account here): the form says so and nothing reaches IT.
    manager = open_browser()
    sign_in(manager, MANAGER)
    notify_it(manager, "Notify IT of a temporary worker")
    manager.locator("#id_first_name").fill("Ivan")
    manager.locator("#id_last_name").fill("Temp")
    manager.locator("#id_email").fill(IT.upper())
    manager.get_by_label("Department").select_option(label="Residential Care")
    manager.get_by_label("Start date").fill(start.isoformat())
    manager.get_by_label("Access end date").fill((start + timedelta(days=7)).isoformat())
    manager.get_by_role("button", name="Send to IT").click()
    expect(manager.get_by_test_id("notice-form")).to_contain_text(
        "This email address belongs to an existing account that you do not manage."
    )
    assert not StaffChange.objects.exists()
    assert (it_person.last_name, it_person.line_manager_id, it_person.employment_type) == it_before

    # HR tells IT of a returner, whose old account is in the directory under another name.
    returner = User.objects.create_user(
        email="rhys.morgan@example.com", first_name="Rhys", last_name="Morgan", is_active=False
    )
    sign_in(page, HR)
    notify_it(page, "Notify IT of a starter")
    fill_newcomer(page, first="Rhys", last="Evans", email="rhys.morgan@example.com", start=start)
    page.get_by_role("button", name="Send to IT").click()
    notice = StaffChange.objects.get()

    # IT ticks the account task and is shown the differences first; nothing has changed yet.
    it = open_browser()
    sign_in(it, IT)
    it.goto(f"/staff-changes/{notice.pk}/")
    tick(it, "account_created")
    expect(it.get_by_role("heading", level=1)).to_contain_text("already in the staff directory")
    name_row = it.get_by_test_id("difference").filter(has_text="Name")
    expect(name_row).to_contain_text("Rhys Evans")
    expect(name_row).to_contain_text("Rhys Morgan")
    expect(name_row.get_by_test_id("differs")).to_be_visible()
    expect(it.get_by_test_id("what-changes")).to_contain_text("Confirming reactivates it")
    assert violations(it) == []
    returner.refresh_from_db()
    assert not returner.is_active

    # Confirming without the tick box is explained; with it, the returner is reactivated.
    confirm = it.get_by_test_id("confirm-link")
    confirm.get_by_role("button", name="Reactivate and link the account").click()
    expect(it.get_by_test_id("confirm-link")).to_contain_text("Tick the box to confirm")
    returner.refresh_from_db()
    assert not returner.is_active
    confirm = it.get_by_test_id("confirm-link")
    confirm.get_by_label("this is the same person").check()
    confirm.get_by_role("button", name="Reactivate and link the account").click()
    expect(it.get_by_role("status")).to_contain_text("Rhys Evans's account is reactivated")
    expect(it.get_by_test_id("account")).to_have_text("rhys.morgan@example.com")
    expect(it.get_by_test_id("account-action")).to_contain_text("reactivated")
    returner.refresh_from_db()
    assert returner.is_active and returner.last_name == "Evans"
    assert returner.line_manager == User.objects.get(email=MANAGER)
    assert_clean_run(browser_log)
