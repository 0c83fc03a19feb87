"""In a real browser: HR reminds the overdue people of one department, each exactly once that
day; an unchanged draft cannot be published as a material change; a deliberate re-confirmation
shows its count, asks for a confirmation, and tells the people asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from acknowledgements import publishing, reminders, staff_status, tasks
from acknowledgements.models import Assignment, PolicyVersion
from portal import permissions
from portal.models import Notification
from tests.e2e.conftest import BrowserLog
from tests.e2e.helpers import restore_role_groups, sign_in
from tests.factories import PASSWORD, DepartmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "The annual review found no changes; everyone confirms the policy each year."


def reminders_to(person) -> int:
    return Notification.objects.filter(recipient=person, kind=staff_status.REMINDER_KIND).count()


def test_hr_reminds_the_overdue_people_of_one_department_once_a_day(
    page: Page, browser_log: BrowserLog
) -> None:
    restore_role_groups()
    version = publishing.load_seed_policy()
    hr = UserFactory(email="hr@example.com", groups=[permissions.HR_GROUP])
    home_care = DepartmentFactory(name="Home Care")
    ann = UserFactory(first_name="Ann", last_name="Ash", department=home_care)
    bob = UserFactory(first_name="Bob", last_name="Birch", department=home_care)
    cat = UserFactory(first_name="Cat", last_name="Cole", department=home_care)  # not overdue
    owen = UserFactory(first_name="Owen", last_name="Oakes")  # overdue, another department
    publishing.assign_outstanding(policy=version.policy)
    Assignment.objects.filter(user__in=[ann, bob, owen]).update(
        due_date=timezone.localdate() - timedelta(days=5)
    )

    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/compliance/{version.policy.slug}/staff/")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Department").select_option(label="Home Care")
    page.get_by_role("button", name="Filter").click()
    matching = page.get_by_test_id("matching")
    expect(matching.locator('[data-count="people"]')).to_have_text("3")
    expect(matching.locator('[data-count="overdue"]')).to_have_text("2")

    page.get_by_role("link", name="Remind the 2 overdue").click()
    counts = page.get_by_test_id("chase-counts")
    expect(counts.locator('[data-count="overdue"]')).to_have_text("2")
    expect(counts.locator('[data-count="reminded-today"]')).to_have_text("0")
    assert reminders_to(ann) == 0  # nothing goes before the confirmation
    page.get_by_role("button", name="Send 2 reminders").click()
    expect(page.get_by_text("Reminding 2 people: the reminders are queued")).to_be_visible()
    expect(page.get_by_test_id("matching").locator('[data-count="people"]')).to_have_text("3")

    # What the worker runs for the confirmation.
    tasks.remind_overdue(hr.pk, version.policy.pk, {"department": home_care.pk})
    assert (reminders_to(ann), reminders_to(bob)) == (1, 1)
    assert (reminders_to(cat), reminders_to(owen)) == (0, 0)

    # A second try the same day sends none.
    page.get_by_role("link", name="Remind the 2 overdue").click()
    expect(counts.locator('[data-count="reminded-today"]')).to_have_text("2")
    expect(page.get_by_test_id("chase-nothing")).to_be_visible()
    expect(page.get_by_role("button", name="Send 0 reminders")).to_have_count(0)
    tasks.remind_overdue(hr.pk, version.policy.pk, {"department": home_care.pk})
    assert (reminders_to(ann), reminders_to(bob)) == (1, 1)
    assert browser_log.page_errors == []


def test_an_unchanged_draft_cannot_become_a_material_change(
    page: Page, browser_log: BrowserLog
) -> None:
    restore_role_groups()
    version = publishing.load_seed_policy()
    reviewer = UserFactory(email="reviewer@example.com", groups=[permissions.REVIEWERS_GROUP])

    sign_in(page, reviewer.email, PASSWORD)
    page.goto(f"/manage/{version.policy.slug}/")
    page.get_by_role("button", name="Start a draft").click()
    page.goto(f"/manage/{version.policy.slug}/")
    page.get_by_role("link", name="Publish…").click()
    expect(page.get_by_test_id("unchanged")).to_be_visible()
    page.get_by_label("Material change: everyone signs again within 21 days").check()
    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_text("identical to the current version", exact=False).first).to_be_visible()
    assert PolicyVersion.objects.get(policy=version.policy, number=2).is_draft
    assert publishing.current_version(version.policy) == version
    assert browser_log.page_errors == []


def test_a_reconfirmation_asks_with_its_count_and_tells_the_people_asked(
    page: Page, browser_log: BrowserLog
) -> None:
    restore_role_groups()
    version = publishing.load_seed_policy()
    reviewer = UserFactory(email="reviewer@example.com", groups=[permissions.REVIEWERS_GROUP])
    carer = UserFactory(email="carer@example.com", first_name="Cara", last_name="Reid")
    people = publishing.reconfirmation_count()

    sign_in(page, reviewer.email, PASSWORD)
    page.goto(f"/manage/{version.policy.slug}/")
    page.get_by_role("link", name="Ask everyone to confirm the same text again").click()
    expect(page.get_by_test_id("reconfirm-count")).to_have_text(f"{people} people")
    page.get_by_label("Why is everyone asked again?").fill(REASON)
    ask = page.get_by_role("button", name=f"Ask {people} people to confirm again")
    ask.click()
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()  # the confirmation
    assert publishing.current_version(version.policy) == version
    page.get_by_label("I understand that everyone listed above").check()
    ask.click()
    expect(page.get_by_text(f"The text is unchanged; {people} people were asked")).to_be_visible()
    again = publishing.current_version(version.policy)
    assert again.reconfirmation and again.body_sha256 == version.body_sha256

    page.context.clear_cookies()
    sign_in(page, carer.email, PASSWORD)
    expect(page.get_by_text(f"Confirm the {version.policy.title}")).to_be_visible()
    page.goto(f"/policies/{version.policy.slug}/sign/")
    told = page.get_by_test_id("reconfirmation")
    expect(told).to_contain_text("The text has not changed.")
    expect(told).to_contain_text(REASON)

    reminders.unsigned_job(timezone.now())  # the notice on assignment
    notice = Notification.objects.get(recipient=carer, kind=reminders.SIGNER_KIND)
    assert "The text of the policy has not changed" in notice.body_text
    assert REASON in notice.body_text
    assert browser_log.page_errors == []
