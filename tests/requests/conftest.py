"""Fixtures the request tests share."""

from __future__ import annotations

import pytest

from portal.models import User
from tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def other_budget_holder(db: None) -> User:
    department = DepartmentFactory(name="Day Services")
    holder = UserFactory(email="day.services.budget@example.com", department=department)
    department.budget_holder = holder
    department.save()
    return holder
