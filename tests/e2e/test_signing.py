"""Reading and signing the policy, personal use and new versions, through a real browser.

Every test runs against the live server with the demo company and the demo policy: version 1,
which everyone has been asked to sign.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import RequestFactory
from playwright.sync_api import Browser, Locator, Page, expect

from acknowledgements import demo_data as policy_demo
from acknowledgements import publishing, signing
from acknowledgements.models import Acknowledgement, PersonalUseGrant, PolicyVersion
from portal import demo_data as company_demo
from portal.demo_data import DEMO_PASSWORD
from portal.models import Department, User
from tests.e2e.conftest import DESKTOP, BrowserLog
from tests.e2e.helpers import (
    expect_home,
    listen,
    nav_link,
    page_width,
    restore_role_groups,
    sign_in,
    sign_out,
)

# The live server answers from another thread, so each test commits its data and the database
# is emptied afterwards.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = PROJECT_ROOT / "test-results"
PHONE = {"width": 390, "height": 844}

EMPLOYEE = "employee@example.com"
EMPLOYEE_NAME = "Emma Jones"
MANAGER = "manager@example.com"
REVIEWER = "reviewer@example.com"

POLICY_TITLE = publishing.SEED_TITLE
SIGN_TODO = f"Sign the {POLICY_TITLE}"
POLICY_URL = f"/policies/{publishing.SEED_SLUG}/"
SIGN_URL = f"{POLICY_URL}sign/"
RECEIPT_URL = re.compile(r"/receipts/(\d+)/$")
PDF_NAME = re.compile(
    rf"^receipt-{publishing.SEED_SLUG}-v1-[0-9A-F]{{4}}(-[0-9A-F]{{4}}){{3}}\.pdf$"
)
# Crispy forms mark a required field with an asterisk after its label.
PASSWORD_LABEL = re.compile(r"^\s*Password\*?\s*$")
AGREE = "I have read the policy and agree to the statement above"
WRONG_PASSWORD = "That password is not right. Nothing has been signed."

OLD_SENTENCE = "Change your password every 3 months."
NEW_SENTENCE = "Change your password every 6 months."


@pytest.fixture
def demo(site_url: str) -> str:
    """The demo company and its policy, everyone asked to sign; returns the site's address."""
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    return site_url


@pytest.fixture
def second_page(browser: Browser, site_url: str, browser_log: BrowserLog) -> Iterator[Page]:
    """Another person's browser: a context of its own, its console in the same log."""
    context = browser.new_context(
        base_url=site_url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London"
    )
    other = context.new_page()
    listen(other, browser_log)
    yield other
    context.close()


def todo_item(page: Page, title: str) -> Locator:
    return page.get_by_test_id("todo").get_by_role("listitem").filter(has_text=title)


def expect_fits(page: Page, screenshot: str, width: int = PHONE["width"]) -> None:
    """No sideways scrolling on a phone; the whole page is kept as ``screenshot`` to look at."""
    wide = page_width(page)
    assert wide <= width, f"{page.url} is {wide}px wide on a {width}px phone"
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / screenshot
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 0


def fill_signature(page: Page, *, name: str, password: str) -> None:
    page.get_by_label("Your full name").fill(name)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Sign", exact=True).click()


def assert_clean_run(log: BrowserLog, *, expected_404: tuple[str, ...] = ()) -> None:
    """No CSP violation, no script error, and no failed request but those the test meant.

    Browsers ask for /favicon.ico on their own; the portal has none.
    """
    assert log.messages_mentioning("Content Security Policy") == []
    assert log.page_errors == []
    failed = [
        (url, status)
        for url, status in log.responses
        if status >= 400 and not url.endswith("/favicon.ico")
    ]
    assert failed == [(url, 404) for url in expected_404]


