"""Notices the tests of the staff pages look at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests.staff.models import StaffChange
from tests.requests.staff import give, leaver_details, temporary_details


@pytest.fixture
def soon():
    """Dates relative to the real today: the pages judge "overdue" by it."""
    today = timezone.localdate()
    return {
        "start": today + timedelta(days=14),
        "end": today + timedelta(days=40),
        "today": today,
    }


@pytest.fixture
def leaver_notice(manager, employee, soon) -> StaffChange:
    return give(manager, leaver_details(employee, end_date=soon["start"]), today=soon["today"])


@pytest.fixture
def outsiders_notice(hr_user, outsider, soon) -> StaffChange:
    return give(hr_user, leaver_details(outsider, end_date=soon["start"]), today=soon["today"])


@pytest.fixture
def temporary_notice(hr_user, manager, employee, department, soon) -> StaffChange:
    details = temporary_details(department, manager, start_date=soon["start"], end_date=soon["end"])
    return give(hr_user, details, today=soon["today"])
