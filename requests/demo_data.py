"""The demo's starters, leavers, temporary workers and a mover, so IT's board has work on it."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.models import Department, User
from requests.staff import changes as staff_changes
from requests.staff.models import StaffChange

Kind = StaffChange.Kind
Notice = tuple[User, staff_changes.NoticeDetails]  # who gives it, and what it says


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Five notices given through the real service, dated from today; kept if already there."""
    today = timezone.localdate()
    hr = User.objects.get(email="hr@example.com")
    manager = User.objects.get(email="manager@example.com")
    wanted = _newcomers(hr, manager, today) + _leavers(manager, today) + _mover(hr, manager, today)
    return {"notices": _give(wanted, today)}


def _newcomers(hr: User, manager: User, today: date) -> list[Notice]:
    """A starter in ten days, and an agency worker who started two days ago, from HR."""
    care = Department.objects.get(name="Residential Care")
    community = Department.objects.get(name="Community Support")
    return [
        (
            hr,
            staff_changes.NoticeDetails(
                kind=Kind.STARTER,
                first_name="Priya",
                last_name="Shah",
                email="priya.shah@example.com",
                employee_number="E90001",
                department=care,
                line_manager_email=manager.email,
                job_title="Support Worker",
                start_date=today + timedelta(days=10),
                systems="Care records, email, the rota",
                equipment="Phone and ID badge",
            ),
        ),
        (
            hr,
            staff_changes.NoticeDetails(
                kind=Kind.TEMPORARY,
                first_name="Tom",
                last_name="Baker",
                email="tom.baker@agency.example.com",
                department=community,
                line_manager_email=manager.email,
                job_title="Agency Care Assistant",
                start_date=today - timedelta(days=2),
                end_date=today + timedelta(days=26),
                systems="Care records (read only)",
                notes="Through Helping Hands agency.",
            ),
        ),
    ]


def _leavers(manager: User, today: date) -> list[Notice]:
    """Two of the manager's team leaving, one in five days and one two days ago."""
    # The role accounts the demo signs in with are never among them.
    leavers = list(
        User.objects.filter(line_manager=manager, is_active=True)
        .exclude(email="employee@example.com")
        .order_by("employee_number")[:2]
    )
    return [
        (
            manager,
            staff_changes.NoticeDetails(
                kind=Kind.LEAVER,
                leaver=person.email,
                end_date=today + timedelta(days=days),
                equipment="Work phone",
            ),
        )
        for days, person in zip((5, -2), leavers, strict=False)
    ]


def _mover(hr: User, manager: User, today: date) -> list[Notice]:
    """The third of the manager's team moving to Community Support as a senior in a week."""
    team = list(
        User.objects.filter(line_manager=manager, is_active=True)
        .exclude(email="employee@example.com")
        .order_by("employee_number")[2:3]
    )
    community = Department.objects.get(name="Community Support")
    return [
        (
            hr,
            staff_changes.NoticeDetails(
                kind=Kind.MOVER,
                mover=person.email or person.employee_number,
                effective_date=today + timedelta(days=7),
                department=community,
                job_title="Senior Support Worker",
                systems="Community rota and the lone-working app; the care home's rota no longer",
                equipment="Keeps their phone; the care home's keys back to the manager",
            ),
        )
        for person in team
    ]


def _give(wanted: list[Notice], today: date) -> int:
    """Submit each notice not already given for that person; how many were new."""
    created = 0
    for actor, details in wanted:
        who = details.email or details.leaver or details.mover
        if StaffChange.objects.filter(
            Q(email=who) | Q(employee_number=who), kind=details.kind
        ).exists():
            continue
        staff_changes.submit_notice(actor=actor, details=details, today=today)
        created += 1
    return created
