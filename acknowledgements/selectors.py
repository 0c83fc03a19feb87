"""Reads about policies and signatures that several pages share."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from acknowledgements import signature_status
from acknowledgements.models import Acknowledgement, Assignment, Policy, PolicyVersion
from portal.models import User


@dataclass(frozen=True)
class PolicyStatus:
    """Where one person stands with one policy."""

    policy: Policy
    current: PolicyVersion | None
    assignment: Assignment | None  # the newest thing they were asked to sign
    last_signed: Acknowledgement | None

    @property
    def needs_signature(self) -> bool:
        return self.assignment is not None and not signature_status.is_signed(self.assignment)


def published_policies() -> QuerySet[Policy]:
    return Policy.objects.filter(versions__status=PolicyVersion.Status.PUBLISHED).distinct()


def status_for(user: User, policy: Policy) -> PolicyStatus:
    current = policy.versions.filter(status=PolicyVersion.Status.PUBLISHED).first()
    assignment = (
        Assignment.objects.filter(user=user, version__policy=policy)
        .select_related("version", "acknowledgement")
        .order_by("-version__number")
        .first()
    )
    last_signed = (
        Acknowledgement.objects.filter(user=user, version__policy=policy)
        .select_related("version")
        .order_by("-version__number")
        .first()
    )
    return PolicyStatus(policy, current, assignment, last_signed)


def outstanding_for(user: User) -> QuerySet[Assignment]:
    """What ``user`` still has to sign, soonest due first."""
    return (
        Assignment.objects.filter(
            signature_status.unsigned_q(),
            user=user,
            version__status=PolicyVersion.Status.PUBLISHED,
        )
        .select_related("version__policy")
        .order_by("due_date")
    )


def receipts_of(user: User) -> QuerySet[Acknowledgement]:
    return (
        Acknowledgement.objects.filter(user=user)
        .select_related("version__policy")
        .order_by("-signed_at")
    )
