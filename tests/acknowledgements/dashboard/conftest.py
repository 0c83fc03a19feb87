"""The company the dashboard's tests look at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import Department, User
from tests.acknowledgements.dashboard.helpers import Company, _publish_next, assign
from tests.acknowledgements.factories import AcknowledgementFactory, PolicyFactory
from tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def company(db: None) -> Company:
    today = timezone.localdate()
    care = DepartmentFactory(name="Care")
    finance = DepartmentFactory(name="Finance")
    alice = UserFactory(first_name="Alice", last_name="Archer", department=care)
    bob = UserFactory(first_name="Bob", last_name="Baker", department=finance, line_manager=alice)

    def person(name: str, department: Department | None, manager: User | None, **extra) -> User:
        return UserFactory(
            first_name=name, last_name="Test", department=department, line_manager=manager, **extra
        )

    people = {
        "signed_v3": person("SignedThree", care, alice),
        "signed_v2": person("SignedTwo", care, alice),
        "signed_v1_only": person("OldSigner", care, alice),
        "due": person("DueSoon", care, alice),
        "last_day_today": person("LastDay", care, alice, end_date=today),
        "due_today": person("DueToday", finance, bob),
        "overdue": person("Overdue", finance, bob),
        "overdue_v2": person("OverdueTwo", finance, bob),
        "no_department": person("Nowhere", None, None),
        "inactive": person("Inactive", care, alice, is_active=False),
        "leaver": person("Leaver", finance, bob, end_date=today - timedelta(days=1)),
    }
    policy = PolicyFactory(slug="acceptable-use", title="Acceptable Use of ICT Policy")
    v1 = _publish_next(policy, number=1, material=True, days_ago=400)
    AcknowledgementFactory(user=people["signed_v1_only"], version=v1)
    v2 = _publish_next(policy, number=2, material=True, days_ago=30)
    AcknowledgementFactory(user=people["signed_v2"], version=v2)
    assign(people["overdue_v2"], v2, today - timedelta(days=10))
    v3 = _publish_next(policy, number=3, material=False, days_ago=5)
    for key in ("signed_v3", "last_day_today"):
        AcknowledgementFactory(user=people[key], version=v3)
    AcknowledgementFactory(user=bob, version=v3)
    assign(people["due"], v3, today + timedelta(days=3))
    assign(people["due_today"], v3, today)
    assign(people["overdue"], v3, today - timedelta(days=1))
    assign(people["inactive"], v3, today - timedelta(days=2))
    assign(people["leaver"], v3, today - timedelta(days=2))
    return Company(policy, v1, v2, v3, care, finance, alice, bob, people)
