"""Role questions, and who holds each role. Views and notices ask these; none of them tests a
group name itself."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from portal.models import User

IT_GROUP = "IT"
HR_GROUP = "HR"
REVIEWERS_GROUP = "Policy reviewers"
ROLE_GROUPS = (IT_GROUP, HR_GROUP, REVIEWERS_GROUP)

AnyUser = User | AnonymousUser


def _group_names(user: AnyUser) -> frozenset[str]:
    # One query per request, however many questions a page asks.
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_portal_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._portal_group_names = cached
    return cached


def is_it(user: AnyUser) -> bool:
    return user.is_active and IT_GROUP in _group_names(user)


def is_hr(user: AnyUser) -> bool:
    return user.is_active and HR_GROUP in _group_names(user)


def is_policy_reviewer(user: AnyUser) -> bool:
    return user.is_active and REVIEWERS_GROUP in _group_names(user)


def members_of(group: str) -> QuerySet[User]:
    """The active members of a role group: whom a notice for that role goes to."""
    return User.objects.filter(is_active=True, groups__name=group)


def it_staff() -> QuerySet[User]:
    return members_of(IT_GROUP)


def hr_staff() -> QuerySet[User]:
    return members_of(HR_GROUP)


def policy_reviewers() -> QuerySet[User]:
    return members_of(REVIEWERS_GROUP)


def holds_role(user: User) -> bool:
    """Whether the account holds a role: administrator, Django staff, IT, HR or Policy reviewer.

    Active or not: a closed account that is reopened gets its role back, so its address and
    name are as sensitive while it is closed. The staff directory import leaves such accounts
    to an administrator.
    """
    return user.is_superuser or user.is_staff or bool(_group_names(user) & set(ROLE_GROUPS))


def role_holders() -> Q:
    """``holds_role`` as a query condition, to ask it of many accounts in one query."""
    in_role_group = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name__in=ROLE_GROUPS
    )
    return Q(is_superuser=True) | Q(is_staff=True) | Q(Exists(in_role_group))


def role_names(user: User) -> list[str]:
    """The roles ``holds_role`` counts, as the portal names them, for messages."""
    names = ["administrator"] if user.is_superuser else []
    if user.is_staff and not user.is_superuser:
        names.append("Django admin access")
    return names + [name for name in ROLE_GROUPS if name in _group_names(user)]


def is_line_manager(user: AnyUser) -> bool:
    """A line manager is anyone with an active direct report."""
    if not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, "_portal_is_line_manager", None)
    if cached is None:
        cached = user.direct_reports.filter(is_active=True).exists()
        user._portal_is_line_manager = cached
    return cached


def manages(user: AnyUser, other: User) -> bool:
    """Whether ``user`` is ``other``'s line manager (direct reports only)."""
    return (
        user.is_authenticated
        and user.is_active
        and other.line_manager_id is not None
        and other.line_manager_id == user.pk
    )


def can_import_staff(user: AnyUser) -> bool:
    return is_hr(user)


def can_manage_departments(user: AnyUser) -> bool:
    """Departments, their budget holders and deputies (policy 4.11): HR."""
    return is_hr(user)


def can_invite_staff(user: AnyUser) -> bool:
    """Inviting everyone who cannot sign in yet (``portal.invitations``): HR and IT."""
    return is_hr(user) or is_it(user)


def can_view_audit_log(user: AnyUser) -> bool:
    return is_it(user) or is_hr(user)


def can_view_operations(user: AnyUser) -> bool:
    """Scheduled jobs and the outbox: the IT Department and administrators."""
    return is_it(user) or can_use_admin(user)


def can_use_admin(user: AnyUser) -> bool:
    return user.is_active and user.is_superuser


View = Callable[..., HttpResponse]


def role_required(may: Callable[[AnyUser], bool], refusal: str) -> Callable[[View], View]:
    """Refuse the view with a 403 saying ``refusal`` to anyone ``may`` says no to.

    Put it next to the function, under ``require_*`` and ``once``: a wrong method is still a 405
    and a repeated form still goes to its first result, whoever sends it. Someone signed out
    never gets this far: the sign-in middleware sends them to sign in first.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return checked

    return decorate
