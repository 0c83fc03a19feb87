"""A receipt downloaded in a real browser carries a Polish name exactly as it was typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from acknowledgements.models import Acknowledgement
from portal.demo_data import DEMO_PASSWORD
from portal.models import User
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import expect_home, sign_in
from tests.e2e.test_signing import (
    EMPLOYEE,
    PDF_NAME,
    RECEIPT_URL,
    SIGN_URL,
    assert_clean_run,
    demo,
    fill_signature,
)
from tests.pdfs import extracted_text

__all__ = ["demo"]  # a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLISH_NAME = "Łukasz Wójcik"


def test_a_receipt_downloads_with_a_polish_name_as_typed(
    page: Page, browser_log: BrowserLog, demo: str, tmp_path: Path
) -> None:
    User.objects.filter(email=EMPLOYEE).update(first_name="Łukasz", last_name="Wójcik")
    sign_in(page, EMPLOYEE)
    expect_home(page, demo)
    page.goto(SIGN_URL)
    fill_signature(page, name=POLISH_NAME, password=DEMO_PASSWORD)
    expect(page).to_have_url(RECEIPT_URL)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert PDF_NAME.match(download.suggested_filename), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    ack = Acknowledgement.objects.get(user__email=EMPLOYEE)
    assert ack.printed_name == POLISH_NAME
    text = extracted_text(saved.read_bytes())
    assert f"{POLISH_NAME} signed the {ack.version.policy.title}" in " ".join(text.split())
    assert ack.receipt_code in text
    assert "Lukasz" not in text
    assert_clean_run(browser_log)