def test_employee_reads_and_signs_on_a_phone_and_downloads_the_receipt(
    page: Page, browser_log: BrowserLog, demo: str, tmp_path: Path
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, EMPLOYEE)
    expect_home(page, demo)

    # The to-do list asks for the signature and leads to the policy.
    item = todo_item(page, SIGN_TODO)
    expect(item).to_have_count(1)
    item.get_by_role("link", name="Read and sign").click()
    expect(page).to_have_url(f"{demo}{POLICY_URL}")
    expect(page.get_by_role("heading", level=1, name=POLICY_TITLE)).to_be_visible()

    # The contents list is there on a phone, and leads to the summary, which stands out.
    toc = page.get_by_test_id("toc")
    expect(toc).to_be_visible()
    expect(toc.get_by_role("link", name="4.1 Personal Use of ICT")).to_be_visible()
    summary = page.get_by_test_id("summary")
    expect(summary).to_have_class(re.compile(r"\bpolicy-summary\b"))
    expect(summary).to_have_attribute("aria-label", "Summary of the policy")
    expect(summary).not_to_have_css("box-shadow", "none")
    expect(summary.locator("#section-5")).to_have_count(1)
    expect(summary.locator("#section-5-6")).to_have_count(1)
    # Only section 5 is framed: the procedure in section 4 is not.
    expect(page.locator(".policy-summary #section-4-1")).to_have_count(0)
    expect(page.locator(".policy-summary")).to_have_count(1)
    toc.get_by_role("link", name="5 Summary of Acceptable Use of ICT").click()
    expect(page).to_have_url(f"{demo}{POLICY_URL}#section-5")
    expect(
        summary.get_by_role("heading", name="5 Summary of Acceptable Use of ICT")
    ).to_be_in_viewport()
    expect_fits(page, "policy-phone-390.png")

    # The signing page states what is signed.
    page.get_by_test_id("sign-call").get_by_role("link", name="Read and sign").click()
    expect(page).to_have_url(f"{demo}{SIGN_URL}")
    expect(page.get_by_test_id("statement")).to_have_text(
        signing.statement_for(PolicyVersion.objects.get(number=1))
    )
    expect_fits(page, "sign-phone-390.png")

    fill_signature(page, name=EMPLOYEE_NAME, password=DEMO_PASSWORD)
    expect(page).to_have_url(RECEIPT_URL)
    expect(page.get_by_role("heading", name="Receipt: signature of a policy")).to_be_visible()

    ack = Acknowledgement.objects.get(user__email=EMPLOYEE)
    assert page.url.endswith(f"/receipts/{ack.pk}/")
    facts = page.get_by_test_id("facts")
    expect(facts).to_contain_text("Record fingerprint (SHA-256)")
    expect(facts.get_by_text(ack.record_hash, exact=True)).to_be_visible()
    expect(facts.get_by_text(ack.receipt_code, exact=True)).to_be_visible()
    expect_fits(page, "receipt-phone-390.png")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert PDF_NAME.match(download.suggested_filename), download.suggested_filename
    assert download.suggested_filename == f"receipt-acceptable-use-v1-{ack.receipt_code}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    # Nothing left to sign.
    page.goto("/")
    expect_home(page, demo)
    expect(page.get_by_text(SIGN_TODO)).to_have_count(0)
    # What is left is the copy of the receipt in the inbox.
    expect(page.get_by_test_id("todo").get_by_role("listitem")).to_have_text([re.compile("unread")])

    assert Acknowledgement.objects.filter(user__email=EMPLOYEE).count() == 1
    assert_clean_run(browser_log)


def test_wrong_password_signs_nothing(page: Page, browser_log: BrowserLog, demo: str) -> None:
    sign_in(page, EMPLOYEE)
    expect_home(page, demo)
    page.goto(SIGN_URL)

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        fill_signature(page, name=EMPLOYEE_NAME, password="not-the-password")
    assert answer.value.status == 200

    expect(page).to_have_url(f"{demo}{SIGN_URL}")
    expect(page.get_by_text(WRONG_PASSWORD)).to_be_visible()
    expect(page.get_by_label(PASSWORD_LABEL)).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_label("Your full name")).to_have_value(EMPLOYEE_NAME)
    assert not Acknowledgement.objects.exists()

    page.goto("/")
    expect_home(page, demo)
    expect(todo_item(page, SIGN_TODO)).to_have_count(1)
    assert_clean_run(browser_log)


