"""Accounts ending: leavers after their last day, temporary workers after their access end date.

Every test passes a fixed ``now``; the UK clock changes (29 March and 25 October 2026) are where
a date taken in UTC instead of Europe/London would end an account an hour early or late.
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from acknowledgements import grants, publishing
from acknowledgements.models import PersonalUseGrant
from portal.models import AuditEvent, User
from requests import tasks
from requests.staff import changes as staff_changes
from requests.staff import lifecycle as staff_lifecycle
from requests.staff.models import StaffChange, StaffChangeTask
from tests.acknowledgements.factories import PersonalUseGrantFactory
from tests.factories import PASSWORD, UserFactory
from tests.requests.staff import (
    confirm_link,
    give,
    leaver_details,
    starter_details,
    temporary_details,
    tick,
)

Task = StaffChangeTask.Kind


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (last day, a moment in UTC, whether the account has ended by then)
CLOCK_CHANGES = [
    # Saturday before the clocks go forward: London is on GMT, so midnight is 00:00 UTC.
    (date(2026, 3, 28), at(2026, 3, 28, 23, 59), False),
    (date(2026, 3, 29), at(2026, 3, 28, 23, 59), False),
    (date(2026, 3, 28), at(2026, 3, 29, 0, 0, 30), True),
    # The Sunday they go forward: midnight after it is 23:00 UTC, still the 29th in UTC.
    (date(2026, 3, 29), at(2026, 3, 29, 22, 59), False),
    (date(2026, 3, 29), at(2026, 3, 29, 23, 0, 30), True),
    # Saturday before they go back: London is on BST, so midnight is 23:00 UTC the day before.
    (date(2026, 10, 24), at(2026, 10, 24, 22, 59), False),
    (date(2026, 10, 24), at(2026, 10, 24, 23, 0, 30), True),
    # The Sunday they go back: midnight after it is 00:00 UTC again.
    (date(2026, 10, 25), at(2026, 10, 25, 23, 30), False),
    (date(2026, 10, 25), at(2026, 10, 26, 0, 0, 30), True),
]


@pytest.mark.parametrize(("last_day", "now", "ended"), CLOCK_CHANGES)
def test_a_leavers_account_ends_at_midnight_in_london_after_the_last_day(
    manager, employee, last_day: date, now: datetime, ended: bool
) -> None:
    give(manager, leaver_details(employee, end_date=last_day), today=last_day - timedelta(7))
    assert staff_lifecycle.end_expired_access(now=now) == int(ended)
    employee.refresh_from_db()
    assert employee.is_active is not ended


@pytest.mark.parametrize(("end", "now", "ended"), CLOCK_CHANGES)
def test_a_temporary_account_ends_at_midnight_in_london_after_the_end_date(
    hr_user, manager, employee, department, it_user, end: date, now: datetime, ended: bool
) -> None:
    notice = give(
        hr_user,
        temporary_details(department, manager, start_date=end - timedelta(14), end_date=end),
        today=end - timedelta(21),
    )
    tick(it_user, notice, Task.TEMPORARY_ACCOUNT)
    staff_lifecycle.end_expired_access(now=now)
    person = User.objects.get(email="tara.agency@example.com")
    assert person.is_active is not ended


def test_an_extension_keeps_the_account_open_until_the_new_date(
    hr_user, manager, employee, department, it_user
) -> None:
    notice = give(hr_user, temporary_details(department, manager, end_date=date(2026, 4, 17)))
    tick(it_user, notice, Task.TEMPORARY_ACCOUNT)
    staff_changes.extend_access(
        actor=manager, notice=notice, end_date=date(2026, 5, 1), today=date(2026, 4, 10)
    )
    # The original date passes: nothing happens.
    assert staff_lifecycle.end_expired_access(now=at(2026, 4, 18, 9, 0)) == 0
    person = User.objects.get(email="tara.agency@example.com")
    assert person.is_active
    # The new one passes: the account ends.
    assert staff_lifecycle.end_expired_access(now=at(2026, 5, 1, 23, 5)) == 1
    person.refresh_from_db()
    assert not person.is_active


def test_ending_is_recorded_keeps_the_records_and_is_safe_to_run_twice(manager, employee) -> None:
    notice = give(manager, leaver_details(employee, end_date=date(2026, 3, 27)))
    now = at(2026, 3, 28, 0, 5)
    assert staff_lifecycle.end_expired_access(now=now) == 1

    employee.refresh_from_db()
    notice.refresh_from_db()
    assert not employee.is_active
    assert not employee.has_usable_password()
    assert employee.end_date == date(2026, 3, 27)
    assert notice.account_ended_at == now
    assert notice.state == StaffChange.State.OPEN  # IT's tasks are still IT's to tick
    event = AuditEvent.objects.get(action="user.deactivated")
    assert event.actor is None
    assert event.object_id == str(employee.pk)
    assert event.data == {"reason": "leaver", "notice": notice.pk}

    events = AuditEvent.objects.count()
    assert staff_lifecycle.end_expired_access(now=now + timedelta(hours=1)) == 0
    assert AuditEvent.objects.count() == events
    notice.refresh_from_db()
    assert notice.account_ended_at == now


def test_an_open_session_is_refused_on_its_next_request(client: Client, manager, employee) -> None:
    give(manager, leaver_details(employee, end_date=date(2026, 3, 27)))
    response = client.post("/accounts/login/", {"username": employee.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    session_key = client.session.session_key

    staff_lifecycle.end_expired_access(now=at(2026, 3, 28, 0, 5))

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    # Nor does the session come back if someone reactivates the account by hand: it is tied to
    # the password's hash, which changed, so Django flushes it.
    User.objects.filter(pk=employee.pk).update(is_active=True)
    assert client.get("/").status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()
    User.objects.filter(pk=employee.pk).update(is_active=False)
    # And signing in again is refused.
    response = client.post("/accounts/login/", {"username": employee.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"That email address and password do not match our records." in response.content


def test_personal_use_is_revoked_when_access_ends(manager, employee) -> None:
    grant = PersonalUseGrantFactory(employee=employee, granted_by=manager)
    give(manager, leaver_details(employee, end_date=date(2026, 3, 27)))
    now = at(2026, 3, 28, 0, 5)
    staff_lifecycle.end_expired_access(now=now)

    grant.refresh_from_db()
    assert grant.revoked_at == now
    assert grant.revoked_by is None
    assert grant.revocation_note == grants.ACCESS_ENDED_NOTE
    assert grants.history_row(grant, date(2026, 3, 28)).state == "revoked"
    event = AuditEvent.objects.get(action="personal_use.revoked")
    assert event.data == {"employee": employee.pk, "replaced": False, "access_ended": True}


def test_hrs_leaver_notice_never_ends_a_role_holders_account(hr_user, employee) -> None:
    """HR names the IT administrator as a leaver, last day yesterday: the hourly job leaves that
    account to an administrator (the notice's access task stays open for IT), and still ends a
    plain employee's."""
    admin = UserFactory(
        email="it.admin@example.com",
        is_staff=True,
        is_superuser=True,
        department=employee.department,
    )
    last_day = date(2026, 3, 20)
    give(hr_user, leaver_details(admin, end_date=last_day), today=last_day - timedelta(7))
    give(hr_user, leaver_details(employee, end_date=last_day), today=last_day - timedelta(7))

    assert staff_lifecycle.end_expired_access(now=at(2026, 3, 23, 9, 0)) == 1
    admin.refresh_from_db()
    employee.refresh_from_db()
    assert (admin.is_active, admin.has_usable_password()) == (True, True)
    assert employee.is_active is False
    # The next run still leaves it alone.
    assert staff_lifecycle.end_expired_access(now=at(2026, 3, 23, 10, 0)) == 0
    assert User.objects.get(pk=admin.pk).is_active


def test_a_cancelled_leaver_notice_ends_nothing(manager, employee) -> None:
    notice = give(manager, leaver_details(employee, end_date=date(2026, 3, 27)))
    staff_changes.cancel_notice(actor=manager, notice=notice, reason="Staying on.")
    assert staff_lifecycle.end_expired_access(now=at(2026, 4, 1, 9, 0)) == 0
    employee.refresh_from_db()
    assert employee.is_active


def test_a_temporary_worker_taken_on_as_a_starter_keeps_their_account(
    hr_user, manager, employee, department, it_user
) -> None:
    publishing.load_seed_policy()
    temporary = give(hr_user, temporary_details(department, manager, end_date=date(2026, 4, 17)))
    tick(it_user, temporary, Task.TEMPORARY_ACCOUNT)
    starter = give(
        hr_user,
        starter_details(
            department, manager, first_name="Tara", last_name="Agency",
            email="tara.agency@example.com", employee_number="", start_date=date(2026, 4, 20),
        ),
        today=date(2026, 4, 10),
    )  # fmt: skip
    person = User.objects.get(email="tara.agency@example.com")
    confirm_link(it_user, starter, person)  # an active account: linked as it is
    assert staff_lifecycle.end_expired_access(now=at(2026, 4, 18, 9, 0)) == 0
    person.refresh_from_db()
    assert person.is_active
    # The directory is HR's to change: linking the starter notice re-types nothing.
    assert person.employment_type == User.EmploymentType.TEMPORARY


def test_a_temporary_notice_naming_an_active_account_never_ends_it(
    manager, employee, department, it_user
) -> None:
    # A temporary-worker notice for an existing member of staff, linked to their account (as
    # a notice could be before the rules on naming existing accounts): their account is not the
    # notice's to end.
    victim = UserFactory(groups=["IT"], is_superuser=True)
    notice = StaffChange.objects.create(
        kind=StaffChange.Kind.TEMPORARY, first_name="Ivan", last_name="Owned",
        email=victim.email, person=victim, line_manager=manager, submitted_by=manager,
        start_date=date(2026, 3, 16), end_date=date(2026, 3, 20),
    )  # fmt: skip
    leaver = give(manager, leaver_details(employee, end_date=date(2026, 3, 20)))
    assert staff_lifecycle.end_expired_access(now=at(2026, 3, 23, 9, 0)) == 1  # the leaver only
    victim.refresh_from_db()
    assert victim.is_active and victim.has_usable_password()
    notice.refresh_from_db()
    leaver.refresh_from_db()
    assert notice.account_ended_at is None and leaver.account_ended_at is not None


@pytest.mark.parametrize("leavers", [1, 15])
def test_ending_access_takes_the_same_queries_for_any_number(
    hr_user, manager, employee, leavers: int
) -> None:
    people = [UserFactory(line_manager=manager) for _ in range(leavers)]
    for person in people:
        give(hr_user, leaver_details(person, end_date=date(2026, 3, 27)))
        PersonalUseGrantFactory(employee=person, granted_by=manager)
    with CaptureQueriesContext(connection) as queries:
        ended = staff_lifecycle.end_expired_access(now=at(2026, 3, 28, 0, 5))
    assert ended == leavers
    assert not User.objects.filter(pk__in=[p.pk for p in people], is_active=True).exists()
    assert not PersonalUseGrant.objects.filter(revoked_at__isnull=True).exists()
    # Savepoints aside: the notices, the people, three updates, the grants and two audit writes.
    statements = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 8


def test_the_hourly_task_runs_the_service_and_is_on_the_schedule(manager, employee) -> None:
    last_day = timezone.localdate() - timedelta(days=2)
    give(manager, leaver_details(employee, end_date=last_day), today=last_day)
    assert tasks.end_expired_access.apply().get() == 1
    employee.refresh_from_db()
    assert not employee.is_active
    entry = settings.CELERY_BEAT_SCHEDULE["staff-end-access"]
    assert entry["task"] == "portal.tasks.run_scheduled_job"
    assert entry["args"] == ["staff-end-access"]
    assert entry["schedule"].minute == {5}
    assert entry["schedule"].hour == set(range(24))


def test_the_migration_reads_what_each_account_task_did_from_the_audit_log(
    hr_user, manager, employee, department, it_user
) -> None:
    from django.apps import apps

    migration = importlib.import_module("requests.migrations.0003_notices_account_action")
    made = give(hr_user, temporary_details(department, manager))
    tick(it_user, made, Task.TEMPORARY_ACCOUNT)
    returner = UserFactory(email="back@example.com", is_active=False)
    back = give(
        hr_user,
        starter_details(department, manager, email=returner.email, employee_number=""),
    )
    confirm_link(it_user, back, returner)
    linked = give(manager, temporary_details(department, email=employee.email, first_name="E"))
    confirm_link(it_user, linked, employee)
    leaver = give(hr_user, leaver_details(employee, end_date=date(2026, 3, 27)))
    StaffChange.objects.update(account_action="")  # as before the column existed

    migration.from_the_audit_log(apps, None)

    actions = dict(StaffChange.objects.values_list("pk", "account_action"))
    assert actions == {
        made.pk: "created",
        back.pk: "reactivated",
        linked.pk: "linked",
        leaver.pk: "",
    }
