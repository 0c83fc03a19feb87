"""Addresses and snapshots for the tests of the pages for starters, leavers and temporary
workers."""

from __future__ import annotations

from django.urls import reverse

from portal.models import AuditEvent, Notification, User
from requests.staff.models import StaffChange, StaffChangeTask

Task = StaffChangeTask.Kind


def url(name: str, notice: StaffChange, *args: int) -> str:
    return reverse(f"requests:{name}", args=[notice.pk, *args])


def snapshot() -> tuple[int, int, int, int, int]:
    return (
        StaffChange.objects.count(),
        StaffChangeTask.objects.filter(completed_at__isnull=False).count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
        User.objects.count(),
    )
