"""Reads about starters, leavers and temporary workers.

Who sees which notices, IT's board, what a leaver holds, where a starter is with the policy;
and the set-based selections the scheduled reminders build on (starters beginning soon with
work left, overdue tasks, temporary workers whose access ends soon). Every "today" is a date in
Europe/London, passed in or ``timezone.localdate()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from acknowledgements import grants
from acknowledgements import selectors as policy_selectors
from acknowledgements.models import Acknowledgement
from portal.models import AuditEvent, User
from requests import permissions
from requests.models import AuthorisationRequest
from requests.models import Kind as RequestKind
from requests.staff.models import StaffChange, StaffChangeTask

State = StaffChange.State
OPEN = State.OPEN
EVERYTHING = "all"


def _today(today: date | None) -> date:
    return today or timezone.localdate()


# --- Who sees what ----------------------------------------------------------------------------
def visible_notices(user: User) -> QuerySet[StaffChange]:
    """IT and HR see every notice; a manager those for their own reports; anyone else none."""
    notices = StaffChange.objects.all()
    if permissions.sees_every_notice(user):
        return notices
    if not user.is_active:
        return notices.none()
    return notices.filter(
        Q(line_manager=user) | Q(kind=StaffChange.Kind.MOVER, old_line_manager=user)
    )


def notice_for(user: User, pk: int) -> StaffChange:
    """The notice, or a 404 for anyone who may not know it exists."""
    return permissions.visible_or_404(
        user,
        StaffChange.objects.select_related(
            "person",
            "department",
            "line_manager",
            "submitted_by",
            "old_department",
            "old_line_manager",
        ),
        pk=pk,
    )


def task_for(notice: StaffChange, pk: int) -> StaffChangeTask:
    found = StaffChangeTask.objects.filter(notice=notice, pk=pk).first()
    if found is None:
        raise Http404("No such task.")
    return found


def listed(user: User, *, kind: str = "", state: str = OPEN) -> QuerySet[StaffChange]:
    """HR's and managers' list: newest first."""
    notices = visible_notices(user)
    if kind:
        notices = notices.filter(kind=kind)
    if state != EVERYTHING:
        notices = notices.filter(state=state)
    return notices.select_related("department", "line_manager", "person").order_by(
        "-submitted_at", "-pk"
    )


# --- IT's board -------------------------------------------------------------------------------
def board(*, kind: str = "", state: str = OPEN, today: date | None = None) -> QuerySet:
    """Notices with their tasks, the soonest open due date first; overdue tasks counted.

    Three queries for a page of any size: the rows, their count, and their tasks.
    """
    today = _today(today)
    notices = StaffChange.objects.all()
    if kind:
        notices = notices.filter(kind=kind)
    if state != EVERYTHING:
        notices = notices.filter(state=state)
    open_task = Q(tasks__completed_at__isnull=True)
    notices = notices.annotate(
        next_due=Min("tasks__due_date", filter=open_task),
        overdue=Count("tasks", filter=open_task & Q(tasks__due_date__lt=today)),
        done=Count("tasks", filter=Q(tasks__completed_at__isnull=False)),
        task_count=Count("tasks"),
    )
    ordering = ["next_due", "pk"] if state == OPEN else ["-submitted_at", "-pk"]
    return (
        notices.select_related("department", "line_manager", "person")
        .prefetch_related(
            Prefetch("tasks", queryset=StaffChangeTask.objects.order_by("position", "pk"))
        )
        .order_by(*ordering)
    )


def open_task_counts(today: date | None = None) -> dict[str, int]:
    """For IT's home page: open tasks overdue, and due within the next week, in one query."""
    today = _today(today)
    found = StaffChangeTask.objects.filter(completed_at__isnull=True, notice__state=OPEN).aggregate(
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        soon=Count("pk", filter=Q(due_date__gte=today, due_date__lte=today + timedelta(days=7))),
    )
    return {"overdue": found["overdue"] or 0, "soon": found["soon"] or 0}


# --- One notice -------------------------------------------------------------------------------
def tasks_of(notice: StaffChange) -> list[StaffChangeTask]:
    return list(notice.tasks.select_related("completed_by").order_by("position", "pk"))


