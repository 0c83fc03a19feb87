"""The scheduled duty of deputies' dates (``portal.departments``): on the first day a deputy
decides, and on the first day after, whoever holds the authority now is told of the costs
already waiting for it. Deciding follows the rule at once, whether or not this has run; the job
only tells, but for a cost whose requester now holds its authority (by the dates, or a deputy's
account closed): that goes on as a budget holder's own cost (``workflow.own_cost_by_dates``).
A run after a missed day still tells what is owed (dates within the last week), and a second
run tells nothing again:
``request-budget:<request>:authority:<person>:<date>``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from portal import departments, outbox
from portal.models import Department, Notification
from portal.scheduling import JobResult
from requests import permissions, workflow
from requests.models import AuthorisationRequest

CATCH_UP = timedelta(days=7)


def _boundary(department: Department, today: date) -> date:
    """The day the authority last changed hands by the deputy's dates."""
    if department.deputy_from is None or department.deputy_to is None:
        raise ValueError(f"{department} has no deputy's dates")
    if department.deputy_from <= today <= department.deputy_to:
        return department.deputy_from
    return department.deputy_to + timedelta(days=1)


def _own_costs(today: date) -> int:
    """Costs whose requester now holds their department's authority, whatever made them so (a
    deputy's dates, a deputy's account closed): each goes on as a budget holder's own cost."""
    waiting = AuthorisationRequest.objects.filter(
        departments.authorised_by(F("requester"), today, prefix="department__"),
        state=AuthorisationRequest.State.AWAITING_BUDGET_HOLDER,
        second_authority=False,
    )
    return sum(workflow.own_cost_by_dates(pk) for pk in waiting.values_list("pk", flat=True))


def deputy_dates_job(now: datetime) -> JobResult:
    today = timezone.localdate(now)
    own = _own_costs(today)
    since = today - CATCH_UP
    changed = Department.objects.filter(
        Q(deputy_from__range=(since, today))
        | Q(deputy_to__range=(since - timedelta(days=1), today - timedelta(days=1)))
    ).select_related("budget_holder", "deputy")
    found = notices = 0
    for department in changed:
        when = _boundary(department, today)
        waiting = AuthorisationRequest.objects.filter(
            department=department,
            state=AuthorisationRequest.State.AWAITING_BUDGET_HOLDER,
            second_authority=False,
        ).select_related("requester", "department")
        for request in waiting:
            who = departments.authoriser(department, today)
            if who is None or not permissions.is_authoriser_for(who, request):
                continue
            found += 1
            key = f"request-budget:{request.pk}:authority:{who.pk}:{when.isoformat()}"
            if Notification.objects.filter(dedupe_key=key).exists():
                continue
            outbox.notify(
                recipient=who,
                kind="request-budget",
                dedupe_key=key,
                context={"request": request, "changes": []},
                link=reverse("requests:detail", args=[request.pk]),
            )
            notices += 1
    return JobResult(found=found + own, notices=notices)
