"""The annual review and the operations page, through a real browser.

A Policy reviewer finds the seed policy's review overdue since March 2018 and completes it; IT
opens the operations page, sees every scheduled job with its time and last run, and runs one now.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from acknowledgements import demo_data as policy_demo
from acknowledgements import publishing
from acknowledgements.models import PolicyReview, PolicyVersion
from portal import health, scheduling
from portal.demo_data import seed_demo
from portal.models import AuditEvent, JobRun, Notification
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import expect_home, nav_link, restore_role_groups, sign_in
from tests.factories import NotificationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REVIEWER = "reviewer@example.com"
IT = "it@example.com"


@pytest.fixture
def demo(site_url: str) -> str:
    restore_role_groups()
    seed_demo()
    policy_demo.seed_demo()
    return site_url


def test_a_reviewer_completes_the_overdue_annual_review(
    page: Page, demo: str, browser_log: BrowserLog
) -> None:
    sign_in(page, REVIEWER)
    expect_home(page, demo)
    # The home page asks for the review.
    expect(page.get_by_text(f"Review the {publishing.SEED_TITLE}")).to_be_visible()

    nav_link(page, "Policy reviews").click()
    current = page.get_by_test_id("current-reviews")
    expect(current).to_contain_text(publishing.SEED_TITLE)
    expect(current).to_contain_text("1 March 2018")
    expect(current.get_by_text("Overdue since March 2018")).to_be_visible()

    current.get_by_role("link", name=publishing.SEED_TITLE).click()
    expect(page.get_by_test_id("review-state")).to_contain_text("Overdue")
    expect(page.get_by_test_id("outcomes")).to_contain_text("Awaited")

    form = page.get_by_test_id("outcome-form")
    form.get_by_label("No change").check()
    form.get_by_label("Notes").fill("Still right for us; section 5.6 to be discussed next year.")
    form.get_by_role("button", name="Record my outcome").click()

    next_review = publishing.add_months(timezone.localdate(), 12)
    expect(page.get_by_role("status")).to_contain_text("the review is complete")
    state = page.get_by_test_id("review-state")
    expect(state).to_contain_text("Complete: No change")
    expect(state).to_contain_text(f"next review is due on {date_format(next_review, 'j F Y')}")
    expect(page.get_by_test_id("outcomes")).to_contain_text("Still right for us")
    expect(page.get_by_test_id("outcome-form")).to_have_count(0)

    review = PolicyReview.objects.get()
    assert review.status == PolicyReview.Status.COMPLETED
    assert PolicyVersion.objects.get(number=1).next_review_date == next_review

    page.get_by_role("link", name="Policy reviews").first.click()
    expect(page.get_by_test_id("past-reviews")).to_contain_text(publishing.SEED_TITLE)
    expect(page.get_by_test_id("current-reviews")).to_contain_text("No review is open.")
    assert browser_log.page_errors == []


def test_it_sees_every_job_on_the_operations_page_and_runs_one(
    page: Page, demo: str, browser_log: BrowserLog
) -> None:
    scheduling.run_job("policy-reviews")  # one job has run; the others have not yet
    # One message a sweep is sending right now, one backing off after a failed attempt.
    NotificationFactory(
        subject="Being sent by a sweep",
        status=Notification.Status.SENDING,
        next_attempt_at=timezone.now() + timedelta(minutes=6),
    )
    NotificationFactory(
        subject="Backing off",
        attempts=1,
        last_error="ConnectionRefusedError",
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )
    sign_in(page, IT)
    expect_home(page, demo)
    nav_link(page, "Operations").click()

    # The Health list: every check, with beat (whose sweep has never run here) down, in words.
    checks = page.get_by_test_id("health")
    expect(checks.locator("li")).to_have_count(len(health.CHECKS))
    expect(checks.locator("li[data-check='database']")).to_contain_text("OK")
    expect(checks.locator("li[data-check='beat']")).to_contain_text("Down")

    jobs = page.get_by_test_id("jobs")
    for job in scheduling.JOBS.values():
        row = jobs.locator(f"tr[data-job='{job.name}']")
        expect(row).to_contain_text(job.title)
        expect(row).to_contain_text(scheduling.schedule_text(job.name))
    expect(jobs.locator("tr[data-job='policy-reviews']")).to_contain_text("Succeeded")
    expect(jobs.locator("tr[data-job='unsigned-policy']")).to_contain_text("Never")
    expect(jobs.locator("tr[data-job='unsigned-policy']")).to_contain_text("Every day at 07:00")

    waiting = page.get_by_test_id("pending")
    being_sent = waiting.locator("tr", has_text="Being sent by a sweep")
    expect(being_sent).to_contain_text("Being sent")
    expect(being_sent.get_by_role("button", name="Retry now")).to_have_count(0)
    backing_off = waiting.locator("tr", has_text="Backing off")
    expect(backing_off.get_by_role("button", name="Retry now")).to_be_visible()

    jobs.locator("tr[data-job='password-age']").get_by_role("button", name="Run now").click()
    expect(page.get_by_role("status")).to_contain_text("“Password age” is queued")
    event = AuditEvent.objects.get(action="job.run_requested")
    assert event.data == {"job": "password-age"}
    assert event.actor.email == IT
    assert JobRun.objects.filter(job="policy-reviews").count() == 1
    assert browser_log.page_errors == []
