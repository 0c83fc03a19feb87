from __future__ import annotations

from celery import shared_task
from django.conf import settings

from portal import outbox, scheduling
from portal.models import JobRun, Notification, User


@shared_task(bind=True, max_retries=settings.OUTBOX_MAX_ATTEMPTS)
def deliver_notification(self, notification_id: int) -> None:
    # A retry is due when it runs unless the sweep has tried (and failed) in the meantime; then
    # it leaves the notification to the sweep rather than spend another attempt at once.
    if outbox.deliver(notification_id, only_if_due=self.request.retries > 0):
        return
    attempts = Notification.objects.values_list("attempts", flat=True).get(pk=notification_id)
    raise self.retry(countdown=outbox.retry_delay(attempts).total_seconds())


@shared_task
def sweep_outbox() -> int:
    return scheduling.run_job("outbox-sweep").found


@shared_task
def sweep_outbox_part(part: int, parts: int) -> int:
    """One worker's share of a large backlog (``outbox.sweep_all``)."""
    return outbox.sweep(part=part, parts=parts)


@shared_task
def run_scheduled_job(name: str, requested_by: int | None = None) -> int:
    """Beat sends the job's name; "Run now" on the operations page adds who asked."""
    person = User.objects.filter(pk=requested_by).first() if requested_by else None
    trigger = JobRun.Trigger.MANUAL if requested_by else JobRun.Trigger.SCHEDULE
    return scheduling.run_job(name, trigger=trigger, requested_by=person).pk
