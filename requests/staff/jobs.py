"""Scheduled duties of starters', leavers' and temporary workers' notices (policy 4.6, 5.5).

- IT is told of each starter beginning within 3 days whose notice still has tasks open, once
  per notice: ``staff-starter-soon:<notice>:<member of IT>``.
- IT gets one digest a day while any checklist task is overdue:
  ``staff-overdue:<date>:<member of IT>``. A day missed is not made up: the next digest is
  about the tasks overdue then.
- A temporary worker's line manager is told 7 days before access ends, once per end date (an
  extension moves the date, so the new end is announced too):
  ``staff-temporary-ending:<notice>:<end date>``.
- Accounts of leavers and temporary workers end after their last day
  (``lifecycle.end_expired_access``).
- Movers take their new place in the directory on their effective date
  (``movers.apply_due_moves``).

Each job takes the moment it runs for; the windows are "on or before the occasion and not yet
claimed", so a run after a missed day still sends what is owed, and a second run sends nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from portal import outbox
from portal import permissions as roles
from portal.models import User
from portal.scheduling import JobResult
from requests.staff import lifecycle, movers, selectors

STARTER_NOTICE_DAYS = 3
TEMPORARY_NOTICE_DAYS = 7
STARTER_KIND = "staff-starter-soon"
OVERDUE_KIND = "staff-tasks-overdue"
TEMPORARY_KIND = "staff-temporary-ending"


def _it_people(today: date) -> list[User]:
    return list(
        roles.it_staff()
        .exclude(end_date__lt=today)
        .only("pk", "first_name", "email")
        .order_by("pk")
        .distinct()
    )


def starters_job(now: datetime) -> JobResult:
    today = timezone.localdate(now)
    starters = list(selectors.starters_beginning_in(STARTER_NOTICE_DAYS, today=today))
    it = _it_people(today)
    notices = [
        outbox.Notice(
            recipient=member,
            kind=STARTER_KIND,
            dedupe_key=f"{STARTER_KIND}:{notice.pk}:{member.pk}",
            context={
                "reference": notice.reference,
                "start_date": notice.start_date,
                "open_tasks": notice.open_tasks,
                "days_to_start": (notice.start_date - today).days,
            },
            link=reverse("requests:staff_change", args=[notice.pk]),
            personal={"person_name": notice.full_name},
        )
        for notice in starters
        for member in it
    ]
    return JobResult(found=len(starters), notices=outbox.notify_many(notices))


def overdue_job(now: datetime) -> JobResult:
    today = timezone.localdate(now)
    overdue = (
        selectors.overdue_tasks(today=today)
        .order_by()
        .aggregate(tasks=Count("pk"), notices=Count("notice", distinct=True))
    )
    if not overdue["tasks"]:
        return JobResult()
    notices = [
        outbox.Notice(
            recipient=member,
            kind=OVERDUE_KIND,
            dedupe_key=f"{OVERDUE_KIND}:{today.isoformat()}:{member.pk}",
            context={"tasks": overdue["tasks"], "notices": overdue["notices"], "today": today},
            link=reverse("requests:staff_board"),
        )
        for member in _it_people(today)
    ]
    return JobResult(found=overdue["tasks"], notices=outbox.notify_many(notices))


def temporary_job(now: datetime) -> JobResult:
    today = timezone.localdate(now)
    ending = [
        notice
        for notice in selectors.temporary_access_ending_in(TEMPORARY_NOTICE_DAYS, today=today)
        if notice.line_manager is not None and notice.line_manager.is_active
    ]
    notices = [
        outbox.Notice(
            recipient=notice.line_manager,
            kind=TEMPORARY_KIND,
            dedupe_key=f"{TEMPORARY_KIND}:{notice.pk}:{notice.end_date.isoformat()}",
            context={"reference": notice.reference, "end_date": notice.end_date},
            link=reverse("requests:staff_change", args=[notice.pk]),
            personal={"person_name": notice.full_name},
        )
        for notice in ending
    ]
    return JobResult(found=len(ending), notices=outbox.notify_many(notices))


def end_access_job(now: datetime) -> JobResult:
    ended = lifecycle.end_expired_access(now=now)
    return JobResult(found=ended, summary=f"{ended} account(s) ended")


def movers_job(now: datetime) -> JobResult:
    made, held = movers.apply_due_moves(now)
    summary = f"{made} move(s) made in the directory"
    if held:
        summary += f"; {held} held (see their notices)"
    return JobResult(found=made + held, summary=summary)
