"""Reads of requests that several pages share."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.models import Department, User
from requests.models import AuthorisationRequest


def is_budget_holder(user: User) -> bool:
    cached = getattr(user, "_requests_is_budget_holder", None)
    if cached is None:
        cached = Department.objects.filter(budget_holder=user).exists()
        user._requests_is_budget_holder = cached
    return cached


def mine(user: User) -> QuerySet[AuthorisationRequest]:
    return AuthorisationRequest.objects.filter(requester=user).order_by("-submitted_at", "-pk")


def awaiting_budget_holder(user: User) -> QuerySet[AuthorisationRequest]:
    return (
        AuthorisationRequest.objects.filter(
            budget_holder=user, state=AuthorisationRequest.State.AWAITING_BUDGET_HOLDER
        )
        .select_related("requester", "department")
        .order_by("submitted_at", "pk")
    )
