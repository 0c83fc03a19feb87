"""Who may see and act on authorisation requests. Views never test roles themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from portal import departments
from portal import permissions as roles
from portal.models import User
from requests.models import Attachment, AuthorisationRequest, Comment
from requests.staff.models import StaffChange


def can_view(user: User, request: AuthorisationRequest) -> bool:
    """The requester, IT, whoever was asked to authorise its cost or holds that authority now,
    HR while it waits for a budget holder to be named, and an administrator allowed to decide
    IT's own requests."""
    return (
        request.requester_id == user.pk
        or roles.is_it(user)
        or (request.budget_holder_id is not None and request.budget_holder_id == user.pk)
        or (request.authorised_by_id is not None and request.authorised_by_id == user.pk)
        or (is_hr_authority(request) and roles.is_hr(user))
        or (_awaiting_authority(request) and _holds_authority(user, request))
        or (waits_for_budget_holder(request) and roles.is_hr(user))
        or _admin_for_it(user, request)
    )


def _awaiting_authority(request: AuthorisationRequest) -> bool:
    return request.state == AuthorisationRequest.State.AWAITING_BUDGET_HOLDER


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


def can_see_waiting_for_budget_holder(user: User) -> bool:
    """HR's list of costs whose department has nobody to authorise them."""
    return roles.can_manage_departments(user)


def can_work_queue(user: User) -> bool:
    return roles.is_it(user)


def can_maintain_register(user: User) -> bool:
    return roles.is_it(user)


def current_authoriser(request: AuthorisationRequest) -> User | None:
    """Who may authorise the cost now. A budget holder's own cost goes to the second authoriser
    asked (their line manager; None: HR); any other follows its department's rule as it stands
    today (``portal.departments.authoriser``: the deputy within their dates, else the holder)."""
    if request.second_authority:
        return request.budget_holder
    return departments.authoriser(request.department)


def waits_for_budget_holder(request: AuthorisationRequest) -> bool:
    """A cost waiting while its department has nobody to authorise it: on HR's list."""
    return (
        _awaiting_authority(request)
        and not request.second_authority
        and current_authoriser(request) is None
    )


def _holds_authority(user: User, request: AuthorisationRequest) -> bool:
    who = current_authoriser(request)
    return who is not None and who.pk == user.pk


def is_authoriser_for(user: User, request: AuthorisationRequest) -> bool:
    """Whoever holds the authority now (HR when nobody else can be); never the requester.
    A budget holder whose deputy decides today, or who has been replaced, no longer does."""
    if not user.is_active or is_requester(user, request):
        return False
    if is_hr_authority(request):
        return roles.is_hr(user)
    return _holds_authority(user, request)


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
    """IT and HR see every notice; a manager sees those for their own reports, and a mover's
    old manager the notice that moves them away."""
    if sees_every_notice(user):
        return True
    return user.is_active and user.pk in (
        notice.line_manager_id,
        notice.old_line_manager_id if notice.kind == StaffChange.Kind.MOVER else None,
    )


def can_work_staff_board(user: User) -> bool:
    """Only IT ticks off checklist tasks and works the staff changes board."""
    return roles.is_it(user)


def can_change_notice(user: User, notice: StaffChange) -> bool:
    """Extend a temporary worker's access, or cancel a notice: HR, or the manager on the notice
    while the person, once the notice has their account, still reports to them."""
    if notice.kind == StaffChange.Kind.MOVER:
        # A move already in the directory stands; one still waiting for its date is HR's, or
        # the person's current manager's.
        if notice.directory_updated_at is not None:
            return False
        return roles.is_hr(user) or (user.is_active and notice.person.line_manager_id == user.pk)
    if roles.is_hr(user):
        return True
    if not (
        user.is_active and notice.line_manager_id is not None and notice.line_manager_id == user.pk
    ):
        return False
    return notice.person_id is None or notice.person.line_manager_id == user.pk


def can_cancel_notice(user: User, notice: StaffChange) -> bool:
    """Withdraw a notice: HR, or the manager who gave it (while ``can_change_notice`` holds).
    A manager never withdraws HR's notice: a leaver HR has named keeps their end of access.
    A move already in the directory is not withdrawn: a new notice moves the person back."""
    if notice.kind == StaffChange.Kind.MOVER and notice.directory_updated_at is not None:
        return False
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
