from __future__ import annotations

from celery import shared_task

from requests.staff import lifecycle as staff_lifecycle


@shared_task
def end_expired_access() -> int:
    """Hourly: deactivate leavers after their last day and temporary workers after their access
    end date. Set-based and idempotent, so a missed or doubled run does no harm."""
    return staff_lifecycle.end_expired_access()
