"""Addresses of the staff status pages, and staff in bulk for their tests."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from acknowledgements.models import Policy
from portal.models import Department, User

EmploymentType = User.EmploymentType


def list_url(policy: Policy) -> str:
    return reverse("acknowledgements:staff_list", args=[policy.slug])


def person_url(person: User) -> str:
    return reverse("acknowledgements:person", args=[person.pk])


def remind_url(policy: Policy, person: User) -> str:
    return reverse("acknowledgements:remind", args=[policy.slug, person.pk])


def pks(response) -> list[int]:
    return [person.pk for person in response.context["page"].rows]


def bulk_staff(
    count: int,
    *,
    prefix: str = "staff",
    department: Department | None = None,
    line_manager: User | None = None,
    **fields: object,
) -> None:
    """``count`` active people written in one go; names repeat, so ties in the order are common."""
    last_names = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Ng")
    User.objects.bulk_create(
        [
            User(
                email=f"{prefix}.{n}@example.com",
                first_name=f"Alex{n % 7}",
                last_name=last_names[n % len(last_names)],
                employee_number=f"{prefix[:3].upper()}{n:06d}",
                department=department,
                line_manager=line_manager,
                start_date=date(2024, 1, 15),
                password="!",  # unusable: these people never sign in
                **fields,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
