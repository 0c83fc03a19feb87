from __future__ import annotations

from celery import shared_task
from django.conf import settings

from portal import import_jobs, invitations, outbox, scheduling
from portal.models import JobRun, Notification, User
from portal.outbox.broker import DELIVER_TASK, HELP_SWEEP_TASK, SWEEP_TASK

# The outbox queues its three tasks by these names (``portal.outbox.broker``), never importing
# this module: the tasks depend on the outbox, not the other way.


@shared_task(bind=True, name=DELIVER_TASK, max_retries=settings.OUTBOX_MAX_ATTEMPTS)
def deliver_notification(self, notification_id: int) -> None:
    if outbox.deliver(notification_id):
        return
    attempts = Notification.objects.values_list("attempts", flat=True).get(pk=notification_id)
    raise self.retry(countdown=outbox.retry_delay(attempts).total_seconds())


@shared_task(name=SWEEP_TASK)
def sweep_outbox() -> int:
    return scheduling.run_job("outbox-sweep").found


@shared_task(name=HELP_SWEEP_TASK)
def help_sweep_outbox() -> int:
    """Another sweep of a large backlog, alongside the minute's (``outbox.sweep_all``)."""
    return outbox.sweep()


@shared_task
def run_scheduled_job(name: str, requested_by: int | None = None) -> int:
    """Beat sends the job's name; "Run now" on the operations page adds who asked."""
    person = User.objects.filter(pk=requested_by).first() if requested_by else None
    trigger = JobRun.Trigger.MANUAL if requested_by else JobRun.Trigger.SCHEDULE
    return scheduling.run_job(name, trigger=trigger, requested_by=person).pk


@shared_task(name=invitations.INVITE_TASK)
def invite_staff(actor_id: int) -> int:
    """Claim today's invitation for everyone who cannot sign in yet, as ``actor`` asked."""
    actor = User.objects.get(pk=actor_id)
    return invitations.invite_everyone(actor=actor).queued


# A whole company's directory takes minutes: longer than the default limits allow.
@shared_task(name=import_jobs.IMPORT_TASK, soft_time_limit=3600, time_limit=3660)
def import_staff_file(job_id: int) -> str:
    return import_jobs.run_import(job_id)
