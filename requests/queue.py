"""The IT queue: filters, free-text search, counts per state, keyset pagination and its CSV export.

Pages are cut by the last row seen, ``(submitted_at, id)``, not by an offset, so the thousandth
page is read with the same index range scan as the first (``request_queue_idx``).

The search takes up to ``MAX_SEARCH_TERMS`` words; every word must match the request's reference
(``AR-000123``) or number, its item, vendor or version, or the requester's name or e-mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    Lookup,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, LPad, Upper
from django.http import HttpRequest
from django.utils import timezone

from portal import audit, csv_cells, keyset
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
MAX_SEARCH_TERMS = 5
MAX_SEARCH_LENGTH = 100
REFERENCE_PREFIX = "AR-"


@dataclass(frozen=True)
class Filters:
    state: str = DEFAULT_STATE  # a state, OPEN or EVERYTHING
    kind: str = ""
    department: int | None = None
    assignee: str = ""  # "", ME, NOBODY or an IT member's id as text
    older_than: int | None = None  # days
    q: str = ""  # free text: see ``_search``

    @cached_property
    def people(self) -> list[tuple[str, list[int]]]:
        """Each word of the search (up to ``MAX_SEARCH_TERMS``) with the ids of the people whose
        name or e-mail holds it: one query a word, once for the page and its counts."""
        # PostgreSQL refuses a NUL in a query; no text holds one, so it separates words.
        terms = self.q.replace("\x00", " ").split()[:MAX_SEARCH_TERMS]
        return [
            (
                term,
                list(
                    User.objects.filter(
                        Q(first_name__icontains=term)
                        | Q(last_name__icontains=term)
                        | Q(email__icontains=term)
                    ).values_list("pk", flat=True)
                ),
            )
            for term in terms
        ]

    def as_data(self) -> dict[str, Any]:
        """The filters in use, as JSON-friendly values (for the audit trail)."""
        return {name: value for name, value in asdict(self).items() if value not in ("", None)}


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


def _number(term: str) -> int | None:
    """The request number in ``AR-000123``, ``ar-123`` or ``123``; None for any other word."""
    digits = term.upper().removeprefix(REFERENCE_PREFIX)
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return int(digits)
    return None


class _AnyOf(Lookup):
    """``column = ANY(array)``: PostgreSQL takes the array as one parameter, however long."""

    lookup_name = "any_of"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def _requested_by(people: list[int]) -> Q:
    """Requests made by any of ``people``; on PostgreSQL their ids go as one array (thousands of
    people would otherwise be thousands of parameters to write out for each statement)."""
    if connection.vendor == "postgresql" and people:
        ids = Value(people, output_field=ArrayField(BigIntegerField()))
        return Q(_AnyOf(F("requester_id"), ids))
    return Q(requester_id__in=people)


def _search(
    rows: QuerySet[AuthorisationRequest], filters: Filters
) -> QuerySet[AuthorisationRequest]:
    """Every word must match the number, the item, vendor or version, or the requester.

    Both sides are put in capitals by the database, so that a match means the same on
    PostgreSQL and SQLite. The requester is matched among the people first (``Filters.people``),
    and the requests by a list of their ids: PostgreSQL answers that list from the requester
    index, or, reading every request, from a hash of it, and the text from its trigram index
    (``IN (subquery)`` would make it read every request; ``= ANY(ARRAY(subquery))`` would test
    each request against the whole list in turn).
    """
    for term, people in filters.people:
        matches = Q(search_text__contains=Upper(Value(term))) | _requested_by(people)
        number = _number(term)
        if number is not None:
            matches |= Q(pk=number)
        rows = rows.filter(matches)
    return rows


def _filtered(filters: Filters, user: User) -> QuerySet[AuthorisationRequest]:
    """Every filter except the state one, which the counts leave out."""
    rows = AuthorisationRequest.objects.all()
    if filters.q:
        rows = _search(rows, filters)
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


# --- CSV export -------------------------------------------------------------------------------
_inert = csv_cells.inert_sql


def _labelled(path: str, labels: list[tuple[str, str]]) -> Case:
    return Case(
        *(When(**{path: value}, then=Value(str(label))) for value, label in labels),
        default=F(path),
        output_field=CharField(),
    )


def _reference() -> Any:
    # ``make_reference``'s form, by the database: AR- and the number, six digits at least.
    return Case(
        When(pk__lt=1_000_000, then=Concat(
            Value(REFERENCE_PREFIX), LPad(Cast("pk", CharField()), 6, Value("0"))
        )),
        default=Concat(Value(REFERENCE_PREFIX), Cast("pk", CharField())),
        output_field=CharField(),
    )  # fmt: skip


CSV_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("Reference", _reference()),
    ("Item", _inert("item")),
    ("Kind", _labelled("kind", AuthorisationRequest._meta.get_field("kind").choices)),
    ("Vendor", _inert("vendor")),
    ("Version or model", _inert("version_or_model")),
    ("Quantity", Cast("quantity", CharField())),
    ("State", _labelled("state", State.choices)),
    ("Requester email", _inert("requester__email")),
    ("Requester first name", _inert("requester__first_name")),
    ("Requester last name", _inert("requester__last_name")),
    ("Department", _inert("department__name")),
    ("One-off cost (GBP)", Cast("cost_one_off", CharField())),
    ("Recurring cost (GBP)", Cast("cost_recurring", CharField())),
    (
        "Recurring period",
        _labelled("recurring_period", AuthorisationRequest.Period.choices),
    ),
    ("Assigned to", _inert("assignee__email")),
    ("Submitted at (UTC)", csv_cells.IsoInstant("submitted_at")),
    ("Decided at (UTC)", csv_cells.IsoInstant("decided_at")),
)
CSV_HEADER = [title for title, _cell in CSV_COLUMNS]
CSV_CHUNK_SIZE = 2000


def export(filters: Filters, user: User) -> QuerySet[AuthorisationRequest]:
    """Every request the queue shows under ``filters`` (all its pages), oldest first."""
    return _with_state(_filtered(filters, user), filters.state).order_by("submitted_at", "pk")


def csv_lines(filters: Filters, user: User) -> Iterator[str]:
    rows = csv_cells.rows(export(filters, user), CSV_COLUMNS, chunk_size=CSV_CHUNK_SIZE)
    return csv_cells.lines(CSV_HEADER, rows)


def csv_filename(today: date | None = None) -> str:
    return f"it-requests-{(today or timezone.localdate()).isoformat()}.csv"


def record_export(*, actor: User, filters: Filters, request: HttpRequest | None = None) -> None:
    """The export carries names and addresses: who took a copy, with which filters, is kept."""
    audit.record(
        actor=actor,
        action="request.queue_exported",
        obj=None,
        data={"filters": filters.as_data()},
        request=request,
    )
