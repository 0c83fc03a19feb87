"""The demo's starters, leavers and temporary workers, so IT's board has work on it."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.models import Department, User
from requests.staff import changes as staff_changes
from requests.staff.models import StaffChange

Kind = StaffChange.Kind


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Four notices given through the real service, dated from today; kept if already there."""
    today = timezone.localdate()
    hr = User.objects.get(email="hr@example.com")
    manager = User.objects.get(email="manager@example.com")
    care = Department.objects.get(name="Residential Care")
    community = Department.objects.get(name="Community Support")
    leavers = list(
        User.objects.filter(line_manager=manager, is_active=True)
        .exclude(email="employee@example.com")
        .order_by("employee_number")[:2]
    )
    wanted = [
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
    for days, person in zip((5, -2), leavers, strict=False):
        wanted.append(
            (
                manager,
                staff_changes.NoticeDetails(
                    kind=Kind.LEAVER,
                    leaver=person.email,
                    end_date=today + timedelta(days=days),
                    equipment="Work phone",
                ),
            )
        )
    created = 0
    for actor, details in wanted:
        email = details.email or details.leaver
        if StaffChange.objects.filter(email=email).exists():
            continue
        staff_changes.submit_notice(actor=actor, details=details, today=today)
        created += 1
    return {"notices": created}
