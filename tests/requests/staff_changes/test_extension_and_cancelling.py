"""A temporary worker's notice extended, and notices cancelled."""

from __future__ import annotations

from datetime import date

import pytest

from portal.models import AuditEvent, Notification, User
from requests.staff import changes as staff_changes
from tests.requests.staff import TODAY, give, leaver_details, tick
from tests.requests.staff_changes.helpers import State, Task, snapshot


# --- Temporary workers: extension -------------------------------------------------------------
def test_a_temporary_account_ends_on_the_access_end_date(temporary) -> None:
    person = temporary.person
    assert person.employment_type == User.EmploymentType.TEMPORARY
    assert (person.start_date, person.end_date) == (date(2026, 3, 23), date(2026, 4, 17))


@pytest.mark.parametrize("actor", ["manager", "hr_user"])
def test_the_manager_or_hr_extends_a_temporary_workers_access(
    request, temporary, actor, it_user
) -> None:
    staff_changes.extend_access(
        actor=request.getfixturevalue(actor),
        notice=temporary,
        end_date=date(2026, 5, 15),
        today=TODAY,
    )
    temporary.refresh_from_db()
    assert temporary.end_date == date(2026, 5, 15)
    assert temporary.tasks.get(kind=Task.ACCESS_REVOKED).due_date == date(2026, 5, 15)
    assert User.objects.get(pk=temporary.person_id).end_date == date(2026, 5, 15)
    event = AuditEvent.objects.get(action="staff_change.extended")
    assert event.data == {"from": "2026-04-17", "to": "2026-05-15"}
    told = Notification.objects.get(kind="staff-change-update", recipient=it_user)
    assert "extended from 17 April 2026 to 15 May 2026" in told.body_text


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (date(2026, 4, 17), "Choose a date after the current access end date, 17 April 2026."),
        (date(2026, 4, 1), "Choose a date after the current access end date, 17 April 2026."),
    ],
)
def test_an_extension_must_move_the_date_later(temporary, manager, end, message) -> None:
    before = snapshot()
    with pytest.raises(staff_changes.TaskRefused) as refused:
        staff_changes.extend_access(actor=manager, notice=temporary, end_date=end, today=TODAY)
    assert str(refused.value) == message
    assert snapshot() == before


def test_an_extension_cannot_end_in_the_past(temporary, manager) -> None:
    with pytest.raises(staff_changes.TaskRefused, match="has already passed"):
        staff_changes.extend_access(
            actor=manager, notice=temporary, end_date=date(2026, 4, 20), today=date(2026, 4, 21)
        )


@pytest.mark.parametrize("actor", ["employee", "outsider", "it_user"])
def test_only_the_manager_or_hr_extend(request, temporary, actor) -> None:
    with pytest.raises(staff_changes.TaskRefused, match="line manager or HR"):
        staff_changes.extend_access(
            actor=request.getfixturevalue(actor),
            notice=temporary,
            end_date=date(2026, 5, 15),
            today=TODAY,
        )


def test_nothing_to_extend_once_access_is_revoked(temporary, manager, it_user) -> None:
    tick(it_user, temporary, Task.ACCESS_REVOKED)
    with pytest.raises(staff_changes.TaskRefused, match="is closed"):
        staff_changes.extend_access(
            actor=manager, notice=temporary, end_date=date(2026, 5, 15), today=TODAY
        )


def test_a_leaver_has_no_end_date_to_extend(manager, employee) -> None:
    notice = give(manager, leaver_details(employee))
    with pytest.raises(staff_changes.TaskRefused, match="Only a temporary worker"):
        staff_changes.extend_access(
            actor=manager, notice=notice, end_date=date(2026, 5, 15), today=TODAY
        )


# --- Cancelling -------------------------------------------------------------------------------
def test_cancelling_needs_a_reason_and_tells_it(manager, employee, it_user) -> None:
    notice = give(manager, leaver_details(employee))
    with pytest.raises(staff_changes.TaskRefused, match="Say why"):
        staff_changes.cancel_notice(actor=manager, notice=notice, reason="  ")
    staff_changes.cancel_notice(actor=manager, notice=notice, reason="They are staying.")
    notice.refresh_from_db()
    assert (notice.state, notice.cancel_reason) == (State.CANCELLED, "They are staying.")
    told = Notification.objects.get(kind="staff-change-update", recipient=it_user)
    assert "They are staying." in told.body_text


def test_an_outsider_cannot_cancel(manager, employee, outsider) -> None:
    notice = give(manager, leaver_details(employee))
    with pytest.raises(staff_changes.TaskRefused):
        staff_changes.cancel_notice(actor=outsider, notice=notice, reason="No.")
