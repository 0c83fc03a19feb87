"""The demo's policy: version 1 loaded, everyone asked to sign it, a few of them overdue, and its
annual review (due March 2018) open and long overdue."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from acknowledgements import publishing, reviews
from acknowledgements.models import Assignment


@transaction.atomic
def seed_demo() -> dict[str, int]:
    version = publishing.load_seed_policy()
    assigned = publishing.assign_outstanding(policy=version.policy)
    # A few colleagues are overdue, so the demo's status pages have something to show.
    overdue = Assignment.objects.filter(
        version=version, acknowledgement__isnull=True, user__email__endswith="1@example.com"
    ).update(due_date=timezone.localdate() - timedelta(days=3))
    # The review the daily job would open on its first morning: the demo shows it at once.
    opened = reviews.open_due_reviews()
    return {"assigned": assigned, "overdue": overdue, "reviews_opened": len(opened)}
