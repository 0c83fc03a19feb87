"""Who may see and act on authorisation requests. Views never test roles themselves."""

from __future__ import annotations

from portal import permissions as roles
from portal.models import User
from requests.models import AuthorisationRequest, Comment


def can_view(user: User, request: AuthorisationRequest) -> bool:
    """The requester, IT, and the budget holder asked to authorise it."""
    return (
        request.requester_id == user.pk
        or roles.is_it(user)
        or (request.budget_holder_id is not None and request.budget_holder_id == user.pk)
    )


def can_see_internal(user: User) -> bool:
    return roles.is_it(user)


def can_view_comment(user: User, comment: Comment) -> bool:
    return not comment.internal or can_see_internal(user)


def can_work_queue(user: User) -> bool:
    return roles.is_it(user)


def can_maintain_register(user: User) -> bool:
    return roles.is_it(user)


def is_budget_holder_for(user: User, request: AuthorisationRequest) -> bool:
    return request.budget_holder_id is not None and request.budget_holder_id == user.pk


def is_requester(user: User, request: AuthorisationRequest) -> bool:
    return request.requester_id == user.pk
