"""bench/seeding: a whole company, signed about 70%, with a hash chain that verifies."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from acknowledgements import chain
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion
from bench.seeding import people
from bench.seeding.command import Command
from portal import permissions
from portal.models import Department, User
from requests.models import AuthorisationRequest, RequestEvent
from tests.factories import UserFactory

EMPLOYEES = 200


def seed(*args: str) -> str:
    out = StringIO()
    call_command(Command(), "--employees", str(EMPLOYEES), *args, stdout=out)
    return out.getvalue()


def verify() -> str:
    out = StringIO()
    call_command("verify_acknowledgements", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db: None) -> PolicyVersion:
    seed()
    return PolicyVersion.objects.get(policy__slug="acceptable-use", number=1)


def test_the_plan_for_a_hundred_thousand_matches_the_company_asked_for():
    plan = people.Plan.for_employees(100_000)

    assert plan.departments == 60
    assert plan.senior_managers == 400
    assert 11.5 <= plan.staff / plan.line_managers <= 12.5


def test_seed_creates_the_number_of_people_asked_for(seeded):
    assert User.objects.count() == EMPLOYEES
    assert User.objects.values("email").distinct().count() == EMPLOYEES


def test_every_department_has_a_budget_holder_from_that_department(seeded):
    departments = list(Department.objects.select_related("budget_holder"))

    assert len(departments) == people.Plan.for_employees(EMPLOYEES).departments
    for department in departments:
        assert department.budget_holder is not None
        assert department.budget_holder.department_id == department.pk


def test_everyone_but_the_chief_executive_has_a_line_manager(seeded):
    top = User.objects.filter(line_manager__isnull=True)

    assert [person.job_title for person in top] == ["Chief Executive"]


def test_line_managers_have_about_twelve_staff_and_report_to_senior_managers(seeded):
    plan = people.Plan.for_employees(EMPLOYEES)
    line_managers = User.objects.filter(
        job_title__in=["Registered Manager", "Team Leader"]
    ).annotate(reports=Count("direct_reports"))

    assert line_managers.count() == plan.line_managers
    assert all(10 <= m.reports <= 14 for m in line_managers)
    senior_titles = set(line_managers.values_list("line_manager__job_title", flat=True))
    assert senior_titles <= {"Senior Manager", "Service Lead"}
    with_reports = User.objects.filter(direct_reports__isnull=False).distinct().count()
    assert with_reports == 1 + plan.departments + plan.senior_managers + plan.line_managers


def test_people_are_mostly_permanent_with_start_dates_over_ten_years(seeded):
    today = timezone.localdate()
    kinds = dict(User.objects.values_list("employment_type").annotate(n=Count("pk")).order_by())
    starts = User.objects.values_list("start_date", flat=True)

    assert kinds[User.EmploymentType.PERMANENT] > EMPLOYEES * 0.6
    assert len(kinds) >= 3
    assert min(starts) >= today - timedelta(days=3650)
    assert max(starts) - min(starts) > timedelta(days=5 * 365)


def test_a_few_percent_are_leavers_who_left_in_the_past(seeded):
    leavers = User.objects.filter(is_active=False)

    assert 0 < leavers.count() <= EMPLOYEES * 0.1
    assert all(p.end_date and p.end_date < timezone.localdate() for p in leavers)


def test_nobody_can_sign_in_with_a_seeded_password(seeded):
    hashes = set(User.objects.values_list("password", flat=True))

    assert len(hashes) == 1
    assert not User.objects.first().has_usable_password()


def test_role_holders_come_from_their_departments(seeded):
    hr = list(Group.objects.get(name=permissions.HR_GROUP).user_set.all())

    assert hr
    assert {person.department.name for person in hr} == {"Human Resources"}
    assert all(permissions.is_hr(person) for person in hr)


def test_every_active_person_is_assigned_the_policy_and_no_leaver_is(seeded):
    active = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    assigned = list(Assignment.objects.filter(version=seeded).values_list("user_id", flat=True))

    assert len(assigned) == len(active)
    assert set(assigned) == active


def test_about_seventy_percent_of_active_people_have_signed(seeded):
    assignments = Assignment.objects.filter(version=seeded)
    signed = assignments.filter(acknowledgement__isnull=False).count()

    assert 0.55 <= signed / assignments.count() <= 0.85
    assert Acknowledgement.objects.count() == signed


def test_some_are_overdue_and_the_rest_are_due(seeded):
    today = timezone.localdate()
    unsigned = Assignment.objects.filter(version=seeded, acknowledgement__isnull=True)
    overdue = unsigned.filter(due_date__lt=today).count()
    due = unsigned.filter(due_date__gte=today).count()
    total = Assignment.objects.filter(version=seeded).count()

    assert 0.02 <= overdue / total <= 0.2
    assert 0.1 <= due / total <= 0.3


def test_each_signature_is_linked_to_its_signers_assignment_since_publication(seeded):
    linked = Assignment.objects.filter(acknowledgement__isnull=False).select_related(
        "acknowledgement"
    )

    assert linked.exists()
    for assignment in linked:
        ack = assignment.acknowledgement
        assert (ack.user_id, ack.version_id) == (assignment.user_id, assignment.version_id)
        assert seeded.published_at <= ack.signed_at <= timezone.now()
        assert ack.body_sha256 == seeded.body_sha256


def test_the_signatures_form_a_chain_that_verifies(seeded):
    records = list(Acknowledgement.objects.order_by("sequence"))

    assert [r.sequence for r in records] == list(range(1, len(records) + 1))
    assert records[0].prev_hash == chain.GENESIS
    assert all(r.signed_at <= s.signed_at for r, s in pairwise(records))
    assert f"All {len(records)} acknowledgements verified" in verify()


def test_one_request_per_five_people_each_with_one_history_row(seeded):
    requests = AuthorisationRequest.objects.annotate(history=Count("events"))
    states = set(requests.values_list("state", flat=True))

    assert requests.count() == EMPLOYEES // 5
    assert all(r.history == 1 for r in requests)
    assert RequestEvent.objects.count() == EMPLOYEES // 5
    assert len(states) >= 4
    waiting = requests.filter(state=AuthorisationRequest.State.AWAITING_BUDGET_HOLDER)
    assert not waiting.filter(Q(budget_holder__isnull=True)).exists()


def test_the_summary_reports_what_was_made(db):
    output = seed()

    assert f"Seeded {EMPLOYEES:,} people" in output
    assert f"Requests: {EMPLOYEES // 5:,}." in output


def test_running_it_again_refuses_and_changes_nothing(seeded):
    with pytest.raises(CommandError) as refused:
        seed()

    assert f"already has {EMPLOYEES:,} people" in str(refused.value)
    assert "--force-add" in str(refused.value)
    assert User.objects.count() == EMPLOYEES


def test_a_database_with_more_than_a_handful_of_people_is_refused(db):
    UserFactory.create_batch(11)

    with pytest.raises(CommandError, match="already has 11 people"):
        seed()
    assert User.objects.count() == 11


def test_a_handful_of_existing_accounts_is_allowed(hr_user, employee):
    seed()

    assert User.objects.count() == EMPLOYEES + 3  # and the employee's line manager


def test_force_add_adds_a_second_company_and_the_chain_continues(seeded):
    first = Acknowledgement.objects.count()

    seed("--force-add")

    assert User.objects.count() == 2 * EMPLOYEES
    assert User.objects.values("employee_number").distinct().count() == 2 * EMPLOYEES
    total = Acknowledgement.objects.count()
    assert total > first
    assert f"All {total} acknowledgements verified" in verify()


def test_too_small_a_company_is_a_clear_error(db):
    with pytest.raises(CommandError, match="at least 20 employees"):
        call_command(Command(), "--employees", "5", stdout=StringIO())
    assert not User.objects.exists()
