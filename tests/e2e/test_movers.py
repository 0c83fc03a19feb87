"""Movers through a real browser.

The demo company: Hannah Rees (hr@) is HR, Morgan Lee (manager@) manages Emma Jones
(employee@) and Ben Patel, Ivan Tech (it@) works IT's board. HR's staff import is run by
calling the import job as the worker does; the hourly job that puts moves in the directory is
called for a fixed moment just after midnight (Europe/London) on the effective date, as beat
would.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from acknowledgements import demo_data as policy_demo
from portal import demo_data as company_demo
from portal import import_jobs, scheduling
from portal.models import StaffImport, User
from portal.staff_import import COLUMNS
from requests.staff.models import StaffChange
from tests.e2e.conftest import DESKTOP, BrowserLog
from tests.e2e.helpers import listen, restore_role_groups, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
NEW_MANAGER = "chloe.patel3@example.com"  # in Community Support
BEN = "ben.patel2@example.com"  # in Morgan Lee's team


@pytest.fixture
def demo(site_url: str) -> str:
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    return site_url


@pytest.fixture
def it_page(browser: Browser, site_url: str, browser_log: BrowserLog) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site_url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London"
    )
    page = context.new_page()
    listen(page, browser_log)
    sign_in(page, "it@example.com")
    yield page
    context.close()


def directory_file(person: User, **changes: str) -> bytes:
    row = {
        "employee_number": person.employee_number,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "department": person.department.name,
        "job_title": person.job_title,
        "line_manager_email": person.line_manager.email,
        "employment_type": "Permanent",
        "start_date": person.start_date.isoformat(),
        "end_date": "",
        **changes,
    }
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode()


def test_a_mover_from_an_import_reaches_it_and_the_directory_changes_on_its_date(
    demo: str, page: Page, it_page: Page, browser_log: BrowserLog
) -> None:
    listen(page, browser_log)
    emma = User.objects.select_related("department", "line_manager").get(
        email="employee@example.com"
    )
    # HR imports a directory in which Emma Jones has moved to Community Support, under Chloe.
    sign_in(page, "hr@example.com")
    page.goto("/staff/import/")
    page.get_by_label("Staff directory (CSV)").set_input_files(
        {
            "name": "directory.csv",
            "mimeType": "text/csv",
            "buffer": directory_file(
                emma, department="Community Support", line_manager_email=NEW_MANAGER
            ),
        }
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Staff import: directory.csv")).to_be_visible()
    import_jobs.run_import(StaffImport.objects.get().pk)  # as the worker does
    page.reload()
    expect(page.get_by_test_id("import-result")).to_contain_text("1 updated")

    # The file is the directory as it stands: Emma has moved already.
    emma.refresh_from_db()
    assert (emma.department.name, emma.line_manager.email) == ("Community Support", NEW_MANAGER)

    # IT finds the mover on the board, with its own checklist.
    it_page.goto("/it/starters-leavers/")
    it_page.get_by_label("Kind").select_option(label="Mover")
    it_page.get_by_role("button", name=re.compile("Show|Filter|Apply")).first.click()
    row = it_page.get_by_test_id("board-row").filter(has_text="Emma Jones")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Access for the new role granted")
    expect(row).to_contain_text("Directory updated")
    row.get_by_role("link").first.click()
    expect(it_page.get_by_test_id("move-manager")).to_have_text("Morgan Lee → Chloe Patel")
    expect(it_page.get_by_test_id("move-department")).to_have_text(
        "Residential Care → Community Support"
    )
    expect(it_page.get_by_test_id("directory")).to_contain_text("Updated on")
    for kind in ("access_granted", "access_removed", "equipment_moved", "directory_updated"):
        expect(it_page.get_by_test_id(f"task-{kind}")).to_be_visible()
    it_page.get_by_test_id("tick-access_removed").get_by_role("button").click()
    expect(it_page.get_by_role("status")).to_contain_text("is ticked off")

    # HR moves Ben Patel from a date three days ahead: the directory waits for it.
    ben = User.objects.get(email=BEN)
    day = timezone.localdate() + timedelta(days=3)
    page.goto("/staff-changes/new/mover/")
    page.get_by_label("Their email address or employee number").fill(BEN)
    page.get_by_label("Effective date").fill(day.isoformat())
    page.get_by_label("New job title").fill("Team Leader")
    page.get_by_role("button", name="Send to IT").click()
    expect(page.get_by_role("status")).to_contain_text("has gone to the IT Department")
    expect(page.get_by_test_id("directory")).to_have_text("Changes by itself on the effective date")
    notice = StaffChange.objects.get(kind=StaffChange.Kind.MOVER, person=ben)
    ben.refresh_from_db()
    assert ben.job_title != "Team Leader"

    # The night before: nothing. Just after midnight on the day: the directory changes, once.
    eve = datetime.combine(day - timedelta(days=1), time(23, 10), tzinfo=LONDON)
    assert scheduling.run_job("staff-movers", now=eve).found == 0
    midnight = datetime.combine(day, time(0, 10), tzinfo=LONDON)
    assert scheduling.run_job("staff-movers", now=midnight).found == 1
    assert scheduling.run_job("staff-movers", now=midnight + timedelta(hours=1)).found == 0
    ben.refresh_from_db()
    assert ben.job_title == "Team Leader"
    it_page.goto(f"/staff-changes/{notice.pk}/")
    expect(it_page.get_by_test_id("directory")).to_contain_text("Updated on")
    expect(it_page.get_by_test_id("history")).to_contain_text(
        "Staff directory updated with the new place"
    )
    assert browser_log.page_errors == []
    assert browser_log.messages_mentioning("Content Security Policy") == []