def test_manager_grants_and_revokes_personal_use_for_own_report_only(
    page: Page, second_page: Page, browser_log: BrowserLog, demo: str
) -> None:
    note = "Agreed at supervision: personal email and browsing in breaks."
    reason = "No longer needed."
    employee = User.objects.get(email=EMPLOYEE)

    sign_in(page, MANAGER)
    expect_home(page, demo)
    nav_link(page, "My team").click()
    expect(page.get_by_role("heading", name="My team")).to_be_visible()
    row = page.get_by_test_id("team-row").filter(has_text=EMPLOYEE_NAME)
    expect(row.get_by_test_id("personal-use")).to_contain_text("Business use only")
    row.get_by_role("link", name=f"Manage personal use for {EMPLOYEE_NAME}").click()
    expect(page).to_have_url(f"{demo}/team/{employee.pk}/personal-use/")
    expect(page.get_by_role("heading", name=f"Personal use: {EMPLOYEE_NAME}")).to_be_visible()

    # The policy's words on personal use are beside the form.
    conditions = page.get_by_test_id("conditions")
    expect(conditions.get_by_role("heading", name="4.1 Personal Use of ICT")).to_be_visible()
    expect(conditions).to_contain_text("Occasional and reasonable personal use")
    expect(conditions.get_by_role("heading", name="5.1 Limit personal use")).to_be_visible()

    current = page.get_by_test_id("current")
    expect(current).to_contain_text("None: business use only.")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Internet", exact=True).check()
    page.get_by_label("Note (optional)").fill(note)
    page.get_by_role("button", name="Grant", exact=True).click()

    expect(
        page.get_by_text(f"{EMPLOYEE_NAME} may now make occasional personal use")
    ).to_be_visible()
    expect(current).to_contain_text("Occasional personal use of email, Internet")
    expect(current).to_contain_text(f"Note: {note}")
    history = page.get_by_test_id("history-row")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Current")

    # Revoked, once the manager has read what that does: back to business use only, and the
    # history says so.
    page.get_by_test_id("revoke").locator("summary").click()
    page.get_by_label("Reason (optional)").fill(reason)
    page.get_by_role("button", name="Revoke personal use").click()
    expect(page.get_by_text(f"Personal use revoked: {EMPLOYEE_NAME}")).to_be_visible()
    expect(current).to_contain_text("None: business use only.")
    expect(history).to_have_count(1)
    expect(history.first.locator(".badge")).to_have_text("Revoked")
    expect(history.first).to_contain_text(f"Reason: {reason}")
    expect(history.first).to_contain_text("by Morgan Lee")
    assert not PersonalUseGrant.objects.filter(employee=employee, revoked_at__isnull=True).exists()

    # The employee sees no grant in force.
    sign_in(second_page, EMPLOYEE)
    expect_home(second_page, demo)
    nav_link(second_page, "Personal use").click()
    mine = second_page.get_by_test_id("current")
    expect(mine).to_contain_text("None: business use only.")
    expect(mine).not_to_contain_text("Occasional personal use of")
    expect(second_page.get_by_test_id("history-row").locator(".badge")).to_have_text("Revoked")

    # Someone who is not the manager's report: a 404, whether they have no manager or another.
    unmanaged, someone_elses = User.objects.filter(
        department__name="Community Support", line_manager__isnull=True
    ).order_by("pk")[:2]
    someone_elses.line_manager = User.objects.create_user(
        "other.manager@example.com",
        DEMO_PASSWORD,
        first_name="Olive",
        last_name="Grant",
        department=Department.objects.get(name="Community Support"),
    )
    someone_elses.save(update_fields=["line_manager"])
    not_mine = tuple(
        f"{demo}/team/{person.pk}/personal-use/" for person in (unmanaged, someone_elses)
    )
    for person, url in zip((unmanaged, someone_elses), not_mine, strict=True):
        response = page.goto(url)
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_text(person.full_name)).to_have_count(0)

    assert_clean_run(browser_log, expected_404=not_mine)


def sign_version_one_for(email: str) -> Acknowledgement:
    user = User.objects.get(email=email)
    request = RequestFactory().post(SIGN_URL, REMOTE_ADDR="127.0.0.1")
    return signing.sign(
        user=user,
        version=PolicyVersion.objects.get(number=1),
        printed_name=user.full_name,
        password=DEMO_PASSWORD,
        request=request,
    )


