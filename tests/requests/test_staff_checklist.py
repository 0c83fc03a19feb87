"""IT's checklist: which tasks each notice gets, and the dates they fall due."""

from __future__ import annotations

from datetime import date

import pytest

from requests.staff import checklist as staff_checklist
from requests.staff.models import StaffChange, StaffChangeTask

Kind = StaffChange.Kind
Task = StaffChangeTask.Kind


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 3, 2), 5, date(2026, 3, 9)),  # Monday + 5 working days: next Monday
        (date(2026, 3, 6), 5, date(2026, 3, 13)),  # Friday: the weekend does not count
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday: Monday is the first working day
        (date(2026, 3, 27), 5, date(2026, 4, 3)),  # across the clock change on 29 March
        (date(2026, 10, 23), 5, date(2026, 10, 30)),  # across the clock change on 25 October
        (date(2026, 3, 4), 0, date(2026, 3, 4)),
    ],
)
def test_working_days_are_monday_to_friday(start: date, count: int, expected: date) -> None:
    assert staff_checklist.add_working_days(start, count) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 4), date(2026, 3, 3)),  # Wednesday: Tuesday
        (date(2026, 3, 9), date(2026, 3, 6)),  # Monday: the Friday before
        (date(2026, 3, 8), date(2026, 3, 6)),  # Sunday: Friday
        (date(2026, 3, 30), date(2026, 3, 27)),  # Monday after the clocks go forward
    ],
)
def test_the_working_day_before(day: date, expected: date) -> None:
    assert staff_checklist.working_day_before(day) == expected


def _due(notice: StaffChange) -> dict[str, date]:
    return {task.kind: task.due_date for task in staff_checklist.tasks_for(notice)}


def test_a_starter_is_ready_before_the_first_day_and_signs_within_seven_days() -> None:
    # Starting on Monday 30 March 2026, the day after the clocks go forward.
    notice = StaffChange(kind=Kind.STARTER, start_date=date(2026, 3, 30))
    assert _due(notice) == {
        Task.ACCOUNT_CREATED: date(2026, 3, 27),
        Task.EQUIPMENT_ISSUED: date(2026, 3, 27),
        Task.POLICY_SIGNED: date(2026, 4, 6),
    }
    assert [t.kind for t in staff_checklist.tasks_for(notice)] == [
        Task.ACCOUNT_CREATED,
        Task.EQUIPMENT_ISSUED,
        Task.POLICY_SIGNED,
    ]


def test_a_leaver_loses_access_on_the_last_day_and_returns_kit_within_five_working_days() -> None:
    # Last day Friday 23 October 2026; the clocks go back on Sunday 25 October.
    notice = StaffChange(kind=Kind.LEAVER, end_date=date(2026, 10, 23))
    assert _due(notice) == {
        Task.ACCESS_REVOKED: date(2026, 10, 23),
        Task.EQUIPMENT_RETURNED: date(2026, 10, 30),
    }


def test_a_temporary_worker_gets_an_expiring_account_and_loses_access_at_the_end() -> None:
    notice = StaffChange(
        kind=Kind.TEMPORARY, start_date=date(2026, 4, 6), end_date=date(2026, 5, 1)
    )
    assert _due(notice) == {
        Task.TEMPORARY_ACCOUNT: date(2026, 4, 3),
        Task.ACCESS_REVOKED: date(2026, 5, 1),
    }
