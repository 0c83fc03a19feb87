"""The annual review of each policy (policy section 3).

"This policy will be reviewed annually by the IT Department, with the Company Secretary and the
HR Director." A ``PolicyReview`` is opened for the current version 60 days before its next review
date, with a blank ``ReviewOutcome`` for each reviewer: the policy's own reviewers, or else
everyone in the Policy reviewers group. Each records *no change* or *changes needed* (with
notes); when the last one has, the review completes:

- no change: the version's next review date moves a year on from the review date (or from today,
  when the review was late);
- changes needed: the reviewers draft a new version; publishing it sets the next review date.

Reviewers are reminded 60, 30 and 7 days before the review date, then weekly while it is overdue
(``daily_job``). Each reminder is claimed as ``review:<review>:<reviewer>:<occasion>``; a day
the job missed is made up with the latest reminder owed, never a backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import Policy, PolicyReview, PolicyVersion, ReviewOutcome
from portal import audit, outbox
from portal import permissions as roles
from portal.models import User
from portal.scheduling import JobResult

OPENS_BEFORE = timedelta(days=60)
REMINDER_DAYS_BEFORE = (60, 30, 7)
OVERDUE_EVERY = 7  # days
MAX_NOTES_LENGTH = 4000
REMINDER_KIND = "policy-review-reminder"


class ReviewError(Exception):
    """The outcome was refused; the message says why."""


# --- Reads ------------------------------------------------------------------------------------
def reviewers_for(policy: Policy) -> QuerySet[User]:
    """The policy's own reviewers, or else the Policy reviewers group: active people only."""
    named = policy.reviewers.filter(is_active=True)
    if named.exists():
        return named
    return roles.policy_reviewers().distinct()


def with_progress(reviews: QuerySet[PolicyReview]) -> QuerySet[PolicyReview]:
    """``reviews`` with ``recorded`` and ``expected`` outcome counts, in the same query."""
    return reviews.select_related("policy", "version").annotate(
        recorded=Count("outcomes", filter=~Q(outcomes__outcome="")),
        expected=Count("outcomes"),
    )


def outcomes_of(review: PolicyReview) -> list[ReviewOutcome]:
    return list(review.outcomes.select_related("reviewer").order_by("reviewer__last_name", "pk"))


def awaiting(user: User) -> QuerySet[ReviewOutcome]:
    """The open reviews waiting for ``user``'s outcome."""
    return ReviewOutcome.objects.filter(
        reviewer=user, outcome="", review__status=PolicyReview.Status.OPEN
    ).select_related("review__policy")


def outcome_for(review: PolicyReview, user: User) -> ReviewOutcome | None:
    return review.outcomes.filter(reviewer=user).first()


@dataclass(frozen=True)
class Upcoming:
    """A policy whose review is not open yet: when it is due and when it opens."""

    policy: Policy
    version: PolicyVersion
    review_date: date

    @property
    def opens_on(self) -> date:
        return self.review_date - OPENS_BEFORE


def upcoming() -> list[Upcoming]:
    """Current versions with a review date and no review opened for it yet."""
    found = []
    versions = PolicyVersion.objects.filter(
        status=PolicyVersion.Status.PUBLISHED, next_review_date__isnull=False
    ).select_related("policy")
    opened = set(PolicyReview.objects.values_list("policy_id", "review_date"))
    for version in versions.order_by("next_review_date"):
        if (version.policy_id, version.next_review_date) not in opened:
            found.append(Upcoming(version.policy, version, version.next_review_date))
    return found


# --- Opening ----------------------------------------------------------------------------------
def open_due_reviews(today: date | None = None) -> list[PolicyReview]:
    """Open a review for every current version whose review date is 60 days away or past.

    Idempotent: a review is unique per policy and review date.
    """
    today = today or timezone.localdate()
    opened_already = PolicyReview.objects.filter(
        policy=OuterRef("policy_id"), review_date=OuterRef("next_review_date")
    )
    due = (
        PolicyVersion.objects.filter(
            status=PolicyVersion.Status.PUBLISHED,
            next_review_date__isnull=False,
            next_review_date__lte=today + OPENS_BEFORE,
        )
        .exclude(Exists(opened_already))
        .select_related("policy")
    )
    opened = [_open_review(version) for version in due]  # one per policy: a handful
    return [review for review in opened if review is not None]


def _open_review(version: PolicyVersion) -> PolicyReview | None:
    """Open the review of ``version`` with a blank outcome per reviewer; None if already open."""
    with transaction.atomic():
        review, created = PolicyReview.objects.get_or_create(
            policy=version.policy,
            review_date=version.next_review_date,
            defaults={"version": version},
        )
        if not created:
            return None
        reviewers = list(reviewers_for(version.policy))
        ReviewOutcome.objects.bulk_create(
            [ReviewOutcome(review=review, reviewer=person) for person in reviewers]
        )
        audit.record(
            actor=None,
            action="policy.review_opened",
            obj=review,
            data={"review_date": review.review_date, "reviewers": len(reviewers)},
        )
    return review


# --- Recording outcomes -----------------------------------------------------------------------
def next_review_after(review: PolicyReview, today: date) -> date:
    """A year (the policy's interval) on from the review date, or from today if it was late."""
    return publishing.add_months(
        max(review.review_date, today), review.policy.review_interval_months
    )


