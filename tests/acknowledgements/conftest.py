"""Fixtures the policy tests share: the seed version under its other name, its policy, and the
employee's assignment to it."""

from __future__ import annotations

import pytest

from acknowledgements import publishing
from acknowledgements.models import Assignment, Policy, PolicyVersion


@pytest.fixture
def seed(version: PolicyVersion) -> PolicyVersion:
    return version


@pytest.fixture
def policy(version: PolicyVersion) -> Policy:
    return version.policy


@pytest.fixture
def assigned(employee, version) -> Assignment:
    publishing.assign_outstanding(policy=version.policy)
    return Assignment.objects.get(user=employee, version=version)
