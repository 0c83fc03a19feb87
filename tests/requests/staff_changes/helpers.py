"""Names and snapshots for the tests of starters', leavers' and temporary workers' notices."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from portal.models import AuditEvent, Notification, User
from requests.staff.models import StaffChange, StaffChangeTask
from tests.requests.staff import give

Kind = StaffChange.Kind
State = StaffChange.State
Task = StaffChangeTask.Kind


def snapshot() -> tuple[int, int, int, int]:
    """Everything a refused notice must leave untouched."""
    return (
        StaffChange.objects.count(),
        StaffChangeTask.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


def _refusal(actor: User, details) -> dict[str, list[str]]:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        give(actor, details)
    assert snapshot() == before, "a refused notice must save nothing"
    return refused.value.message_dict
