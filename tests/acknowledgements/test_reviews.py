"""The annual review (policy section 3): opening, outcomes, completion, reminders and pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing, reviews
from acknowledgements.models import PolicyReview, PolicyVersion, ReviewOutcome
from portal import permissions
from portal.models import AuditEvent, Notification
from portal.scheduling import run_job
from portal.todo import todo_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)


@pytest.fixture
def reviewers(reviewer):
    """The Company Secretary (the ``reviewer`` fixture), the HR Director and the IT lead."""
    hr_director = UserFactory(email="hr.director@example.com", groups=[permissions.REVIEWERS_GROUP])
    it_lead = UserFactory(email="it.lead@example.com", groups=[permissions.REVIEWERS_GROUP])
    return [reviewer, hr_director, it_lead]


def edit_text(draft, actor) -> None:
    """A material change changes the text: the same text cannot be published as one."""
    body = draft.body + "\n\nA sentence added.\n"
    publishing.update_draft(actor=actor, version=draft, body=body, change_summary="Added.")


def review_due_on(seed: PolicyVersion, review_date: date) -> PolicyVersion:
    seed.next_review_date = review_date
    seed.save(update_fields=["next_review_date"])
    return seed


# --- Opening ----------------------------------------------------------------------------------
def test_the_seed_review_overdue_since_2018_opens_at_once(seed, reviewers) -> None:
    (review,) = reviews.open_due_reviews(TODAY)

    assert review.review_date == date(2018, 3, 1)
    assert review.version == seed
    assert review.is_overdue(TODAY)
    assert set(review.outcomes.values_list("reviewer__email", flat=True)) == {
        r.email for r in reviewers
    }
    assert AuditEvent.objects.filter(action="policy.review_opened").count() == 1
    assert reviews.open_due_reviews(TODAY) == []  # once per cycle
    assert PolicyReview.objects.count() == 1


def test_a_review_opens_60_days_before_its_date_and_not_sooner(seed, reviewers) -> None:
    review_due_on(seed, TODAY + timedelta(days=61))
    assert reviews.open_due_reviews(TODAY) == []
    (review,) = reviews.open_due_reviews(TODAY + timedelta(days=1))
    assert review.review_date == TODAY + timedelta(days=61)


def test_the_policys_own_reviewers_come_before_the_group(seed, reviewers) -> None:
    named = UserFactory(email="named@example.com")
    seed.policy.reviewers.add(named)
    (review,) = reviews.open_due_reviews(TODAY)
    assert list(review.outcomes.values_list("reviewer__email", flat=True)) == [named.email]


# --- Outcomes and completion ------------------------------------------------------------------
def record_all(review, reviewers, outcome="no_change", today=TODAY):
    for person in reviewers:
        reviews.record_outcome(
            reviewer=person, review=review, outcome=outcome, notes="Fine.", today=today
        )
    review.refresh_from_db()
    return review


def test_no_change_from_everyone_sets_the_next_review_a_year_on_from_today_when_late(
    seed, reviewers
) -> None:
    (review,) = reviews.open_due_reviews(TODAY)
    reviews.record_outcome(reviewer=reviewers[0], review=review, outcome="no_change", notes="")
    review.refresh_from_db()
    assert review.is_open

    review = record_all(review, reviewers[1:])

    assert review.status == PolicyReview.Status.COMPLETED
    assert review.result == PolicyReview.Result.NO_CHANGE
    assert review.next_review_date == date(2027, 12, 1)
    seed.refresh_from_db()
    assert seed.next_review_date == date(2027, 12, 1)
    assert AuditEvent.objects.filter(action="policy.review_outcome").count() == 3
    assert AuditEvent.objects.get(action="policy.review_completed").data == {
        "result": "no_change",
        "next_review_date": "2027-12-01",
    }


def test_a_review_completed_early_keeps_the_yearly_rhythm(seed, reviewers) -> None:
    review_due_on(seed, date(2027, 1, 15))
    (review,) = reviews.open_due_reviews(TODAY)
    review = record_all(review, reviewers)
    assert review.next_review_date == date(2028, 1, 15)


def test_changes_needed_leads_to_a_new_version_and_leaves_the_date(seed, reviewers) -> None:
    (review,) = reviews.open_due_reviews(TODAY)
    record_all(review, reviewers[:2])
    reviews.record_outcome(
        reviewer=reviewers[2], review=review, outcome="changes_needed", notes="Section 5.6."
    )
    review.refresh_from_db()
    assert review.result == PolicyReview.Result.CHANGES_NEEDED
    assert review.next_review_date is None
    seed.refresh_from_db()
    assert seed.next_review_date == date(2018, 3, 1)
    # Publishing the new version sets the next review a year on.
    draft = publishing.create_draft(actor=reviewers[0], policy=seed.policy)
    edit_text(draft, reviewers[0])
    published = publishing.publish(actor=reviewers[0], version=draft, material=True, today=TODAY)
    assert published.next_review_date == date(2027, 12, 1)


@pytest.mark.parametrize(
    ("outcome", "notes", "message"),
    [
        ("maybe", "", "Choose no change or changes needed."),
        ("changes_needed", "  ", "Say what needs to change"),
        ("no_change", "x" * 4001, "Keep the notes under 4000 characters."),
    ],
)
def test_a_bad_outcome_is_refused_and_saves_nothing(seed, reviewers, outcome, notes, message):
    (review,) = reviews.open_due_reviews(TODAY)
    with pytest.raises(ValidationError, match=message):
        reviews.record_outcome(reviewer=reviewers[0], review=review, outcome=outcome, notes=notes)
    assert not ReviewOutcome.objects.exclude(outcome="").exists()


def test_only_the_reviews_reviewers_record_and_only_once(seed, reviewers, it_user) -> None:
    (review,) = reviews.open_due_reviews(TODAY)
    with pytest.raises(reviews.ReviewError, match="not one of this review's reviewers"):
        reviews.record_outcome(reviewer=it_user, review=review, outcome="no_change", notes="")
    reviews.record_outcome(reviewer=reviewers[0], review=review, outcome="no_change", notes="")
    with pytest.raises(reviews.ReviewError, match="already recorded"):
        reviews.record_outcome(reviewer=reviewers[0], review=review, outcome="no_change", notes="")


def test_a_reviewer_who_has_left_does_not_hold_the_review_up(seed, reviewers) -> None:
    (review,) = reviews.open_due_reviews(TODAY)
    reviewers[2].is_active = False
    reviewers[2].save(update_fields=["is_active"])
    review = record_all(review, reviewers[:2])
    assert review.status == PolicyReview.Status.COMPLETED


# --- Reminders --------------------------------------------------------------------------------
D = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("today", "owed"),
    [
        (D - timedelta(days=61), None),
        (D - timedelta(days=60), "before-60"),
        (D - timedelta(days=31), "before-60"),
        (D - timedelta(days=30), "before-30"),
        (D - timedelta(days=7), "before-7"),
        (D, "before-7"),
        (D + timedelta(days=6), "before-7"),
        (D + timedelta(days=7), "overdue-7"),
        (D + timedelta(days=13), "overdue-7"),
        (D + timedelta(days=14), "overdue-14"),
    ],
)
def test_the_reminder_owed(today: date, owed) -> None:
    assert reviews.reminder_owed(D, today) == owed


def test_the_job_reminds_reviewers_who_have_not_recorded(seed, reviewers) -> None:
    run_job("policy-reviews")
    review = PolicyReview.objects.get()
    assert Notification.objects.filter(kind="policy-review-reminder").count() == 3
    reminder = Notification.objects.get(recipient=reviewers[0])
    assert reminder.subject == (
        "Overdue: the annual review of the Acceptable Use of ICT Policy and Procedure"
    )
    assert "was due on 1 March 2018" in reminder.body_text
    assert reminder.link == reverse("acknowledgements:review", args=[review.pk])

    reviews.record_outcome(reviewer=reviewers[0], review=review, outcome="no_change", notes="")
    assert run_job("policy-reviews").notices == 0  # the same day: nothing new
    # A week later the other two are reminded again; the one who recorded is not.
    before = set(Notification.objects.values_list("pk", flat=True))
    assert run_job("policy-reviews", now=timezone.now() + timedelta(days=7)).notices == 2
    assert set(
        Notification.objects.exclude(pk__in=before).values_list("recipient__email", flat=True)
    ) == {reviewers[1].email, reviewers[2].email}


@pytest.mark.parametrize("size", [2, 12])
def test_the_reminder_job_queries_do_not_grow_with_reviewers(seed, size: int) -> None:
    UserFactory.create_batch(size, groups=[permissions.REVIEWERS_GROUP])
    reviews.open_due_reviews(TODAY)
    now = timezone.make_aware(datetime(2026, 12, 1, 6, 0))
    with CaptureQueriesContext(connection) as queries:
        result = reviews.daily_job(now)
    assert result.notices == size
    # Versions due for a review; the waiting outcomes; taken keys; one batch (savepoint, insert,
    # release).
    assert len(queries) == 6


# --- Pages ------------------------------------------------------------------------------------
def test_the_reviews_page_shows_the_seed_review_plainly_overdue(client, seed, reviewers) -> None:
    reviews.open_due_reviews(TODAY)
    client.force_login(reviewers[0])
    page = client.get(reverse("acknowledgements:reviews")).content.decode()
    assert "Acceptable Use of ICT Policy and Procedure" in page
    assert "Overdue since March 2018" in page
    assert "0 of 3" in page


def test_a_reviewer_records_an_outcome_on_the_review_page(client, seed, reviewers) -> None:
    (review,) = reviews.open_due_reviews(TODAY)
    url = reverse("acknowledgements:review", args=[review.pk])
    client.force_login(reviewers[0])
    assert "Record your outcome" in client.get(url).content.decode()

    response = client.post(url, {"outcome": "changes_needed", "notes": ""})
    assert response.status_code == 200
    assert "Say what needs to change." in response.content.decode()

    response = client.post(url, {"outcome": "no_change", "notes": "Still right."}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    page = response.content.decode()
    assert "Your outcome is recorded." in page
    assert "Record your outcome" not in page
    assert ReviewOutcome.objects.get(reviewer=reviewers[0]).notes == "Still right."

    # A second post is refused with a message, and changes nothing.
    response = client.post(url, {"outcome": "changes_needed", "notes": "x"}, follow=True)
    assert "already recorded" in response.content.decode()
    assert ReviewOutcome.objects.get(reviewer=reviewers[0]).outcome == "no_change"


def test_the_last_outcome_offers_the_draft_when_changes_are_needed(client, seed, reviewers):
    (review,) = reviews.open_due_reviews(TODAY)
    record_all(review, reviewers[:2])
    client.force_login(reviewers[2])
    url = reverse("acknowledgements:review", args=[review.pk])
    page = client.post(url, {"outcome": "changes_needed", "notes": "5.6"}, follow=True)
    text = page.content.decode()
    assert "changes are needed" in text
    assert "Start a draft of the new version" in text


def test_a_reviewer_is_asked_on_the_home_page(client, seed, reviewers) -> None:
    reviews.open_due_reviews(TODAY)
    titles = [item.title for item in todo_for(reviewers[0])]
    assert "Review the Acceptable Use of ICT Policy and Procedure" in titles
    assert "Review the Acceptable Use of ICT Policy and Procedure" not in [
        item.title for item in todo_for(UserFactory())
    ]
