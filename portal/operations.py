"""The operations page's reads and actions: scheduled jobs and the outbox, for IT and admins.

Every action is audited: running a job now, and retrying notifications that failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from portal import audit, outbox, scheduling
from portal.models import ExternalIdentity, JobRun, Notification, User
from portal.password_age import PORTAL_PASSWORD

log = logging.getLogger(__name__)
LIST_SIZE = 50


# --- Reads ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobRow:
    job: scheduling.Job
    schedule: str
    last: JobRun | None


def job_rows() -> list[JobRow]:
    """Every registered job with its schedule and last run: one indexed query per job."""
    return [
        JobRow(
            job=job,
            schedule=scheduling.schedule_text(job.name),
            last=JobRun.objects.filter(job=job.name).select_related("requested_by").first(),
        )
        for job in scheduling.JOBS.values()
    ]


def recent_runs(limit: int = LIST_SIZE) -> QuerySet[JobRun]:
    """The latest runs of every job, and of the minute-by-minute outbox sweep only those that
    went wrong (a database outage shows as a run of failed sweeps)."""
    routine = Q(job="outbox-sweep", status__in=[JobRun.Status.SUCCEEDED, JobRun.Status.RUNNING])
    return JobRun.objects.exclude(routine).select_related("requested_by")[:limit]


@dataclass(frozen=True)
class OutboxState:
    pending: int
    due: int
    failed: int
    oldest_due: object  # datetime | None


def outbox_state() -> OutboxState:
    now = timezone.now()
    waiting = Q(status__in=Notification.WAITING)
    due = waiting & Q(next_attempt_at__lte=now)
    row = Notification.objects.filter(
        status__in=[*Notification.WAITING, Notification.Status.FAILED]
    ).aggregate(
        pending=Count("pk", filter=waiting),
        due=Count("pk", filter=due),
        failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
        oldest_due=Min("next_attempt_at", filter=due),
    )
    return OutboxState(**row)


@dataclass(frozen=True)
class SignInMethods:
    """The active accounts by how they get in (policy 5.6's password rules apply to the first)."""

    with_password: int  # a usable portal password
    organisation_only: int  # no portal password: the organisation's sign-in only
    linked: int  # of those without a password, who have signed in through the organisation
    never_signed_in: int  # of those without a password, who have not signed in yet


def sign_in_methods() -> SignInMethods:
    """One query over the active accounts."""
    linked = Q(Exists(ExternalIdentity.objects.filter(user=OuterRef("pk"))))
    row = User.objects.filter(is_active=True).aggregate(
        with_password=Count("pk", filter=PORTAL_PASSWORD),
        organisation_only=Count("pk", filter=~PORTAL_PASSWORD),
        linked=Count("pk", filter=~PORTAL_PASSWORD & linked),
        never_signed_in=Count("pk", filter=~PORTAL_PASSWORD & Q(last_login__isnull=True)),
    )
    return SignInMethods(**row)


def pending_notifications(limit: int = LIST_SIZE) -> QuerySet[Notification]:
    """Waiting to be sent (or being sent), the longest waiting first."""
    return (
        Notification.objects.filter(status__in=Notification.WAITING)
        .select_related("recipient")
        .order_by("next_attempt_at", "pk")[:limit]
    )


def failed_notifications(limit: int = LIST_SIZE) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(status=Notification.Status.FAILED)
        .select_related("recipient")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- Actions ----------------------------------------------------------------------------------
class NotRetryable(Exception):
    pass


def retry_notification(
    *, actor: User, notification_id: int, request: HttpRequest | None = None
) -> Notification:
    """Send a failed (or waiting) notification again now, with a fresh set of attempts."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            raise Notification.DoesNotExist
        if notification.status == Notification.Status.SENT:
            raise NotRetryable("That notification has been sent already.")
        if notification.status == Notification.Status.SENDING:
            raise NotRetryable("That notification is being sent now.")
        previous = notification.status
        notification.status = Notification.Status.PENDING
        notification.attempts = 0
        notification.next_attempt_at = timezone.now()
        notification.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit.record(
            actor=actor,
            action="notification.retried",
            obj=notification,
            data={"previous_status": previous, "last_error": notification.last_error},
            request=request,
        )
        transaction.on_commit(lambda: outbox.enqueue_delivery(notification.pk))
    return notification


def retry_all_failed(*, actor: User, request: HttpRequest | None = None) -> int:
    with transaction.atomic():
        count = Notification.objects.filter(status=Notification.Status.FAILED).update(
            status=Notification.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        audit.record(
            actor=actor,
            action="notification.retried_all",
            data={"count": count},
            request=request,
        )
        if count:
            transaction.on_commit(outbox.enqueue_sweep)
    return count


def run_job_now(*, actor: User, name: str, request: HttpRequest | None = None) -> bool:
    """Queue job ``name`` for a worker now; the request is audited whether or not the broker
    can be reached. Returns whether it was queued."""
    from portal.tasks import run_scheduled_job

    try:
        job = scheduling.get(name)
    except scheduling.UnknownJob:
        raise ValidationError("There is no scheduled job of that name.") from None
    audit.record(actor=actor, action="job.run_requested", data={"job": job.name}, request=request)
    try:
        run_scheduled_job.delay(job.name, actor.pk)
    except Exception:  # broker down: the audit says who asked; the schedule runs it anyway
        log.warning("Broker unavailable; could not queue job %s", job.name)
        return False
    return True
