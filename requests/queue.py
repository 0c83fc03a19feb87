"""The IT queue: filters, counts per state, and keyset pagination.

Pages are cut by the last row seen, ``(submitted_at, id)``, not by an offset, so the thousandth
page is read with the same index range scan as the first (``request_queue_idx``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from portal import keyset
from portal.models import User
from requests.models import AuthorisationRequest

State = AuthorisationRequest.State

PAGE_SIZE = 50
OPEN = "open"
EVERYTHING = "all"
DEFAULT_STATE = State.AWAITING_IT
ME = "me"
NOBODY = "nobody"
MAX_AGE_DAYS = 3650


@dataclass(frozen=True)
class Filters:
    state: str = DEFAULT_STATE  # a state, OPEN or EVERYTHING
    kind: str = ""
    department: int | None = None
    assignee: str = ""  # "", ME, NOBODY or an IT member's id as text
    older_than: int | None = None  # days


@dataclass(frozen=True)
class Cursor:
    submitted_at: datetime
    pk: int

    def encode(self) -> str:
        return f"{self.submitted_at.astimezone(UTC).isoformat()},{self.pk}"


Page = keyset.Page[AuthorisationRequest, Cursor]


def parse_cursor(value: str | None) -> Cursor | None:
    """``<submitted_at ISO 8601 with offset>,<id>``; anything else means the first page."""
    if not value or len(value) > 80 or value.count(",") != 1:
        return None
    stamp, _comma, pk = value.strip().partition(",")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        return None
    try:
        submitted_at = datetime.fromisoformat(stamp)
        if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
            return None
        # The database compares in UTC; a stamp at the edge of the calendar cannot be moved there.
        submitted_at = submitted_at.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return Cursor(submitted_at, int(pk))


def state_choices() -> list[tuple[str, str]]:
    return [
        (DEFAULT_STATE, State(DEFAULT_STATE).label),
        (OPEN, "All open requests"),
        *((value, label) for value, label in State.choices if value != DEFAULT_STATE),
        (EVERYTHING, "Every request"),
    ]


def _filtered(filters: Filters, user: User) -> QuerySet[AuthorisationRequest]:
    """Every filter except the state one, which the counts leave out."""
    rows = AuthorisationRequest.objects.all()
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.department is not None:
        rows = rows.filter(department_id=filters.department)
    if filters.assignee == ME:
        rows = rows.filter(assignee=user)
    elif filters.assignee == NOBODY:
        rows = rows.filter(assignee__isnull=True)
    elif filters.assignee:
        rows = rows.filter(assignee_id=int(filters.assignee))
    if filters.older_than:
        rows = rows.filter(submitted_at__lt=timezone.now() - timedelta(days=filters.older_than))
    return rows


def _with_state(rows: QuerySet[AuthorisationRequest], state: str) -> QuerySet:
    if state == OPEN:
        return rows.filter(state__in=AuthorisationRequest.OPEN_STATES)
    if state == EVERYTHING:
        return rows
    return rows.filter(state=state)


def state_counts(filters: Filters, user: User) -> dict[str, int]:
    """How many requests are in each state under the other filters, in one query."""
    counted = {
        row["state"]: row["n"]
        for row in _filtered(filters, user).order_by().values("state").annotate(n=Count("pk"))
    }
    counts = {value: counted.get(value, 0) for value in State.values}
    counts[OPEN] = sum(counts[state] for state in AuthorisationRequest.OPEN_STATES)
    counts[EVERYTHING] = sum(counted.values())
    return counts


def page(
    filters: Filters, user: User, *, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    """One page of the queue, oldest first, starting after ``after``."""
    rows = _with_state(_filtered(filters, user), filters.state)
    if after is not None:
        rows = rows.filter(
            Q(submitted_at__gt=after.submitted_at)
            | Q(submitted_at=after.submitted_at, pk__gt=after.pk)
        )
    rows = rows.select_related("requester", "department", "assignee", "catalogue_match")
    return keyset.cut(
        rows.order_by("submitted_at", "pk"),
        size=size,
        after=after,
        cursor_of=lambda last: Cursor(last.submitted_at, last.pk),
    )
