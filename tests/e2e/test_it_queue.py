"""IT searches the request queue and downloads what it found as CSV, through a real browser."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal import demo_data as company_demo
from portal.models import User
from requests import demo_requests
from requests.models import AuthorisationRequest
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import restore_role_groups, sign_in
from tests.factories import UserFactory
from tests.requests.factories import AuthorisationRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

State = AuthorisationRequest.State


@pytest.fixture
def demo(site_url: str) -> str:
    restore_role_groups()
    company_demo.seed_demo()
    demo_requests.seed_demo()
    return site_url


def test_it_searches_the_queue_and_exports_it(
    page: Page, browser_log: BrowserLog, demo: str
) -> None:
    employee = User.objects.get(email="employee@example.com")
    # A requester whose name a spreadsheet would run as a formula.
    hostile = UserFactory(
        email="formula@example.com", first_name="=HYPERLINK(1)", last_name="Monitor"
    )
    by_name = AuthorisationRequestFactory(requester=hostile, item="Keyboard", state=State.APPROVED)
    wanted = {
        AuthorisationRequestFactory(requester=employee, item="Monitor arm").reference,
        by_name.reference,  # found by the requester's last name
        AuthorisationRequest.objects.get(item="Second monitor").reference,
    }
    AuthorisationRequestFactory(requester=employee, item="Headset")

    sign_in(page, "it@example.com")
    page.goto(f"{demo}/it/queue/")
    page.get_by_label("State").select_option(label="Every request")
    page.get_by_label("Search").fill("monitor")
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(len(wanted))
    expect(page.get_by_test_id("search-summary")).to_have_text("Requests matching “monitor”.")
    for reference in wanted:
        expect(page.get_by_test_id("queue").get_by_role("link", name=reference)).to_be_visible()
    expect(page.get_by_test_id("queue")).not_to_contain_text("Headset")

    with page.expect_download() as download_info:
        page.get_by_test_id("queue-export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("it-requests-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    found = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {row["Reference"] for row in found} == wanted
    by_email = {row["Requester email"]: row for row in found}
    assert by_email["formula@example.com"]["Requester first name"] == "'=HYPERLINK(1)"
    assert browser_log.messages_mentioning("Content Security Policy") == []
