"""IT's checklist for a starter, leaver, temporary worker or mover: which tasks, and when each
is due.

Dates are calendar dates in Europe/London (the notice's own dates); "today" is always
``timezone.localdate()`` or a date the caller passes, never the date in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from requests.staff.models import StaffChange, StaffChangeTask

Kind = StaffChange.Kind
Task = StaffChangeTask.Kind

# Working days are Monday to Friday. Bank holidays are not modelled: they differ between the
# nations the company works in, and a due date that falls on one is only a day early.
WORKING_WEEKDAYS = frozenset(range(5))
EQUIPMENT_RETURN_WORKING_DAYS = 5
# Policy 4.6 and the acknowledgement rules: a new starter signs within 7 days of starting.
POLICY_DAYS_AFTER_START = 7


def is_working_day(day: date) -> bool:
    return day.weekday() in WORKING_WEEKDAYS


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_day_before(day: date) -> date:
    """The last working day before ``day``: what "before the start date" means for IT."""
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class TaskRule:
    kind: str
    due: Callable[[StaffChange], date]
    hint: str  # shown under the task on the notice page


def _before_start(notice: StaffChange) -> date:
    return working_day_before(notice.start_date)


def _policy_due(notice: StaffChange) -> date:
    return notice.start_date + timedelta(days=POLICY_DAYS_AFTER_START)


def _on_end(notice: StaffChange) -> date:
    return notice.end_date


def _equipment_back(notice: StaffChange) -> date:
    return add_working_days(notice.end_date, EQUIPMENT_RETURN_WORKING_DAYS)


def _on_move(notice: StaffChange) -> date:
    return notice.effective_date


def _equipment_moved(notice: StaffChange) -> date:
    return add_working_days(notice.effective_date, EQUIPMENT_RETURN_WORKING_DAYS)


CHECKLISTS: dict[str, tuple[TaskRule, ...]] = {
    Kind.STARTER: (
        TaskRule(
            Task.ACCOUNT_CREATED,
            _before_start,
            "Ticking this creates their portal account, asks them to sign the policy and "
            "sends them an invitation to choose a password. If they are already in the staff "
            "directory, you are shown the differences to confirm before anything is linked.",
        ),
        TaskRule(Task.EQUIPMENT_ISSUED, _before_start, "Ready for their first day."),
        TaskRule(
            Task.POLICY_SIGNED,
            _policy_due,
            "Within 7 days of starting. Give access to systems once the policy is signed; "
            "closing this before then needs an override reason.",
        ),
    ),
    Kind.LEAVER: (
        TaskRule(
            Task.ACCESS_REVOKED,
            _on_end,
            "On their last day. The portal account ends by itself at midnight after it.",
        ),
        TaskRule(
            Task.EQUIPMENT_RETURNED,
            _equipment_back,
            f"Within {EQUIPMENT_RETURN_WORKING_DAYS} working days (Monday to Friday) of the "
            "last day. See what they hold below.",
        ),
    ),
    Kind.TEMPORARY: (
        TaskRule(
            Task.TEMPORARY_ACCOUNT,
            _before_start,
            "Ticking this creates their portal account, ending on the access end date, and "
            "sends them an invitation to choose a password. If they are already in the staff "
            "directory, you are shown the differences to confirm before anything is linked.",
        ),
        TaskRule(
            Task.ACCESS_REVOKED,
            _on_end,
            "On the access end date. The portal account ends by itself at midnight after it.",
        ),
    ),
    Kind.MOVER: (
        TaskRule(
            Task.ACCESS_GRANTED,
            _on_move,
            "On the effective date: the systems and shared areas their new role needs.",
        ),
        TaskRule(
            Task.ACCESS_REMOVED,
            _on_move,
            "On the effective date: what only their old role needed (the old team's shared "
            "areas, mailboxes, rotas).",
        ),
        TaskRule(
            Task.EQUIPMENT_MOVED,
            _equipment_moved,
            f"Within {EQUIPMENT_RETURN_WORKING_DAYS} working days (Monday to Friday) of the "
            "effective date: moved to the new team, or returned if no longer needed.",
        ),
        TaskRule(
            Task.DIRECTORY_UPDATED,
            _on_move,
            "The portal's staff directory changes by itself on the effective date; update "
            "the other systems' directories (email groups, budget holder) to match.",
        ),
    ),
}

HINTS = {(kind, rule.kind): rule.hint for kind, rules in CHECKLISTS.items() for rule in rules}
ACCOUNT_TASKS = frozenset({Task.ACCOUNT_CREATED, Task.TEMPORARY_ACCOUNT})
# Tasks whose due date follows the notice's end date, so an extension moves them.
END_DATE_TASKS = frozenset({Task.ACCESS_REVOKED, Task.EQUIPMENT_RETURNED})


def tasks_for(notice: StaffChange) -> list[StaffChangeTask]:
    """The notice's checklist, unsaved, with due dates worked out from its dates."""
    return [
        StaffChangeTask(notice=notice, kind=rule.kind, position=position, due_date=rule.due(notice))
        for position, rule in enumerate(CHECKLISTS[notice.kind])
    ]


def due_date(notice: StaffChange, kind: str) -> date:
    rule = next(rule for rule in CHECKLISTS[notice.kind] if rule.kind == kind)
    return rule.due(notice)


def hint(kind: str, task_kind: str) -> str:
    """What IT should know about a task of a notice of ``kind`` ("" if nothing).

    Called from outside this module instead of ``HINTS.get``: bandit reads any ``.get`` on a
    name imported from this ``requests`` package as the HTTP library's call without a timeout.
    """
    return HINTS.get((kind, task_kind), "")
