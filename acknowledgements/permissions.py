"""Who may do what with policies, signatures, questions and personal-use grants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from acknowledgements.models import (
    Acknowledgement,
    PolicyReview,
    PolicyVersion,
    Question,
    ReviewOutcome,
)
from portal import permissions as roles
from portal.models import User


def can_read_version(user: User, version: PolicyVersion) -> bool:
    if version.status == PolicyVersion.Status.DRAFT:
        return roles.is_policy_reviewer(user)
    return user.is_authenticated and user.is_active


def can_manage_versions(user: User) -> bool:
    return roles.is_policy_reviewer(user)


def can_view_acknowledgement(user: User, ack: Acknowledgement) -> bool:
    """The signer, HR, and the signer's line manager."""
    return ack.user_id == user.pk or roles.is_hr(user) or roles.manages(user, ack.user)


def can_view_question(user: User, question: Question) -> bool:
    return question.asked_by_id == user.pk or question.manager_id == user.pk


def can_answer_question(user: User, question: Question) -> bool:
    return question.manager_id == user.pk and question.answered_at is None


def can_grant_personal_use(user: User, employee: User) -> bool:
    """Policy 4.1: the discretion is the employee's own line manager's, nobody else's."""
    return roles.manages(user, employee) and employee.is_active


def decides_personal_use_of(user: User, employee: User) -> bool:
    """Whether the team member's page lets ``user`` grant and revoke (never their own)."""
    return employee.pk != user.pk and can_grant_personal_use(user, employee)


def can_open_team_member(user: User, employee: User) -> bool:
    """The team member's personal-use page: their line manager decides, HR may read. People
    see their own grants on their own page."""
    return decides_personal_use_of(user, employee) or can_view_all_personal_use(user)


def can_view_personal_use(user: User, employee: User) -> bool:
    return employee.pk == user.pk or roles.manages(user, employee) or roles.is_hr(user)


def can_view_all_personal_use(user: User) -> bool:
    return roles.is_hr(user)


def can_view_dashboard(user: User) -> bool:
    return roles.is_hr(user)


def can_view_staff_status(user: User) -> bool:
    """HR sees everyone; a line manager sees their own direct reports."""
    return roles.is_hr(user) or roles.is_line_manager(user)


def can_view_person(user: User, person: User) -> bool:
    return roles.is_hr(user) or roles.manages(user, person)


def can_remind(user: User, person: User) -> bool:
    return roles.manages(user, person) and person.is_active


def can_view_reviews(user: User) -> bool:
    """The annual review belongs to the Policy reviewers (policy section 3)."""
    return roles.is_policy_reviewer(user)


def can_record_outcome(user: User, review: PolicyReview, outcome: ReviewOutcome | None) -> bool:
    return (
        can_view_reviews(user)
        and review.is_open
        and outcome is not None
        and outcome.reviewer_id == user.pk
        and not outcome.is_recorded
    )


Found = TypeVar("Found", bound=Model)

# What each record is called when it is not found, and who may see it.
SEEN_BY: dict[type[Model], tuple[str, Callable[[User, Any], bool]]] = {
    Acknowledgement: ("receipt", can_view_acknowledgement),
    PolicyVersion: ("version", can_read_version),
    Question: ("question", can_view_question),
    User: ("person", can_view_person),
}


def visible_or_404(
    user: User,
    records: QuerySet[Found],
    *,
    may_see: Callable[[User, Found], bool] | None = None,
    **lookup: object,
) -> Found:
    """The record ``lookup`` finds among ``records`` if ``user`` may see it; otherwise a 404, the
    same whether it does not exist or is not theirs, so that its existence is not disclosed.

    Who may see it is the model's rule in ``SEEN_BY``, or ``may_see`` where a page asks more of
    the person than seeing the record (reminding them, deciding for them).
    """
    name, rule = SEEN_BY[records.model]
    found = records.filter(**lookup).first()
    if found is None or not (may_see or rule)(user, found):
        raise Http404(f"No such {name}.")
    return found
