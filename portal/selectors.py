from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from acknowledgements.grants import open_grants_prefetch
from acknowledgements.models import Assignment, PolicyVersion
from portal.models import AuditEvent, Notification, User


def inbox_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).only(
        "id", "subject", "created_at", "read_at", "link", "kind"
    )


@dataclass(frozen=True)
class SignatureStatus:
    """Where a report stands with the current version of one policy."""

    version: PolicyVersion
    state: str  # Assignment.State, or "unassigned"
    signed_at: datetime | None = None
    due_date: date | None = None


def _signature_status(person: User, version: PolicyVersion, today: date) -> SignatureStatus:
    # Signing the newest material version (or anything later) is what counts: a minor version
    # published since does not need signing again.
    baseline = version.baseline or 0
    for assignment in person.team_assignments:
        if assignment.version.policy_id == version.policy_id and (
            assignment.version.number >= baseline
        ):
            if assignment.acknowledgement is not None:
                return SignatureStatus(
                    version, Assignment.State.SIGNED, signed_at=assignment.acknowledgement.signed_at
                )
            return SignatureStatus(version, assignment.state(today), due_date=assignment.due_date)
    return SignatureStatus(version, "unassigned")


def team_of(manager: User) -> list[User]:
    """A manager's active direct reports, each with ``signatures`` (one per current policy
    version) and ``personal_use`` (their open grant, or None). A fixed number of queries,
    however big the team."""
    newest_material = (
        PolicyVersion.objects.filter(policy=OuterRef("policy"), material_change=True)
        .exclude(status=PolicyVersion.Status.DRAFT)
        .order_by("-number")
        .values("number")[:1]
    )
    versions = list(
        PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED)
        .select_related("policy")
        .annotate(baseline=Subquery(newest_material))
        .order_by("policy__title")
    )
    assignments = (
        Assignment.objects.filter(version__policy_id__in=[v.policy_id for v in versions])
        .select_related("version", "acknowledgement")
        .order_by("-version__number")
    )
    reports = list(
        User.objects.filter(line_manager=manager, is_active=True)
        .select_related("department")
        .prefetch_related(
            open_grants_prefetch(),
            Prefetch("policy_assignments", queryset=assignments, to_attr="team_assignments"),
        )
        .order_by("last_name", "first_name")
    )
    today = timezone.localdate()
    for person in reports:
        person.signatures = [_signature_status(person, v, today) for v in versions]
        open_grants = person.open_personal_use_grants
        person.personal_use = open_grants[0] if open_grants else None
    return reports


def audit_events(*, action: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if "\x00" in action:
        # No action holds a NUL, and PostgreSQL refuses one in a query.
        return events.none()
    if action:
        events = events.filter(action__startswith=action)
    return events
