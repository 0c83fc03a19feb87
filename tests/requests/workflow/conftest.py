"""Fixtures for the workflow tests: the cast of people around one department."""

from __future__ import annotations

import pytest

from portal import permissions as roles
from tests.factories import UserFactory
from tests.requests.workflow.helpers import People


@pytest.fixture
def people(employee, manager, outsider, it_user, hr_user) -> People:
    colleague = UserFactory(
        email="colleague@example.com", department=employee.department, line_manager=manager
    )
    community = outsider.department
    community.budget_holder = outsider.line_manager
    community.save()
    it_colleague = UserFactory(email="it2@example.com", groups=[roles.IT_GROUP])
    # A former IT member: never told of anything.
    UserFactory(email="it.leaver@example.com", groups=[roles.IT_GROUP], is_active=False)
    return People(
        requester=employee,
        colleague=colleague,
        budget_holder=manager,
        other_budget_holder=community.budget_holder,
        it=it_user,
        it_colleague=it_colleague,
        hr=hr_user,
    )
