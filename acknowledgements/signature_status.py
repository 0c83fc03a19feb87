"""Where a person stands with a policy: signed, due, overdue or not yet assigned.

The one home of the rule, in its Python form (``status_of`` and the small questions beside it)
and its SQL form (``expression`` and the filters beside it), so that the model, the reading
page, the to-do list, the team page, HR's dashboard and drill-down, and the reminders cannot
disagree about a date. For a person's *current requirement* (which assignment that is, see
``acknowledgements.compliance``):

- ``signed``: it has an acknowledgement;
- ``overdue``: unsigned and its due date is before today;
- ``due``: unsigned and due today or later (the due date itself is still due);
- ``unassigned`` (not yet assigned): there is no current requirement.

"Today" is the local date (Europe/London, ``TIME_ZONE``) unless the caller names one.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from django.db.models import Case, CharField, Q, Value, When
from django.utils import timezone

SIGNED = "signed"
DUE = "due"
OVERDUE = "overdue"
UNASSIGNED = "unassigned"
STATUSES = (SIGNED, DUE, OVERDUE, UNASSIGNED)
LABELS = {
    SIGNED: "Signed",
    DUE: "Due",
    OVERDUE: "Overdue",
    UNASSIGNED: "Not yet assigned",
}


class Requirement(Protocol):
    """What the rule reads of an assignment."""

    acknowledgement_id: int | None
    due_date: date


# --- Python ----------------------------------------------------------------------------------
def local_today(today: date | None = None) -> date:
    """``today`` if given, else today's local date."""
    return today or timezone.localdate()


def is_signed(requirement: Requirement) -> bool:
    return requirement.acknowledgement_id is not None


def is_overdue(due_date: date, today: date) -> bool:
    """Unsigned on ``today``, is a requirement due on ``due_date`` overdue?"""
    return due_date < today


def days_overdue(due_date: date, today: date) -> int:
    """Days since ``due_date``: 0 on the day, negative before it."""
    return (today - due_date).days


def overdue_since(due_date: date) -> date:
    """The first day on which an unsigned requirement due on ``due_date`` is overdue."""
    return due_date + timedelta(days=1)


def status_of(requirement: Requirement | None, today: date | None = None) -> str:
    """The status of one person given their current requirement (or None)."""
    if requirement is None:
        return UNASSIGNED
    if is_signed(requirement):
        return SIGNED
    return OVERDUE if is_overdue(requirement.due_date, local_today(today)) else DUE


# --- SQL -------------------------------------------------------------------------------------
# ``prefix`` names a join to the requirement (a ``FilteredRelation``'s alias, which may find no
# row); "" means the assignment itself.
def _path(prefix: str, lookup: str) -> str:
    return f"{prefix}__{lookup}" if prefix else lookup


def signed_q(prefix: str = "") -> Q:
    return Q(**{_path(prefix, "acknowledgement_id__isnull"): False})


def unsigned_q(prefix: str = "") -> Q:
    """Assigned and not signed. Through a join, a person with no requirement is not unsigned."""
    unsigned = Q(**{_path(prefix, "acknowledgement_id__isnull"): True})
    if prefix:
        return Q(**{_path(prefix, "id__isnull"): False}) & unsigned
    return unsigned


def overdue_q(today: date, prefix: str = "") -> Q:
    return unsigned_q(prefix) & Q(**{_path(prefix, "due_date__lt"): today})


def due_q(today: date, prefix: str = "") -> Q:
    return unsigned_q(prefix) & Q(**{_path(prefix, "due_date__gte"): today})


def expression(today: date, prefix: str) -> Case:
    """The status as SQL, over a join to the current requirement named ``prefix``."""
    return Case(
        When(**{_path(prefix, "id__isnull"): True}, then=Value(UNASSIGNED)),
        When(signed_q(prefix), then=Value(SIGNED)),
        When(**{_path(prefix, "due_date__lt"): today}, then=Value(OVERDUE)),
        default=Value(DUE),
        output_field=CharField(),
    )
