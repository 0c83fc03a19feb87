"""The scheduled duties of starters', leavers' and temporary workers' notices.

Each job is run for a fixed moment; the calendar test runs every one of them at its scheduled
UK time on each of 400 days (through both clock changes) and checks the exact notices sent.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal import scheduling
from portal.models import Notification, User
from requests.staff import changes as staff_changes
from requests.staff import jobs as staff_jobs
from requests.staff.models import StaffChange, StaffChangeTask
from tests.factories import UserFactory
from tests.requests.staff import give, leaver_details, starter_details, temporary_details, tick

LONDON = ZoneInfo("Europe/London")
Task = StaffChangeTask.Kind


def morning(day: date, hour: int = 7, minute: int = 15) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def keys(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("dedupe_key", flat=True))


@pytest.fixture
def it_team(it_user) -> list[User]:
    second = UserFactory(email="it2@example.com", groups=["IT"])
    return [it_user, second]


# --- Starters in 3 days ------------------------------------------------------------------------
def test_it_hears_of_a_starter_three_days_ahead_once(hr_user, department, manager, it_team):
    notice = give(hr_user, starter_details(department, manager, start_date=date(2026, 3, 30)))
    assert staff_jobs.starters_job(morning(date(2026, 3, 26))).notices == 0  # 4 days ahead
    result = staff_jobs.starters_job(morning(date(2026, 3, 27)))
    assert (result.found, result.notices) == (1, 2)
    assert keys(staff_jobs.STARTER_KIND) == {
        f"staff-starter-soon:{notice.pk}:{member.pk}" for member in it_team
    }
    # Run again the same day, and on the following days: nothing more.
    for day in (27, 28, 29, 30):
        assert staff_jobs.starters_job(morning(date(2026, 3, day))).notices == 0
    message = Notification.objects.filter(kind=staff_jobs.STARTER_KIND).first()
    assert "Sam Taylor" in message.subject and "3 days" in message.subject


def test_a_missed_morning_is_made_up_before_the_start(hr_user, department, manager, it_team):
    give(hr_user, starter_details(department, manager, start_date=date(2026, 3, 30)))
    assert staff_jobs.starters_job(morning(date(2026, 3, 29))).notices == 2


def test_no_reminder_once_its_tasks_are_done(hr_user, department, manager, it_team):
    notice = give(hr_user, starter_details(department, manager, start_date=date(2026, 3, 30)))
    for task in notice.tasks.all():
        StaffChangeTask.objects.filter(pk=task.pk).update(completed_at=morning(date(2026, 3, 20)))
    assert staff_jobs.starters_job(morning(date(2026, 3, 27))).notices == 0


# --- Overdue tasks -----------------------------------------------------------------------------
def test_it_gets_one_digest_a_day_while_tasks_are_overdue(hr_user, manager, employee, it_team):
    notice = give(hr_user, leaver_details(employee, end_date=date(2026, 3, 27)))
    # Access revoked is due on the last day, so it is overdue from the 28th.
    assert staff_jobs.overdue_job(morning(date(2026, 3, 27))).notices == 0
    assert staff_jobs.overdue_job(morning(date(2026, 3, 28))).notices == 2
    assert staff_jobs.overdue_job(morning(date(2026, 3, 28))).notices == 0  # twice a day
    assert staff_jobs.overdue_job(morning(date(2026, 3, 29))).notices == 2
    for task in notice.tasks.all():
        tick(it_team[0], notice, task.kind, now=morning(date(2026, 3, 29), 9))
    assert staff_jobs.overdue_job(morning(date(2026, 3, 30))).notices == 0
    message = Notification.objects.filter(kind=staff_jobs.OVERDUE_KIND).first()
    assert "1 staff change task overdue" in message.subject


# --- Temporary workers ---------------------------------------------------------------------------
def test_the_manager_hears_a_week_before_access_ends_and_again_after_an_extension(
    hr_user, department, manager, it_team
):
    notice = give(hr_user, temporary_details(department, manager, end_date=date(2026, 4, 17)))
    assert staff_jobs.temporary_job(morning(date(2026, 4, 9))).notices == 0  # 8 days ahead
    assert staff_jobs.temporary_job(morning(date(2026, 4, 10))).notices == 1
    assert staff_jobs.temporary_job(morning(date(2026, 4, 11))).notices == 0
    staff_changes.extend_access(
        actor=manager, notice=notice, end_date=date(2026, 5, 15), today=date(2026, 4, 12)
    )
    assert staff_jobs.temporary_job(morning(date(2026, 4, 17))).notices == 0
    assert staff_jobs.temporary_job(morning(date(2026, 5, 8))).notices == 1
    assert keys(staff_jobs.TEMPORARY_KIND) == {
        f"staff-temporary-ending:{notice.pk}:2026-04-17",
        f"staff-temporary-ending:{notice.pk}:2026-05-15",
    }
    assert set(
        Notification.objects.filter(kind=staff_jobs.TEMPORARY_KIND).values_list(
            "recipient", flat=True
        )
    ) == {manager.pk}


def test_ending_access_is_a_recorded_job(hr_user, manager, employee):
    give(hr_user, leaver_details(employee, end_date=date(2026, 3, 27)))
    run = scheduling.run_job("staff-end-access", now=morning(date(2026, 3, 28), 0, 5))
    assert run.found == 1 and "1 account(s) ended" in run.summary
    employee.refresh_from_db()
    assert not employee.is_active


def test_the_staff_jobs_are_registered_and_scheduled() -> None:
    from django.conf import settings

    for name in (
        "staff-end-access",
        "staff-starters",
        "staff-overdue-tasks",
        "staff-temporary-ending",
    ):
        assert name in scheduling.JOBS
        assert settings.CELERY_BEAT_SCHEDULE[name]["args"] == [name]


# --- A year and more, day by day ---------------------------------------------------------------
def test_a_calendar_of_400_days_sends_each_notice_exactly_once(
    hr_user, department, manager, employee, it_user
):
    """From 1 March 2026 to 4 April 2027, through 29 March and 25 October 2026: every staff job
    at its scheduled time each day (the hourly end of access at 00:05), after the notices are
    given and IT works through them on the days shown."""
    first = date(2026, 3, 1)
    days = [first + timedelta(days=n) for n in range(400)]
    # Given on 1 March: a starter on Monday 30 March (the day after the clocks go forward), a
    # temporary worker until 23 October (the Friday before they go back), extended on
    # 20 October to 30 October; a leaver whose last day is Sunday 25 October.
    starter = give(hr_user, starter_details(department, manager), today=first)
    temporary = give(
        hr_user,
        temporary_details(
            department, manager, start_date=date(2026, 3, 9), end_date=date(2026, 10, 23)
        ),
        today=first,
    )
    leaver = give(hr_user, leaver_details(employee, end_date=date(2026, 10, 25)), today=first)
    done: dict[date, list[tuple[StaffChange, str]]] = {
        # IT finishes the starter's account and equipment on 31 March (a day late for both).
        date(2026, 3, 31): [(starter, Task.ACCOUNT_CREATED), (starter, Task.EQUIPMENT_ISSUED)],
        date(2026, 4, 2): [(starter, Task.POLICY_SIGNED)],
        date(2026, 3, 20): [(temporary, Task.TEMPORARY_ACCOUNT)],
        date(2026, 10, 26): [(leaver, Task.ACCESS_REVOKED)],
        date(2026, 10, 28): [(leaver, Task.EQUIPMENT_RETURNED)],
        date(2026, 11, 2): [(temporary, Task.ACCESS_REVOKED)],
    }
    overdue_days: list[date] = []
    for day in days:
        if day == date(2026, 10, 20):
            staff_changes.extend_access(
                actor=manager, notice=temporary, end_date=date(2026, 10, 30), today=day
            )
        scheduling.run_job("staff-end-access", now=morning(day, 0, 5))
        for name in ("staff-starters", "staff-overdue-tasks", "staff-temporary-ending"):
            scheduling.run_job(name, now=morning(day))
        if StaffChangeTask.objects.filter(
            completed_at__isnull=True, due_date__lt=day, notice__state=StaffChange.State.OPEN
        ).exists():
            overdue_days.append(day)
        for notice, kind in done.get(day, []):
            notice.refresh_from_db()
            if kind == Task.POLICY_SIGNED:
                tick(
                    it_user,
                    notice,
                    kind,
                    override_reason="Signed on paper at induction.",
                    now=morning(day, 10),
                )
            else:
                tick(it_user, notice, kind, now=morning(day, 10))

    assert keys(staff_jobs.STARTER_KIND) == {f"staff-starter-soon:{starter.pk}:{it_user.pk}"}
    assert keys(staff_jobs.TEMPORARY_KIND) == {
        f"staff-temporary-ending:{temporary.pk}:2026-10-23",
        f"staff-temporary-ending:{temporary.pk}:2026-10-30",
    }
    assert overdue_days  # the starter's late account, at least
    assert keys(staff_jobs.OVERDUE_KIND) == {
        f"staff-tasks-overdue:{day.isoformat()}:{it_user.pk}" for day in overdue_days
    }
    # Each notice went to one person once: nothing duplicated.
    sent = Notification.objects.filter(kind__startswith="staff-")
    assert sent.count() == len(set(sent.values_list("dedupe_key", flat=True)))
    # Accounts ended at midnight after the last day: the temporary worker after the extension.
    employee.refresh_from_db()
    temporary.refresh_from_db()
    leaver.refresh_from_db()
    assert not employee.is_active
    assert timezone_date(leaver.account_ended_at) == date(2026, 10, 26)
    assert timezone_date(temporary.account_ended_at) == date(2026, 10, 31)
    # The starter's notice closed when its last task was ticked.
    starter.refresh_from_db()
    assert starter.state == StaffChange.State.CLOSED


def timezone_date(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(LONDON).date()
