"""HR's acknowledgement dashboard in a real browser: on a phone, under the CSP."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import RequestFactory
from playwright.sync_api import Page, expect

from acknowledgements import demo_data as policy_demo
from acknowledgements import signing
from acknowledgements.models import PolicyVersion
from portal import demo_data as company_demo
from portal.demo_data import DEMO_PASSWORD
from portal.models import User
from tests.e2e.conftest import DESKTOP, BrowserLog
from tests.e2e.helpers import expect_home, nav_link, page_width, restore_role_groups, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(site_url: str) -> str:
    """The demo company and its policy, with two signatures; returns the site's address."""
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    version = PolicyVersion.objects.get(number=1)
    for email in ("employee@example.com", "manager@example.com"):
        user = User.objects.get(email=email)
        signing.sign(
            user=user,
            version=version,
            printed_name=user.full_name,
            password=DEMO_PASSWORD,
            request=RequestFactory().post("/", REMOTE_ADDR="127.0.0.1"),
        )
    return site_url


def test_hr_reads_the_dashboard_on_a_phone(page: Page, browser_log: BrowserLog, demo: str) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, "hr@example.com")
    expect_home(page, demo)
    page.get_by_role("button", name="Show menu").click()
    nav_link(page, "Acknowledgements").click()

    expect(page.get_by_role("heading", name="Acknowledgements", level=1)).to_be_visible()
    signed = page.get_by_test_id("totals").get_by_role("link").first
    expect(signed).to_have_text("2")

    bars = page.get_by_role("img", name="Percentage signed by department")
    expect(bars).to_be_visible()
    expect(bars.locator("g.bar").first).to_contain_text("%")
    line = page.get_by_role("img", name="Signatures per day")
    expect(line).to_be_visible()
    # The charts shrink to the column: nothing wider than the phone.
    assert bars.bounding_box()["width"] <= PHONE["width"]
    assert page_width(page) <= PHONE["width"], "the dashboard scrolls sideways on a phone"

    RESULTS_DIR.mkdir(exist_ok=True)
    screenshot = RESULTS_DIR / "dashboard-phone-390.png"
    screenshot.unlink(missing_ok=True)
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0

    assert browser_log.messages_mentioning("Content Security Policy") == []
    assert browser_log.page_errors == []


@pytest.mark.parametrize("width", [992, DESKTOP["width"]])
def test_hr_menu_fits_a_laptop(page: Page, demo: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, "hr@example.com")
    expect_home(page, demo)
    expect(nav_link(page, "Acknowledgements")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page_width(page) <= width, f"HR's menu is wider than a {width}px window"


def test_hr_filters_to_a_department_opens_a_person_and_exports_csv(
    page: Page, browser_log: BrowserLog, demo: str
) -> None:
    department = "Community Support"
    expected = set(
        User.objects.filter(is_active=True, department__name=department).values_list(
            "email", flat=True
        )
    )
    assert expected, "the demo company has people in Community Support"
    sign_in(page, "hr@example.com")
    expect_home(page, demo)
    nav_link(page, "Acknowledgements").click()
    page.get_by_role("link", name="Everyone").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who has signed")

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Department").select_option(label=department)
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_test_id("staff-row")
    expect(rows).to_have_count(len(expected))
    for row in rows.all():
        expect(row.locator("td").nth(2)).to_have_text(department)

    with page.expect_download() as download_info:
        page.get_by_test_id("export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("acknowledgements-acceptable-use-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    header = lines[0].split(",")
    assert "Record hash" in header or "record hash" in lines[0].lower()
    email_column = [h.lower() for h in header].index("email")
    assert {line.split(",")[email_column] for line in lines[1:]} == expected

    first = rows.first.get_by_role("link").first
    name = first.inner_text()
    first.click()
    last, given = name.split(", ", 1)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{given} {last}")
    assert browser_log.messages_mentioning("Content Security Policy") == []


def test_a_line_manager_sees_only_their_own_reports(page: Page, demo: str) -> None:
    manager = User.objects.get(email="manager@example.com")
    reports = set(
        User.objects.filter(line_manager=manager, is_active=True).values_list("pk", flat=True)
    )
    sign_in(page, "manager@example.com")
    expect_home(page, demo)
    nav_link(page, "Team status").click()

    rows = page.get_by_test_id("staff-row")
    expect(rows.first).to_be_visible()
    seen = set()
    while True:
        seen |= {int(pk) for pk in rows.evaluate_all("rs => rs.map(r => r.dataset.pk)")}
        following = page.get_by_test_id("next")
        if following.count() == 0:
            break
        following.click()
    assert seen == reports


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/compliance/", 403),
        ("/compliance/acceptable-use/staff/", 403),
        ("/compliance/acceptable-use/staff/export/", 403),
        ("person", 404),
    ],
)
def test_an_employee_is_refused_every_hr_page(
    page: Page, demo: str, path: str, status: int
) -> None:
    if path == "person":
        path = f"/compliance/people/{User.objects.get(email='manager@example.com').pk}/"
    sign_in(page, "employee@example.com")
    expect_home(page, demo)

    response = page.goto(demo + path)

    assert response is not None and response.status == status
    heading = "You do not have access to this page" if status == 403 else "Page not found"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
