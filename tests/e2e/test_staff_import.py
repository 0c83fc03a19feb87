"""HR uploads the staff directory in a real browser and watches a real worker import it: the
progress bar moves on its own to 100 %, then the result and the report of refused rows."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from acknowledgements import demo_data as policy_demo
from portal import demo_data as company_demo
from portal.models import StaffImport, User
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import listen, restore_role_groups, sign_in
from tests.integration.conftest import redis_broker, use_broker
from tests.integration.test_staff_import_worker import directory, workers

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
__all__ = ["redis_broker", "use_broker", "workers"]

ROWS = 5000


def test_hr_watches_the_import_finish_and_downloads_the_refused_rows(
    page: Page, browser_log: BrowserLog, site_url: str, workers, tmp_path
) -> None:
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    workers("browser")
    listen(page, browser_log)
    sign_in(page, "hr@example.com")

    page.goto("/staff/import/")
    page.get_by_label("Staff directory (CSV)").set_input_files(
        {"name": "directory.csv", "mimeType": "text/csv", "buffer": directory(ROWS)}
    )
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="Staff import: directory.csv")).to_be_visible()
    job_url = page.url
    # The worker imports while the page fetches its progress; no reload by the test.
    expect(page.get_by_test_id("import-percent")).to_have_text("100%", timeout=180_000)
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    expect(page.get_by_test_id("import-status")).to_have_text("Finished")
    assert page.url == job_url
    expect(page.get_by_test_id("import-result")).to_contain_text(
        f"Imported {ROWS - 1} people: {ROWS - 1} new, 0 updated, 0 unchanged."
    )
    expect(page.get_by_test_id("import-counts")).to_contain_text("Rejected rows: 1")
    with page.expect_download() as download:
        page.get_by_test_id("refused-report").click()
    saved = tmp_path / "refused.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [row[:3] for row in rows[1:]] == [
        ["5", "email 'not an address' is not a valid address", "W000003"]
    ]
    assert StaffImport.objects.get().status == StaffImport.Status.DONE
    assert User.objects.filter(email__startswith="w", employee_number__startswith="W").count() == (
        ROWS - 1
    )
    assert browser_log.messages_mentioning("Content Security Policy") == []
    assert browser_log.page_errors == []
