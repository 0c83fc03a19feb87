"""Reads about starters, leavers and temporary workers, with a fixed "today".

The three selections at the end are what the scheduled reminders build on; each is one query
whatever the numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from acknowledgements import publishing
from requests.models import AuthorisationRequest, Kind
from requests.staff import changes as staff_changes
from requests.staff import selectors as staff_selectors
from requests.staff.models import StaffChange, StaffChangeTask
from tests.acknowledgements.factories import PersonalUseGrantFactory
from tests.factories import UserFactory
from tests.requests.factories import AuthorisationRequestFactory
from tests.requests.staff import give, leaver_details, starter_details, temporary_details, tick

Task = StaffChangeTask.Kind
State = AuthorisationRequest.State


def newcomer(hr_user, manager, department, n: int, **fields: object) -> StaffChange:
    fields.setdefault("email", f"new{n}@example.com")
    fields.setdefault("employee_number", f"N{n:04d}")
    return give(hr_user, starter_details(department, manager, **fields))


# --- Who sees what ----------------------------------------------------------------------------
def test_a_manager_sees_only_notices_for_their_reports(
    hr_user, manager, employee, outsider, it_user, department
) -> None:
    mine = give(manager, leaver_details(employee))
    theirs = give(hr_user, leaver_details(outsider))
    assert list(staff_selectors.visible_notices(manager)) == [mine]
    assert set(staff_selectors.visible_notices(hr_user)) == {mine, theirs}
    assert set(staff_selectors.visible_notices(it_user)) == {mine, theirs}
    assert not staff_selectors.visible_notices(employee).exists()
    assert list(staff_selectors.visible_notices(outsider.line_manager)) == [theirs]


# --- The board --------------------------------------------------------------------------------
def test_the_board_puts_the_soonest_open_task_first_and_counts_overdue(
    hr_user, manager, employee, department, it_user
) -> None:
    later = newcomer(hr_user, manager, department, 1, start_date=date(2026, 4, 20))
    sooner = newcomer(hr_user, manager, department, 2, start_date=date(2026, 3, 23))
    leaving = give(manager, leaver_details(employee, end_date=date(2026, 3, 18)))
    tick(it_user, leaving, Task.ACCESS_REVOKED)  # its next task: equipment back by 25 March

    rows = list(staff_selectors.board(today=date(2026, 3, 26)))
    assert rows == [sooner, leaving, later]
    assert [r.next_due for r in rows] == [date(2026, 3, 20), date(2026, 3, 25), date(2026, 4, 17)]
    # On 26 March, sooner's account and equipment (due 20 March) and the return (25th) are late.
    assert [r.overdue for r in rows] == [2, 1, 0]
    assert [(r.done, r.task_count) for r in rows] == [(0, 3), (1, 2), (0, 3)]


def test_the_board_filters_by_kind_and_state(hr_user, manager, employee, department) -> None:
    starter = newcomer(hr_user, manager, department, 1)
    leaver = give(manager, leaver_details(employee))
    staff_changes.cancel_notice(actor=hr_user, notice=starter, reason="Offer withdrawn.")
    assert list(staff_selectors.board(today=date(2026, 3, 16))) == [leaver]
    assert list(staff_selectors.board(state="cancelled", today=date(2026, 3, 16))) == [starter]
    assert list(staff_selectors.board(kind="starter", state="all")) == [starter]


# --- What a leaver holds ----------------------------------------------------------------------
def test_holdings_list_authorised_kit_and_software_and_the_personal_use_grant(
    manager, employee
) -> None:
    laptop = AuthorisationRequestFactory(
        requester=employee, kind=Kind.HARDWARE, item="Laptop", state=State.FULFILLED
    )
    phone = AuthorisationRequestFactory(
        requester=employee, kind=Kind.HARDWARE, item="Phone", state=State.APPROVED
    )
    software = AuthorisationRequestFactory(
        requester=employee, kind=Kind.SUBSCRIPTION, item="Care Planner", state=State.FULFILLED
    )
    for state in (State.REJECTED, State.AWAITING_IT, State.WITHDRAWN):
        AuthorisationRequestFactory(requester=employee, kind=Kind.HARDWARE, state=state)
    AuthorisationRequestFactory(requester=manager, kind=Kind.HARDWARE, state=State.FULFILLED)
    PersonalUseGrantFactory(employee=employee, granted_by=manager)

    held = staff_selectors.holdings(employee)
    assert {r.pk for r in held.hardware} == {laptop.pk, phone.pk}
    assert [r.pk for r in held.software] == [software.pk]
    assert held.personal_use.state == "current"
    assert not held.is_empty


def test_someone_with_nothing_holds_nothing(employee) -> None:
    assert staff_selectors.holdings(employee).is_empty


def test_policy_state_follows_the_signature(hr_user, manager, employee, department, it_user):
    publishing.load_seed_policy()
    notice = newcomer(hr_user, manager, department, 1)
    tick(it_user, notice, Task.ACCOUNT_CREATED)
    notice.refresh_from_db()
    state = staff_selectors.policy_state(notice.person)
    assert not state.signed
    assert state.due_date is not None
    assert not staff_selectors.has_signed_policy(notice.person)


# --- For the reminders ------------------------------------------------------------------------
def test_starters_beginning_in_n_days_with_work_left(
    hr_user, manager, employee, department, it_user
) -> None:
    due = newcomer(hr_user, manager, department, 1, start_date=date(2026, 3, 19))
    finished = newcomer(hr_user, manager, department, 2, start_date=date(2026, 3, 19))
    for kind in (Task.ACCOUNT_CREATED, Task.EQUIPMENT_ISSUED):
        tick(it_user, finished, kind)
    tick(it_user, finished, Task.POLICY_SIGNED, override_reason="On paper.")
    newcomer(hr_user, manager, department, 3, start_date=date(2026, 3, 20))
    cancelled = newcomer(hr_user, manager, department, 4, start_date=date(2026, 3, 19))
    staff_changes.cancel_notice(actor=hr_user, notice=cancelled, reason="Withdrawn.")

    assert list(staff_selectors.starters_beginning_in(3, today=date(2026, 3, 16))) == [due]
    assert not staff_selectors.starters_beginning_in(2, today=date(2026, 3, 16)).exists()


def test_overdue_tasks_of_open_notices(hr_user, manager, employee, department, it_user) -> None:
    notice = give(manager, leaver_details(employee, end_date=date(2026, 10, 23)))
    other = newcomer(hr_user, manager, department, 1, start_date=date(2026, 10, 26))
    staff_changes.cancel_notice(actor=hr_user, notice=other, reason="Withdrawn.")

    # Saturday 24 October at 23:30 UTC is already Sunday 25th in London (BST until 02:00).
    today = timezone.localdate(datetime(2026, 10, 24, 23, 30, tzinfo=UTC))
    assert today == date(2026, 10, 25)
    late = list(staff_selectors.overdue_tasks(today=today))
    assert [(t.notice, t.kind) for t in late] == [(notice, Task.ACCESS_REVOKED)]
    # On the last day itself nothing is late yet.
    assert not staff_selectors.overdue_tasks(today=date(2026, 10, 23)).exists()
    # After the five working days (Friday 30 October) the equipment is late too.
    kinds = [t.kind for t in staff_selectors.overdue_tasks(today=date(2026, 10, 31))]
    assert kinds == [Task.ACCESS_REVOKED, Task.EQUIPMENT_RETURNED]


def test_temporary_access_ending_in_n_days(hr_user, manager, employee, department) -> None:
    ending = give(hr_user, temporary_details(department, manager, end_date=date(2026, 4, 17)))
    give(
        hr_user,
        temporary_details(
            department, manager, email="other.temp@example.com", end_date=date(2026, 4, 18)
        ),
    )
    assert list(staff_selectors.temporary_access_ending_in(7, today=date(2026, 4, 10))) == [ending]
    StaffChange.objects.filter(pk=ending.pk).update(account_ended_at=timezone.now())
    assert not staff_selectors.temporary_access_ending_in(7, today=date(2026, 4, 10)).exists()


@pytest.mark.parametrize("count", [1, 12])
def test_each_reminder_selection_is_one_query(
    django_assert_num_queries, hr_user, manager, employee, department, count: int
) -> None:
    for n in range(count):
        newcomer(hr_user, manager, department, n, start_date=date(2026, 3, 19))
        give(
            hr_user,
            temporary_details(
                department, manager, email=f"t{n}@example.com", end_date=date(2026, 3, 23)
            ),
        )
    with django_assert_num_queries(1):
        starters = list(staff_selectors.starters_beginning_in(3, today=date(2026, 3, 16)))
    with django_assert_num_queries(1):
        late = list(staff_selectors.overdue_tasks(today=date(2026, 3, 25)))
    with django_assert_num_queries(1):
        ending = list(staff_selectors.temporary_access_ending_in(7, today=date(2026, 3, 16)))
    assert len(starters) == len(ending) == count
    assert len(late) == 4 * count  # two starter tasks, the temporary account, the revocation
    assert {t.notice.line_manager for t in late} == {manager}


def test_unknown_people_see_nothing(db) -> None:
    assert not staff_selectors.visible_notices(UserFactory()).exists()
