"""The demo company: departments, one account per role and a few dozen colleagues."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import transaction

from portal import departments as departments_rules
from portal import permissions
from portal.models import Department, User

# Published in the README: the demo accounts are for trying the portal out, never for real data.
DEMO_PASSWORD = "demo-portal-pass"  # noqa: S105  # nosec B105

DEPARTMENTS = (
    "Residential Care",
    "Community Support",
    "Finance",
    "Human Resources",
    "IT Department",
    "Company Secretariat",
)

# email, first, last, department, job title, role group, manager email
ACCOUNTS = (
    ("admin@example.com", "Ada", "Admin", "IT Department", "Portal administrator", None, None),
    (
        "it@example.com",
        "Ivan",
        "Tech",
        "IT Department",
        "IT Service Desk Analyst",
        permissions.IT_GROUP,
        None,
    ),
    (
        "hr@example.com",
        "Hannah",
        "Rees",
        "Human Resources",
        "HR Director",
        permissions.HR_GROUP,
        None,
    ),
    (
        "reviewer@example.com",
        "Rowan",
        "Clarke",
        "Company Secretariat",
        "Company Secretary",
        permissions.REVIEWERS_GROUP,
        None,
    ),
    ("manager@example.com", "Morgan", "Lee", "Residential Care", "Registered Manager", None, None),
    (
        "employee@example.com",
        "Emma",
        "Jones",
        "Residential Care",
        "Support Worker",
        None,
        "manager@example.com",
    ),
)

_FIRST = (
    "Aisha",
    "Ben",
    "Chloe",
    "Dylan",
    "Ella",
    "Farah",
    "George",
    "Holly",
    "Isaac",
    "Jade",
    "Kieran",
    "Leah",
    "Mohammed",
    "Niamh",
    "Owen",
    "Priya",
)
_LAST = ("Patel", "Smith", "Williams", "Evans", "Khan", "Murphy")
_TITLES = ("Support Worker", "Senior Support Worker", "Care Assistant", "Night Support Worker")


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Create the demo data if missing; existing rows and passwords are left as they are."""
    departments = {name: Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS}
    created = 0
    accounts: dict[str, User] = {}
    for email, first, last, dept, title, group, manager in ACCOUNTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                department=departments[dept],
                job_title=title,
                employee_number=f"D{len(accounts) + 1:04d}",
                start_date=date(2024, 4, 1),
                line_manager=accounts.get(manager or ""),
                is_staff=email == "admin@example.com",
                is_superuser=email == "admin@example.com",
            )
            created += 1
        if group:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        accounts[email] = user

    manager = accounts["manager@example.com"]
    care = departments["Residential Care"]
    if care.budget_holder_id is None:
        care.budget_holder = manager
        care.save(update_fields=["budget_holder"])

    names = itertools.islice(itertools.product(_LAST, _FIRST), 40)
    for index, (last, first) in enumerate(names, start=1):
        email = f"{first}.{last}{index}@example.com".lower()
        if User.objects.filter(email=email).exists():
            continue
        dept = care if index % 3 else departments["Community Support"]
        User.objects.create_user(
            email,
            DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            department=dept,
            job_title=_TITLES[index % len(_TITLES)],
            employee_number=f"E{index:05d}",
            start_date=date(2020 + index % 6, 1 + index % 12, 1),
            line_manager=manager if dept == care else None,
        )
        created += 1
    _budget_holders(departments, accounts["hr@example.com"])
    return {"created": created, "total": User.objects.count()}


def _budget_holders(departments: dict[str, Department], hr: User) -> None:
    """Residential Care's budget holder is its manager (above); Community Support's is on leave
    this fortnight, their deputy deciding now; Finance, Human Resources, the IT Department and
    the Company Secretariat have none, so their paid requests wait on HR's list."""
    community = departments["Community Support"]
    if community.budget_holder_id is not None:
        return
    today = departments_rules.today()
    holder, deputy = User.objects.filter(department=community, is_active=True).order_by("pk")[:2]
    departments_rules.set_authority(
        actor=hr,
        department=community,
        authority=departments_rules.Authority(
            budget_holder=holder,
            deputy=deputy,
            deputy_from=today - timedelta(days=3),
            deputy_to=today + timedelta(days=10),
        ),
    )
