"""A line manager's team page: each direct report's signature status and personal use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from acknowledgements import publishing, signature_status
from acknowledgements.grants import open_grants_prefetch
from acknowledgements.models import Assignment, PolicyVersion
from portal.models import User


@dataclass(frozen=True)
class SignatureStatus:
    """Where a report stands with the current version of one policy."""

    version: PolicyVersion
    state: str  # one of signature_status.STATUSES
    signed_at: datetime | None = None
    due_date: date | None = None


def _status_for_version(person: User, version: PolicyVersion, today: date) -> SignatureStatus:
    # Signing the baseline (the newest material version) or anything later is what counts: a
    # minor version published since does not need signing again. The assignments come newest
    # first, so the first at or above the baseline is the current requirement.
    baseline = version.baseline or 0
    requirement = next(
        (
            assignment
            for assignment in person.team_assignments
            if assignment.version.policy_id == version.policy_id
            and assignment.version.number >= baseline
        ),
        None,
    )
    state = signature_status.status_of(requirement, today)
    if state == signature_status.SIGNED:
        return SignatureStatus(version, state, signed_at=requirement.acknowledgement.signed_at)
    if requirement is not None:
        return SignatureStatus(version, state, due_date=requirement.due_date)
    return SignatureStatus(version, state)


def team_of(manager: User) -> list[User]:
    """A manager's active direct reports, each with ``signatures`` (one per current policy
    version) and ``personal_use`` (their open grant, or None). A fixed number of queries,
    however big the team."""
    versions = list(
        PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED)
        .select_related("policy")
        .annotate(
            baseline=Subquery(publishing.baseline_versions(OuterRef("policy")).values("number"))
        )
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
        person.signatures = [_status_for_version(person, v, today) for v in versions]
        open_grants = person.open_personal_use_grants
        person.personal_use = open_grants[0] if open_grants else None
    return reports
