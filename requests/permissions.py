"""Who may see and act on authorisation requests. Views never test roles themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from portal import permissions as roles
from portal.models import User
from requests.models import Attachment, AuthorisationRequest, Comment
from requests.staff.models import StaffChange


def can_view(user: User, request: AuthorisationRequest) -> bool:
    """The requester, IT, whoever is asked to authorise its cost, and an administrator allowed
    to decide IT's own requests."""
    return (
        request.requester_id == user.pk
        or roles.is_it(user)
        or (request.budget_holder_id is not None and request.budget_holder_id == user.pk)
        or (is_hr_authority(request) and roles.is_hr(user))
        or _admin_for_it(user, request)
    )


def is_it_members_own(request: AuthorisationRequest) -> bool:
    """A request made by a member of the IT Department: IT cannot simply decide it itself."""
    return roles.is_it(request.requester)


def _admin_for_it(user: User, request: AuthorisationRequest) -> bool:
    """An administrator, where the company lets administrators decide IT's own requests."""
    return (
        settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS
        and roles.can_use_admin(user)
        and is_it_members_own(request)
    )


def may_decide_for_it(user: User, request: AuthorisationRequest) -> bool:
    """Approve, reject or ask for more information for IT: a member of IT who is neither the
    requester nor the one who authorised the cost as budget holder (separation of duties), or,
    for an IT member's own request where the company allows it, an administrator."""
    if not user.is_active or is_requester(user, request) or request.authorised_by_id == user.pk:
        return False
    return roles.is_it(user) or _admin_for_it(user, request)


def it_deciders(request: AuthorisationRequest) -> QuerySet[User]:
    """Who may decide the request for IT now, as ``may_decide_for_it`` says: told when it
    reaches IT."""
    deciders = Q(groups__name=roles.IT_GROUP)
    if settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS and is_it_members_own(request):
        deciders |= Q(is_superuser=True)
    people = User.objects.filter(deciders, is_active=True).exclude(pk=request.requester_id)
    if request.authorised_by_id is not None:
        people = people.exclude(pk=request.authorised_by_id)
    return people.distinct().order_by("pk")


def who_decides_for_it() -> str:
    if settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS:
        return "another member of the IT Department or an administrator"
    return "another member of the IT Department"


def can_view_attachment(user: User, attachment: Attachment) -> bool:
    return can_view(user, attachment.request)


def is_hr_authority(request: AuthorisationRequest) -> bool:
    """A budget holder's own cost above the limit, with no line manager to ask: HR authorises."""
    return request.second_authority and request.budget_holder_id is None


def can_see_internal(user: User) -> bool:
    return roles.is_it(user)


def can_view_comment(user: User, comment: Comment) -> bool:
    return not comment.internal or can_see_internal(user)


def can_work_queue(user: User) -> bool:
    return roles.is_it(user)


def can_maintain_register(user: User) -> bool:
    return roles.is_it(user)


def is_authoriser_for(user: User, request: AuthorisationRequest) -> bool:
    """The person asked to authorise the cost (HR when nobody else can be); never the requester."""
    if not user.is_active or is_requester(user, request):
        return False
    if request.budget_holder_id is not None:
        return request.budget_holder_id == user.pk
    return is_hr_authority(request) and roles.is_hr(user)


def is_requester(user: User, request: AuthorisationRequest) -> bool:
    return request.requester_id == user.pk


# --- Starters, leavers and temporary workers ---------------------------------------------------
def can_submit_notice(user: User) -> bool:
    """HR, and line managers for their own team (policy 4.6 and 5.5: tell IT)."""
    return roles.is_hr(user) or roles.is_line_manager(user)


def can_list_notices(user: User) -> bool:
    return roles.is_hr(user) or roles.is_it(user) or roles.is_line_manager(user)


def sees_every_notice(user: User) -> bool:
    return roles.is_hr(user) or roles.is_it(user)


def can_view_notice(user: User, notice: StaffChange) -> bool:
    """IT and HR see every notice; a manager sees those for their own reports."""
    return sees_every_notice(user) or (
        user.is_active and notice.line_manager_id is not None and notice.line_manager_id == user.pk
    )


def can_work_staff_board(user: User) -> bool:
    """Only IT ticks off checklist tasks and works the starters and leavers board."""
    return roles.is_it(user)


def can_change_notice(user: User, notice: StaffChange) -> bool:
    """Extend a temporary worker's access, or cancel a notice: HR, or the manager on the notice
    while the person, once the notice has their account, still reports to them."""
    if roles.is_hr(user):
        return True
    if not (
        user.is_active and notice.line_manager_id is not None and notice.line_manager_id == user.pk
    ):
        return False
    return notice.person_id is None or notice.person.line_manager_id == user.pk


def can_cancel_notice(user: User, notice: StaffChange) -> bool:
    """Withdraw a notice: HR, or the manager who gave it (while ``can_change_notice`` holds).
    A manager never withdraws HR's notice: a leaver HR has named keeps their end of access."""
    if roles.is_hr(user):
        return True
    return notice.submitted_by_id == user.pk and can_change_notice(user, notice)


# A role holder's account is an administrator's to change: one rule, in portal.permissions.
role_names = roles.role_names
holds_role = roles.holds_role


def can_give_notice_about(user: User, person: User) -> bool:
    """A starter or temporary-worker notice that names an existing account acts for its owner:
    their own line manager may, and HR for anyone without a role (a role holder's account is
    an administrator's to change, never HR's to make temporary)."""
    return roles.manages(user, person) or (roles.is_hr(user) and not holds_role(person))


Found = TypeVar("Found", bound=Model)

# What each record is called when it is not found, and who may see it.
SEEN_BY: dict[type[Model], tuple[str, Callable[[User, Any], bool]]] = {
    AuthorisationRequest: ("request", can_view),
    Attachment: ("attachment", can_view_attachment),
    StaffChange: ("notice", can_view_notice),
}


def visible_or_404(user: User, records: QuerySet[Found], **lookup: object) -> Found:
    """The record ``lookup`` finds among ``records`` if ``user`` may see it (``SEEN_BY``);
    otherwise a 404, the same whether it does not exist or is not theirs, so that its existence
    is not disclosed."""
    name, may_see = SEEN_BY[records.model]
    found = records.filter(**lookup).first()
    if found is None or not may_see(user, found):
        raise Http404(f"No such {name}.")
    return found