def history(notice: StaffChange) -> list[AuditEvent]:
    """The notice's audit trail, oldest first: who did what, and when."""
    return list(
        AuditEvent.objects.filter(
            object_type=StaffChange._meta.label_lower, object_id=str(notice.pk)
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )


def has_signed_policy(person: User) -> bool:
    """Signed what they were asked to: at least one signature and nothing outstanding."""
    return (
        Acknowledgement.objects.filter(user=person).exists()
        and not policy_selectors.outstanding_for(person).exists()
    )


@dataclass(frozen=True)
class PolicyState:
    signed: bool
    signed_at: datetime | None
    due_date: date | None


def policy_state(person: User) -> PolicyState:
    outstanding = policy_selectors.outstanding_for(person).first()
    last = Acknowledgement.objects.filter(user=person).order_by("-signed_at", "-pk").first()
    return PolicyState(
        signed=outstanding is None and last is not None,
        signed_at=last.signed_at if last is not None else None,
        due_date=outstanding.due_date if outstanding is not None else None,
    )


AUTHORISED = (AuthorisationRequest.State.APPROVED, AuthorisationRequest.State.FULFILLED)


@dataclass(frozen=True)
class Holdings:
    """What IT needs back from someone leaving: authorised kit and software, personal use."""

    hardware: list[AuthorisationRequest]
    software: list[AuthorisationRequest]
    personal_use: grants.HistoryRow | None  # their newest grant, and how it stands

    @property
    def is_empty(self) -> bool:
        return not (self.hardware or self.software or self.personal_use)


def holdings(person: User) -> Holdings:
    authorised = list(
        AuthorisationRequest.objects.filter(requester=person, state__in=AUTHORISED)
        .select_related("catalogue_match")
        .order_by("kind", "decided_at", "pk")
    )
    newest = grants.history_for(person)[:1]
    return Holdings(
        hardware=[r for r in authorised if r.kind == RequestKind.HARDWARE],
        software=[r for r in authorised if r.kind != RequestKind.HARDWARE],
        personal_use=newest[0] if newest else None,
    )


# --- For the scheduled reminders (set-based: one query whatever the numbers) ------------------
# Each looks at a window from today rather than one day, so a reminder whose day beat missed is
# still found the next morning; the jobs' outbox keys make sure it goes once.
def _open_within(kind: str, field: str, days: int, today: date | None) -> QuerySet[StaffChange]:
    """Open notices of ``kind`` whose date ``field`` falls from today to ``days`` ahead."""
    today = _today(today)
    window = {f"{field}__gte": today, f"{field}__lte": today + timedelta(days=days)}
    return StaffChange.objects.filter(kind=kind, state=OPEN, **window)


def starters_beginning_in(days: int, *, today: date | None = None) -> QuerySet[StaffChange]:
    """Open starter notices that start from today to ``days`` ahead and still have tasks to do
    (IT's reminder three days before a start), each with ``open_tasks``, its count."""
    return (
        _open_within(StaffChange.Kind.STARTER, "start_date", days, today)
        .annotate(open_tasks=Count("tasks", filter=Q(tasks__completed_at__isnull=True)))
        .filter(open_tasks__gt=0)
        .select_related("department", "line_manager")
        .order_by("start_date", "pk")
    )


def overdue_tasks(*, today: date | None = None) -> QuerySet[StaffChangeTask]:
    """Open tasks of open notices whose due date has passed, oldest first."""
    return (
        StaffChangeTask.objects.filter(
            completed_at__isnull=True, due_date__lt=_today(today), notice__state=OPEN
        )
        .select_related("notice", "notice__line_manager")
        .order_by("due_date", "notice_id", "position")
    )


def temporary_access_ending_in(days: int, *, today: date | None = None) -> QuerySet[StaffChange]:
    """Temporary workers whose access ends from today to ``days`` ahead and has not ended yet
    (their line manager is told a week before)."""
    return (
        _open_within(StaffChange.Kind.TEMPORARY, "end_date", days, today)
        .filter(account_ended_at__isnull=True)
        .select_related("line_manager", "person")
        .order_by("end_date", "pk")
    )


def leaving_on(person: User) -> date | None:
    """The last day in a leaver notice given for ``person`` (not cancelled), if any: they are
    leaving before the directory says so (``portal.departments.LAST_DAY_PROVIDERS``)."""
    return (
        StaffChange.objects.filter(person=person, kind=StaffChange.Kind.LEAVER)
        .exclude(state=StaffChange.State.CANCELLED)
        .aggregate(day=Min("end_date"))["day"]
    )