def _clean_notes(outcome: str, notes: str) -> str:
    notes = notes.strip()
    if outcome not in PolicyReview.Result.values:
        raise ValidationError("Choose no change or changes needed.")
    if outcome == PolicyReview.Result.CHANGES_NEEDED and not notes:
        raise ValidationError("Say what needs to change, so that the new version can be drafted.")
    if len(notes) > MAX_NOTES_LENGTH:
        raise ValidationError(f"Keep the notes under {MAX_NOTES_LENGTH} characters.")
    return notes


def _lock_blank_outcome(review: PolicyReview, reviewer: User) -> ReviewOutcome:
    """``reviewer``'s outcome of the (locked) open ``review``, locked, while it is still blank."""
    if not review.is_open:
        raise ReviewError("This review is already complete; its outcome can no longer change.")
    mine = review.outcomes.select_for_update().filter(reviewer=reviewer).first()
    if mine is None:
        raise ReviewError("You are not one of this review's reviewers.")
    if mine.is_recorded:
        raise ReviewError("You have already recorded your outcome for this review.")
    return mine


def record_outcome(
    *,
    reviewer: User,
    review: PolicyReview,
    outcome: str,
    notes: str,
    request: HttpRequest | None = None,
    today: date | None = None,
) -> PolicyReview:
    """``reviewer`` records their conclusion; the last one to do so completes the review."""
    today = today or timezone.localdate()
    notes = _clean_notes(outcome, notes)
    with transaction.atomic():
        review = PolicyReview.objects.select_for_update().select_related("policy").get(pk=review.pk)
        mine = _lock_blank_outcome(review, reviewer)
        mine.outcome = outcome
        mine.notes = notes
        mine.recorded_at = timezone.now()
        mine.save(update_fields=["outcome", "notes", "recorded_at"])
        audit.record(
            actor=reviewer,
            action="policy.review_outcome",
            obj=review,
            data={"outcome": outcome},
            request=request,
        )
        # Someone who has left cannot hold a review up.
        waiting = review.outcomes.filter(outcome="", reviewer__is_active=True).exists()
        if not waiting:
            _complete(review, today=today, actor=reviewer, request=request)
    return review


def _complete(
    review: PolicyReview, *, today: date, actor: User, request: HttpRequest | None
) -> None:
    changes = review.outcomes.filter(outcome=PolicyReview.Result.CHANGES_NEEDED).exists()
    review.status = PolicyReview.Status.COMPLETED
    review.completed_at = timezone.now()
    if changes:
        review.result = PolicyReview.Result.CHANGES_NEEDED
    else:
        review.result = PolicyReview.Result.NO_CHANGE
        review.next_review_date = next_review_after(review, today)
        version = PolicyVersion.objects.select_for_update().get(pk=review.version_id)
        if version.status == PolicyVersion.Status.PUBLISHED:
            version.next_review_date = review.next_review_date
            version.save(update_fields=["next_review_date"])
    review.save(update_fields=["status", "completed_at", "result", "next_review_date"])
    audit.record(
        actor=actor,
        action="policy.review_completed",
        obj=review,
        data={
            "result": review.result,
            "next_review_date": review.next_review_date,
        },
        request=request,
    )


# --- Reminders (scheduled) --------------------------------------------------------------------
def reminder_owed(review_date: date, today: date) -> str | None:
    """The latest reminder owed by ``today``: 'before-60', 'before-30', 'before-7', or
    'overdue-<days>' weekly after the review date; None before the first."""
    if today > review_date:
        weeks = (today - review_date).days // OVERDUE_EVERY
        if weeks >= 1:
            return f"overdue-{weeks * OVERDUE_EVERY}"
        return "before-7"  # the days just after the date: the last reminder still stands
    for days in sorted(REMINDER_DAYS_BEFORE):
        if today >= review_date - timedelta(days=days):
            return f"before-{days}"
    return None


def _waiting_outcomes() -> QuerySet[ReviewOutcome, dict[str, Any]]:
    """Blank outcomes of active reviewers on open reviews, with what a reminder needs."""
    return (
        ReviewOutcome.objects.filter(
            outcome="", review__status=PolicyReview.Status.OPEN, reviewer__is_active=True
        )
        .values(
            "review_id",
            "review__review_date",
            "review__policy__title",
            "reviewer_id",
            "reviewer__first_name",
            "reviewer__email",
        )
        .order_by("review_id", "reviewer_id")
    )


def _reminder(row: dict[str, Any], occasion: str, today: date) -> outbox.Notice:
    review_date = row["review__review_date"]
    return outbox.Notice(
        recipient=outbox.Recipient(
            row["reviewer_id"], row["reviewer__first_name"], row["reviewer__email"]
        ),
        kind=REMINDER_KIND,
        dedupe_key=f"review:{row['review_id']}:{row['reviewer_id']}:{occasion}",
        context={
            "policy_title": row["review__policy__title"],
            "review_date": review_date,
            "days_left": (review_date - today).days,
            "days_overdue": (today - review_date).days,
        },
        link=reverse("acknowledgements:review", args=[row["review_id"]]),
    )


def daily_job(now: datetime) -> JobResult:
    """Open the reviews now due, then claim each waiting reviewer's reminder."""
    today = timezone.localdate(now)
    opened = open_due_reviews(today)
    notices = []
    for row in _waiting_outcomes():
        occasion = reminder_owed(row["review__review_date"], today)
        if occasion is not None:
            notices.append(_reminder(row, occasion, today))
    summary = f"{len(opened)} review(s) opened." if opened else ""
    return JobResult(found=len(notices), notices=outbox.notify_many(notices), summary=summary)
