"""The annual review of each policy (policy section 3): the Policy reviewers' pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods

from acknowledgements import permissions, publishing, reviews
from acknowledgements.forms.reviews import OutcomeForm
from acknowledgements.models import PolicyReview
from portal.permissions import role_required

NOT_A_REVIEWER = "Only Policy reviewers take part in the annual review of a policy."


reviewers_only = role_required(permissions.can_view_reviews, NOT_A_REVIEWER)


@require_GET
@reviewers_only
def review_list(request: HttpRequest) -> HttpResponse:
    all_reviews = reviews.with_progress(PolicyReview.objects.order_by("-review_date", "-pk"))
    return render(
        request,
        "acknowledgements/reviews/list.html",
        {
            "current": [r for r in all_reviews if r.is_open],
            "past": [r for r in all_reviews if not r.is_open],
            "upcoming": reviews.upcoming(),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@reviewers_only
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(PolicyReview.objects.select_related("policy", "version"), pk=pk)
    mine = reviews.outcome_for(review, request.user)
    may_record = permissions.can_record_outcome(request.user, review, mine)
    form = OutcomeForm(request.POST or None) if may_record else None
    if request.method == "POST":
        if not may_record:
            messages.warning(request, _why_not(review, mine))
            return redirect("acknowledgements:review", pk=review.pk)
        if form.is_valid() and _record(request, form, review):
            review.refresh_from_db()
            messages.success(request, _recorded_message(review))
            return redirect("acknowledgements:review", pk=review.pk)
    return render(
        request,
        "acknowledgements/reviews/detail.html",
        {
            "review": review,
            "outcomes": reviews.outcomes_of(review),
            "mine": mine,
            "form": form,
            "draft": review.policy.versions.filter(status="draft").first(),
            "current": publishing.current_version(review.policy),
            "today": timezone.localdate(),
        },
    )


def _record(request: HttpRequest, form: OutcomeForm, review: PolicyReview) -> bool:
    """Record the reviewer's outcome through the service; False when the form says why not."""
    try:
        # The form's fields are the outcome's: the outcome and the notes.
        reviews.record_outcome(
            reviewer=request.user, review=review, request=request, **form.cleaned_data
        )
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return False
    except reviews.ReviewError as exc:
        form.add_error(None, str(exc))
        return False
    return True


def _why_not(review: PolicyReview, mine: object) -> str:
    if not review.is_open:
        return "This review is already complete; its outcome can no longer change."
    if mine is None:
        return "You are not one of this review's reviewers."
    return "You have already recorded your outcome for this review."


def _recorded_message(review: PolicyReview) -> str:
    if review.is_open:
        return (
            "Your outcome is recorded. The review completes when every reviewer has recorded "
            "theirs."
        )
    if review.result == PolicyReview.Result.NO_CHANGE:
        return (
            "Your outcome is recorded and the review is complete: no change is needed. The next "
            f"review is due on {date_format(review.next_review_date, 'j F Y')}."
        )
    return (
        "Your outcome is recorded and the review is complete: changes are needed. Start a draft "
        "of the new version below."
    )
