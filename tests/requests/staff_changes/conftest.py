"""Fixtures for the tests of notices: a second IT member, the seed policy and notices given."""

from __future__ import annotations

import pytest

from acknowledgements.models import PolicyVersion
from portal import permissions as roles
from portal.models import User
from requests.staff.models import StaffChange
from tests.factories import UserFactory
from tests.requests.staff import give, starter_details, temporary_details, tick
from tests.requests.staff_changes.helpers import Task


@pytest.fixture
def it_colleague(db: None) -> User:
    return UserFactory(email="it2@example.com", groups=[roles.IT_GROUP])


@pytest.fixture
def policy(version: PolicyVersion) -> PolicyVersion:
    return version


@pytest.fixture
def starter(hr_user, manager, employee, department, it_user, policy) -> StaffChange:
    return give(hr_user, starter_details(department, manager))


@pytest.fixture
def temporary(hr_user, manager, employee, department, it_user, policy) -> StaffChange:
    notice = give(hr_user, temporary_details(department, manager))
    tick(it_user, notice, Task.TEMPORARY_ACCOUNT)
    notice.refresh_from_db()
    return notice
