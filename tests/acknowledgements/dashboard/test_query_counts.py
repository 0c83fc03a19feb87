"""The dashboard's query counts, the same at two sizes of company."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from acknowledgements import chain, publishing
from acknowledgements.models import Acknowledgement, Assignment
from portal.models import Department, User
from tests.acknowledgements.dashboard.helpers import _bulk_sign
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.factories import PASSWORD, DepartmentFactory, UserFactory
from tests.helpers import signed_in


# Query counts at two sizes ------------------------------------------------------------------
def _staff(size: int, departments: list[Department], managers: list[User]) -> list[User]:
    password = make_password(PASSWORD)
    User.objects.bulk_create(
        [
            User(
                email=f"bulk{n}@example.com",
                first_name="Bulk",
                last_name=f"Person {n}",
                employee_number=f"B{n:06d}",
                department=departments[n % len(departments)],
                line_manager=managers[n % len(managers)],
                is_active=n % 50 != 49,  # some leavers' accounts already closed
                password=password,
            )
            for n in range(size)
        ],
        batch_size=500,
    )
    return list(User.objects.filter(email__startswith="bulk").order_by("pk"))


@pytest.mark.parametrize("size", [10, 1000])
def test_dashboard_queries_do_not_grow_with_staff(
    client, hr_user, django_assert_num_queries, size: int
) -> None:
    version = publishing.load_seed_policy()
    departments = [DepartmentFactory(name=f"Home {n}") for n in range(4)]
    managers = [UserFactory(department=departments[n]) for n in range(4)]
    staff = _staff(size, departments, managers)
    for user in staff[:2]:
        AcknowledgementFactory(user=user, version=version)  # through the real service
    _bulk_sign(staff[2 : size // 2], version)
    today = timezone.localdate()
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=user,
                version=version,
                reason=Assignment.Reason.PUBLISHED,
                due_date=today + timedelta(days=(n % 5) - 2),
            )
            for n, user in enumerate(staff[size // 2 : size - size // 10])
        ]
    )
    client = signed_in(client, hr_user)
    client.get(reverse("home"))  # the session's first save is not the page's
    url = reverse("acknowledgements:dashboard")
    # Session (read, and its idle-expiry save: three), user, groups, the menu's two checks and
    # unread count, the published versions, then for the one policy: the counting versions, the
    # grouped counts with the line managers' names, department names, the baseline version, and
    # signatures per day: the days before yesterday (cached afterwards) and the last two days.
    with django_assert_num_queries(16):
        response = client.get(url, {"sort": "-percent"})
    assert response.status_code == 200
    totals = response.context["sections"][0].totals
    active = sum(1 for user in staff if user.is_active) + len(managers) + 1  # and HR
    assert totals.total == active
    assert totals.signed == sum(1 for user in staff[: size // 2] if user.is_active)
    assert chain.verify(
        Acknowledgement.objects.order_by("sequence").iterator(), {version.pk: version.body}
    ).ok
