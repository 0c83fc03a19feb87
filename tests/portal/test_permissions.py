"""Role questions, answered for each of the named actors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from portal import permissions
from portal.models import User
from tests.factories import UserFactory

# actor: (is_it, is_hr, is_policy_reviewer, is_line_manager, can_use_admin)
ROLES = {
    "employee": (False, False, False, False, False),
    "manager": (False, False, False, True, False),
    "outsider": (False, False, False, False, False),
    "it_user": (True, False, False, False, False),
    "hr_user": (False, True, False, False, False),
    "reviewer": (False, False, True, False, False),
    "superuser": (False, False, False, False, True),
}
QUESTIONS = (
    permissions.is_it,
    permissions.is_hr,
    permissions.is_policy_reviewer,
    permissions.is_line_manager,
    permissions.can_use_admin,
)


@pytest.mark.parametrize(("actor", "expected"), ROLES.items())
def test_role_questions(request, actor: str, expected: tuple[bool, ...]) -> None:
    request.getfixturevalue("employee")  # the manager's direct report
    user = request.getfixturevalue(actor)
    assert tuple(question(user) for question in QUESTIONS) == expected
    assert permissions.can_import_staff(user) is expected[1]
    assert permissions.can_view_audit_log(user) is (expected[0] or expected[1])


def test_anonymous_visitor_has_no_role() -> None:
    anonymous = AnonymousUser()
    assert not any(question(anonymous) for question in QUESTIONS)


def test_a_deactivated_account_loses_its_roles(it_user, manager) -> None:
    for user in (it_user, manager):
        User.objects.filter(pk=user.pk).update(is_active=False)
    it_user, manager = User.objects.get(pk=it_user.pk), User.objects.get(pk=manager.pk)
    assert not permissions.is_it(it_user)
    assert not permissions.is_line_manager(manager)


def test_only_active_reports_make_a_line_manager(employee, manager) -> None:
    User.objects.filter(pk=employee.pk).update(is_active=False)
    assert not permissions.is_line_manager(User.objects.get(pk=manager.pk))


def test_manages_covers_direct_reports_only(employee, manager, outsider) -> None:
    assert permissions.manages(manager, employee)
    assert not permissions.manages(employee, manager)
    assert not permissions.manages(manager, outsider)
    assert not permissions.manages(manager, manager)
    assert permissions.manages(outsider.line_manager, outsider)
    report_of_employee = UserFactory(line_manager=employee)
    assert not permissions.manages(manager, report_of_employee)  # not a skip-level manager
    assert not permissions.manages(AnonymousUser(), employee)


def test_group_names_cost_one_query(django_assert_num_queries, hr_user) -> None:
    user = User.objects.get(pk=hr_user.pk)
    with django_assert_num_queries(1):
        assert permissions.is_hr(user)
        assert not permissions.is_it(user)
        assert not permissions.is_policy_reviewer(user)
        assert permissions.can_view_audit_log(user)
    with django_assert_num_queries(0):
        assert permissions.can_import_staff(user)


def test_role_members_are_the_groups_active_people(it_user, hr_user, reviewer, employee) -> None:
    closed = UserFactory(email="closed.it@example.com", groups=[permissions.IT_GROUP])
    User.objects.filter(pk=closed.pk).update(is_active=False)
    assert list(permissions.it_staff()) == [it_user]
    assert list(permissions.hr_staff()) == [hr_user]
    assert list(permissions.policy_reviewers()) == [reviewer]
    assert list(permissions.members_of(permissions.IT_GROUP)) == [it_user]


@permissions.role_required(permissions.is_hr, "Only HR may see this.")
def _hr_page(request, number: int) -> HttpResponse:
    return HttpResponse(f"page {number}")


def test_role_required_lets_the_role_through(rf, hr_user) -> None:
    request = rf.get("/")
    request.user = hr_user
    response = _hr_page(request, number=7)
    assert response.status_code == 200
    assert response.content == b"page 7"


@pytest.mark.parametrize("actor", ["it_user", "employee", "superuser"])
def test_role_required_refuses_anyone_else_with_its_reason(rf, request, actor: str) -> None:
    asking = rf.get("/")
    asking.user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied) as refused:
        _hr_page(asking, number=7)
    assert str(refused.value) == "Only HR may see this."


def test_role_required_refuses_a_signed_out_visitor(rf) -> None:
    asking = rf.get("/")
    asking.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        _hr_page(asking, number=7)


def test_role_required_keeps_the_views_name() -> None:
    assert _hr_page.__name__ == "_hr_page"
