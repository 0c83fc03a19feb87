"""Reads of requests that several pages share."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from portal import departments
from portal import permissions as roles
from portal.models import Department, User
from requests.models import AuthorisationRequest

AWAITING_AUTHORITY = AuthorisationRequest.State.AWAITING_BUDGET_HOLDER


def _hr_authority() -> Q:
    return Q(budget_holder__isnull=True, second_authority=True, state=AWAITING_AUTHORITY)


def _asked(user: User) -> Q:
    """``permissions.is_authoriser_for`` as a condition (the requester is excluded apart)."""
    asked = Q(second_authority=True, budget_holder=user) | Q(
        departments.authorised_by(user, prefix="department__"), second_authority=False
    )
    if roles.is_hr(user):
        asked |= _hr_authority()
    return asked


def may_authorise(user: User) -> bool:
    """Budget holders, anyone ever asked to authorise a cost (a budget holder's line manager),
    and HR while a cost waits for them. One query, asked once per request."""
    cached = getattr(user, "_requests_may_authorise", None)
    if cached is None:
        asked = Q(budget_holder=OuterRef("pk"))
        if roles.is_hr(user):
            asked |= _hr_authority()
        holds = Q(budget_holder=OuterRef("pk")) | Q(deputy=OuterRef("pk"))
        cached = (
            User.objects.filter(pk=user.pk)
            .filter(
                Exists(Department.objects.filter(holds))
                | Exists(AuthorisationRequest.objects.filter(asked))
            )
            .exists()
        )
        user._requests_may_authorise = cached
    return cached


def mine(user: User) -> QuerySet[AuthorisationRequest]:
    return AuthorisationRequest.objects.filter(requester=user).order_by("-submitted_at", "-pk")


def awaiting_authority(user: User) -> QuerySet[AuthorisationRequest]:
    """Costs waiting for ``user``'s authority; never their own request."""
    return (
        AuthorisationRequest.objects.filter(_asked(user), state=AWAITING_AUTHORITY)
        .exclude(requester=user)
        .select_related("requester", "department")
        .order_by("submitted_at", "pk")
    )


def waiting_for_budget_holder() -> QuerySet[AuthorisationRequest]:
    """HR's list: costs whose department has nobody to authorise them today, oldest first."""
    return (
        AuthorisationRequest.objects.filter(
            departments.without_authoriser(prefix="department__"),
            state=AWAITING_AUTHORITY,
            second_authority=False,
            department__isnull=False,
        )
        .select_related("requester", "department")
        .order_by("submitted_at", "pk")
    )
