"""The team the staff status tests look at."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import Assignment
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.acknowledgements.staff_status.helpers import EmploymentType
from tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def team(version, manager, employee, outsider, hr_user, it_user, reviewer) -> SimpleNamespace:
    """The manager's reports, one in each state, and people elsewhere in the company.

    - employee (Emma Jones): signed;
    - dana: due in five days (fixed-term, started June 2025);
    - owen: overdue by three days (Day Services, started March 2023);
    - una: not yet assigned (a contractor with no department, started this year).
    """
    today = timezone.localdate()
    dana = UserFactory(
        first_name="Dana",
        last_name="Dunn",
        email="dana.dunn@example.com",
        employee_number="RC-0042",
        line_manager=manager,
        employment_type=EmploymentType.FIXED_TERM,
        start_date=date(2025, 6, 1),
    )
    owen = UserFactory(
        first_name="Owen",
        last_name="Oakes",
        email="owen.oakes@example.com",
        line_manager=manager,
        department=DepartmentFactory(name="Day Services"),
        start_date=date(2023, 3, 1),
    )
    publishing.assign_outstanding(policy=version.policy)
    Assignment.objects.filter(user=dana).update(due_date=today + timedelta(days=5))
    Assignment.objects.filter(user=owen).update(due_date=today - timedelta(days=3))
    AcknowledgementFactory(user=employee, version=version)
    una = UserFactory(
        first_name="Una",
        last_name="Upton",
        email="una.upton@example.com",
        line_manager=manager,
        department=None,
        employment_type=EmploymentType.CONTRACTOR,
        start_date=date(2026, 1, 5),
    )
    leaver = UserFactory(first_name="Lee", last_name="Left", line_manager=manager, is_active=False)
    return SimpleNamespace(
        signed=employee,
        due=dana,
        overdue=owen,
        unassigned=una,
        leaver=leaver,
        outsider=outsider,
        other_manager=outsider.line_manager,
        reports=[employee, dana, owen, una],
    )