def test_reviewer_publishes_a_material_change_and_the_employee_signs_again(
    page: Page, browser_log: BrowserLog, demo: str
) -> None:
    sign_version_one_for(EMPLOYEE)

    # The reviewer drafts version 2 with one sentence of section 5.6 changed.
    sign_in(page, REVIEWER)
    expect_home(page, demo)
    nav_link(page, "Manage policy").click()
    page.get_by_test_id("policies").get_by_role("link", name=POLICY_TITLE).click()
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_role("heading", name="Edit the draft of version 2")).to_be_visible()

    text = page.get_by_label("Policy text (Markdown)")
    body = text.input_value()
    assert body.count(OLD_SENTENCE) == 1
    text.fill(body.replace(OLD_SENTENCE, NEW_SENTENCE))
    page.get_by_label("Change summary", exact=True).fill("Passwords now change every 6 months.")
    page.get_by_role("button", name="Save the draft").click()

    # The comparison marks the one change.
    expect(page.get_by_role("heading", name="What changed in version 2 (draft)")).to_be_visible()
    expect(page.get_by_test_id("change-counts")).to_have_text("1 reworded")
    changes = page.get_by_test_id("changes").get_by_role("listitem")
    expect(changes).to_have_count(1)
    expect(changes.get_by_role("heading")).to_have_text("5.6 IT Security")
    expect(changes.locator("ins")).to_have_text("6")
    expect(changes.locator("del")).to_have_text("3")

    page.get_by_role("link", name="Publish…").click()
    page.get_by_label("Material change: everyone signs again within 21 days").check()
    page.get_by_role("button", name="Publish version 2").click()
    expect(
        page.get_by_text(f"Version 2 of the {POLICY_TITLE} is published.", exact=False)
    ).to_be_visible()
    expect(page.get_by_text("asked to sign it within 21 days", exact=False)).to_be_visible()
    version_two = PolicyVersion.objects.get(number=2)
    assert version_two.status == PolicyVersion.Status.PUBLISHED
    assert version_two.material_change
    sign_out(page, demo)

    # The employee is asked again, and sees what changed since version 1.
    sign_in(page, EMPLOYEE)
    expect_home(page, demo)
    todo_item(page, SIGN_TODO).get_by_role("link", name="Read and sign").click()
    expect(page).to_have_url(f"{demo}{POLICY_URL}")
    expect(page.get_by_test_id("sign-call")).to_be_visible()
    what_changed = page.get_by_test_id("what-changed")
    expect(what_changed).to_contain_text("You signed version 1")
    expect(
        what_changed.get_by_role("heading", name="What changed since the version you signed")
    ).to_be_visible()
    change = what_changed.get_by_test_id("change")
    expect(change).to_have_count(1)
    expect(change.get_by_role("link", name="5.6 IT Security")).to_be_visible()
    expect(change.locator(".diff-text ins")).to_have_text("6")
    expect(change.locator(".diff-text del")).to_have_text("3")
    expect(change.locator(".diff-text")).to_contain_text("Change your password every")

    page.get_by_test_id("sign-call").get_by_role("link", name="Read and sign").click()
    expect(page.get_by_test_id("statement")).to_contain_text(f"{POLICY_TITLE} (Version 2)")
    fill_signature(page, name=EMPLOYEE_NAME, password=DEMO_PASSWORD)
    expect(page).to_have_url(RECEIPT_URL)
    expect(page.get_by_test_id("facts")).to_contain_text("Version 2")

    page.get_by_role("link", name="My receipts").click()
    rows = page.get_by_test_id("receipts").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Version 2")).to_have_count(1)
    expect(rows.filter(has_text="Version 1")).to_have_count(1)

    signed = Acknowledgement.objects.filter(user__email=EMPLOYEE)
    assert sorted(signed.values_list("version__number", flat=True)) == [1, 2]
    assert_clean_run(browser_log)


TABLE_PAGES = {
    "versions": (REVIEWER, "/manage/acceptable-use/", "versions"),
    "policies": (REVIEWER, "/manage/", "policies"),
    "team": (MANAGER, "/team/", None),
    "receipts": (EMPLOYEE, "/receipts/", "receipts"),
}


@pytest.mark.parametrize(("email", "path", "table"), TABLE_PAGES.values(), ids=list(TABLE_PAGES))
def test_wide_tables_scroll_in_their_box_on_a_phone(
    page: Page, browser_log: BrowserLog, demo: str, email: str, path: str, table: str | None
) -> None:
    # Hidden link text in a table cell (for screen readers) must not widen the page.
    sign_version_one_for(EMPLOYEE)
    page.set_viewport_size(PHONE)
    sign_in(page, email)
    expect_home(page, demo)
    page.goto(path)

    box = page.locator(".table-responsive").filter(
        has=page.get_by_test_id(table) if table else page.get_by_test_id("team-row")
    )
    expect(box).to_have_count(1)
    expect(box.locator(".visually-hidden").first).to_be_attached()
    assert page_width(page) <= PHONE["width"], f"{path} is {page_width(page)}px wide"
    # A table wider than the phone scrolls sideways inside its own box instead.
    assert box.evaluate("el => el.clientWidth") <= PHONE["width"]
    assert_clean_run(browser_log)
