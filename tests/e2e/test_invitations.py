"""HR invites everyone who cannot sign in yet, through a real browser, and watches the counts move
as the worker claims the invitations and the outbox sends them: the page's script updates them in
place, without reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal import invitations, permissions, tasks
from portal.models import Notification, User
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import restore_role_groups, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_invites_and_the_counts_update_in_place(
    page: Page, site_url: str, browser_log: BrowserLog
) -> None:
    restore_role_groups()
    hr = UserFactory(email="hr@example.com", groups=[permissions.HR_GROUP])
    for n in range(3):
        UserFactory(email=f"carer{n}@example.com", last_login=None)
    sign_in(page, hr.email, PASSWORD)
    page.goto("/staff/invitations/")

    page.get_by_role("button", name="Invite 3 people").click()
    expect(page.get_by_text("Inviting 3 people")).to_be_visible()
    expect(page.get_by_test_id("preparing")).to_be_visible()
    page.evaluate("window.sameDocument = true")

    tasks.invite_staff(User.objects.get(email=hr.email).pk)  # as the worker runs it
    counts = page.get_by_test_id("invitation-progress")
    expect(counts.locator('[data-count="waiting"]')).to_have_text("3")

    Notification.objects.filter(kind=invitations.KIND).update(status=Notification.Status.SENT)
    expect(counts.locator('[data-count="sent"]')).to_have_text("3")
    expect(counts.locator('[data-count="waiting"]')).to_have_text("0")
    assert page.evaluate("window.sameDocument === true"), "updated by the script, not a reload"
    assert browser_log.page_errors == []
    assert browser_log.messages_mentioning("Content Security Policy") == []
