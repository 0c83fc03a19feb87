"""Who has signed a policy, person by person: HR's and line managers' list, its CSV export, one
person's whole record, and a line manager's reminder to a report.

The status rule is ``acknowledgements.signature_status``'s and whose requirement counts is
``acknowledgements.compliance``'s; this module only scopes, filters and pages them. HR sees
every active member of staff, a line manager only their own direct reports: the scope is applied
here, on the server, before any filter the viewer chose, so no filter or search can reach
outside it.

Pages are cut by the last row seen, ``(last_name, first_name, id)``, not by an offset, so the
thousandth page is read with the same index range scan as the first (``user_name_idx``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from urllib.parse import unquote

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from acknowledgements import compliance, grants, permissions, publishing, signature_status
from acknowledgements.models import Acknowledgement, Assignment, Policy, PolicyVersion, Question
from portal import audit, csv_cells, invitations, keyset, outbox
from portal import permissions as roles
from portal.models import Notification, User

PAGE_SIZE = 50
CSV_CHUNK_SIZE = 2000
MAX_SEARCH_TERMS = 5
MAX_CURSOR_LENGTH = 1000
UNSIGNED = (signature_status.DUE, signature_status.OVERDUE)
REPLACED = "replaced"  # an unsigned assignment a later material version made unnecessary
REMINDER_KIND = "policy-reminder"

BADGES = {
    signature_status.SIGNED: "text-bg-success",
    signature_status.DUE: "text-bg-warning",
    signature_status.OVERDUE: "text-bg-danger",
    signature_status.UNASSIGNED: "text-bg-light border",
    REPLACED: "text-bg-secondary",
}
LABELS = {**signature_status.LABELS, REPLACED: "Replaced by a later version"}


# --- Filters ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    q: str = ""
    version: int | None = None  # a version number of the policy: people assigned to it
    status: str = ""  # one of signature_status.STATUSES
    department: int | str | None = None  # a department's id, or compliance.NONE
    manager: int | str | None = None  # a line manager's id, or compliance.NONE
    employment_type: str = ""
    started_from: date | None = None
    started_to: date | None = None

    def as_data(self) -> dict[str, Any]:
        """The filters in use, as JSON-friendly values (for the audit trail)."""
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in asdict(self).items()
            if value not in ("", None)
        }


def _search(people: QuerySet[User], q: str) -> QuerySet[User]:
    """Every word must match the first name, last name, email or employee number."""
    for term in q.split()[:MAX_SEARCH_TERMS]:
        people = people.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email__icontains=term)
            | Q(employee_number__icontains=term)
        )
    return people


def _by_id_or_none(people: QuerySet[User], field_name: str, value: int | str | None) -> QuerySet:
    if value == compliance.NONE:
        return people.filter(**{f"{field_name}__isnull": True})
    if value is not None:
        return people.filter(**{f"{field_name}_id": value})
    return people


def apply_filters(people: QuerySet[User], policy: Policy, filters: Filters) -> QuerySet[User]:
    if filters.q:
        people = _search(people, filters.q)
    if filters.version is not None:
        assigned = Assignment.objects.filter(
            user=OuterRef("pk"), version__policy=policy, version__number=filters.version
        )
        people = people.filter(Exists(assigned))
    if filters.status in signature_status.STATUSES:
        people = people.filter(status=filters.status)
    people = _by_id_or_none(people, "department", filters.department)
    people = _by_id_or_none(people, "line_manager", filters.manager)
    if filters.employment_type:
        people = people.filter(employment_type=filters.employment_type)
    if filters.started_from is not None:
        people = people.filter(start_date__gte=filters.started_from)
    if filters.started_to is not None:
        people = people.filter(start_date__lte=filters.started_to)
    return people


def _as_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def manager_choices(department: str | None, chosen: str | None) -> list[tuple[int, str]]:
    """The line managers HR may pick in the filter: those of the chosen department's active
    staff, and the manager already chosen (a dashboard link), as ``(id, name)`` by name.

    A company has thousands of line managers: listing them all made the page slow and the list
    unusable, so the department narrows it first. No department and no choice: no query.
    """
    department_id, chosen_id = _as_id(department), _as_id(chosen)
    wanted = Q()
    if department_id is not None:
        reports = User.objects.filter(
            department_id=department_id, is_active=True, line_manager__isnull=False
        )
        wanted |= Q(pk__in=reports.values("line_manager_id"))
    if chosen_id is not None:
        wanted |= Q(pk=chosen_id)
    if not wanted:
        return []
    return [
        (pk, f"{first} {last}".strip() or email)
        for pk, first, last, email in User.objects.filter(wanted)
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", "first_name", "last_name", "email")
    ]


# --- Scope ------------------------------------------------------------------------------------
def people_for(viewer: User, policy: Policy, today: date | None = None) -> QuerySet[User]:
    """The active people ``viewer`` may see, each with ``compliance.people_with_status``'s
    annotations: everyone for HR, their own direct reports for a line manager, else nobody."""
    people = compliance.people_with_status(policy, today)
    if roles.is_hr(viewer):
        return people
    if roles.is_line_manager(viewer):
        return people.filter(line_manager=viewer)
    return people.none()


def staff(
    viewer: User, policy: Policy, filters: Filters, today: date | None = None
) -> QuerySet[User]:
    """Everyone in ``viewer``'s scope who matches ``filters``, in name order."""
    return apply_filters(people_for(viewer, policy, today), policy, filters).order_by(
        "last_name", "first_name", "pk"
    )


@dataclass(frozen=True)
class Matching:
    people: int
    overdue: int


def matching(viewer: User, policy: Policy, filters: Filters, today: date | None = None) -> Matching:
    """How many people ``filters`` shows ``viewer``, and how many of them are overdue: one
    query, however many match."""
    counts = staff(viewer, policy, filters, today).aggregate(
        people=Count("pk"), overdue=Count("pk", filter=Q(status=signature_status.OVERDUE))
    )
    return Matching(people=counts["people"], overdue=counts["overdue"])


# --- Keyset pagination ------------------------------------------------------------------------
def _escape(name: str) -> str:
    # Only the separator and the escape character are encoded, so ordinary names read as typed.
    return name.replace("%", "%25").replace("|", "%7C")


@dataclass(frozen=True)
class Cursor:
    last_name: str
    first_name: str
    pk: int

    def encode(self) -> str:
        return f"{_escape(self.last_name)}|{_escape(self.first_name)}|{self.pk}"


def parse_cursor(value: str | None) -> Cursor | None:
    """``<last name>|<first name>|<id>``; anything else means the first page."""
    if not value or len(value) > MAX_CURSOR_LENGTH or value.count("|") != 2:
        return None
    last, first, pk = value.split("|")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        return None
    last, first = unquote(last), unquote(first)
    # PostgreSQL refuses NUL in a string parameter; no stored name contains one.
    if "\x00" in last or "\x00" in first:
        return None
    return Cursor(last, first, int(pk))


Page = keyset.Page[User, Cursor]


def page(
    viewer: User,
    policy: Policy,
    filters: Filters,
    *,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
    today: date | None = None,
) -> Page:
    """One page of the list, starting after ``after``: one query, however deep the page.

    Each row is a ``User`` with the status annotations, ``status_label``, ``badge`` and
    ``may_remind`` (whether ``viewer`` may send them a reminder now).
    """
    rows = staff(viewer, policy, filters, today)
    if after is not None:
        rows = rows.filter(
            Q(last_name__gt=after.last_name)
            | Q(last_name=after.last_name, first_name__gt=after.first_name)
            | Q(last_name=after.last_name, first_name=after.first_name, pk__gt=after.pk),
            # Redundant, but it lets the database start its index scan at the cursor.
            last_name__gte=after.last_name,
        )
    found = keyset.cut(
        rows.select_related("department", "line_manager"),
        size=size,
        after=after,
        cursor_of=lambda last: Cursor(last.last_name, last.first_name, last.pk),
    )
    for person in found.rows:
        person.status_label = LABELS[person.status]
        person.badge = BADGES[person.status]
        person.may_remind = person.status in UNSIGNED and permissions.can_remind(viewer, person)
    return found


# --- CSV export -------------------------------------------------------------------------------
_ACK = f"{compliance.REQUIREMENT}__acknowledgement"
_EMPLOYMENT_LABELS = dict(User.EmploymentType.choices)
BOM = csv_cells.BOM
_IsoDate = csv_cells.IsoDate
_IsoInstant = csv_cells.IsoInstant


# The text at a path, with a ' put before it if a spreadsheet would otherwise run it as a formula.
_inert = csv_cells.inert_sql


def _labelled(path: str, labels: dict[str, str], default: Any = None) -> Case:
    return Case(
        *(When(**{path: value}, then=Value(label)) for value, label in labels.items()),
        default=default,
        output_field=CharField(),
    )


# (heading, the cell as SQL). Each cell is written by the database as the file holds it
# (labels, ISO dates, the formula guard), so a batch goes from the cursor to ``csv.writer``
# untouched: formatting the 1.5 million cells of a full export in Python took longer than
# reading them.
CSV_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("Employee number", _inert("employee_number")),
    ("First name", _inert("first_name")),
    ("Last name", _inert("last_name")),
    ("Email", _inert("email")),
    ("Department", _inert("department__name")),
    ("Line manager email", _inert("line_manager__email")),
    (
        "Employment type",
        _labelled("employment_type", _EMPLOYMENT_LABELS, _inert("employment_type")),
    ),
    ("Start date", _IsoDate("start_date")),
    ("Status", _labelled("status", signature_status.LABELS)),
    ("Version", Cast("version_number", CharField())),
    ("Due date", _IsoDate("due_date")),
    ("Signed at (UTC)", _IsoInstant("signed_at")),
    ("Printed name", _inert(f"{_ACK}__printed_name")),
    ("Policy text SHA-256", F(f"{_ACK}__body_sha256")),
    ("Record hash", F(f"{_ACK}__record_hash")),
    ("IP address", F(f"{_ACK}__ip_address")),
)
CSV_HEADER = [title for title, _cell in CSV_COLUMNS]


def csv_rows(people: QuerySet[User]) -> Iterator[tuple[str | None, ...]]:
    """One tuple of cells per person (None for an empty cell), read in chunks."""
    return csv_cells.rows(people, CSV_COLUMNS, chunk_size=CSV_CHUNK_SIZE)


def csv_lines(people: QuerySet[User], *, batch: int = 500) -> Iterator[str]:
    """The file as text, a batch of lines at a time: the BOM and header first."""
    return csv_cells.lines(CSV_HEADER, csv_rows(people), batch=batch)


def csv_filename(policy: Policy, today: date | None = None) -> str:
    return f"acknowledgements-{policy.slug}-{(today or timezone.localdate()).isoformat()}.csv"


def record_export(
    *, actor: User, policy: Policy, filters: Filters, request: HttpRequest | None = None
) -> None:
    """The export carries personal data (addresses, signatures): who took a copy is kept."""
    audit.record(
        actor=actor,
        action="policy.status_exported",
        obj=policy,
        data={"filters": filters.as_data()},
        request=request,
    )


# --- One person -------------------------------------------------------------------------------
class _Shown:
    """A ``status`` shown as its label in its badge."""

    status: str

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def badge(self) -> str:
        return BADGES[self.status]


@dataclass(frozen=True)
class PersonStanding(_Shown):
    """Where the person stands with one policy's current version."""

    policy: Policy
    current: PolicyVersion
    requirement: Assignment | None
    status: str


@dataclass(frozen=True)
class AssignmentRow(_Shown):
    assignment: Assignment
    status: str


@dataclass(frozen=True)
class PersonRecord:
    person: User
    standings: list[PersonStanding]
    assignments: list[AssignmentRow]
    acknowledgements: list[Acknowledgement]
    questions: list[Question]
    grant_history: list[grants.HistoryRow] = field(default_factory=list)


def person_record(person: User, today: date | None = None) -> PersonRecord:
    """Everything about ``person``'s acknowledgements. A fixed number of queries per policy,
    however many people the company has."""
    today = signature_status.local_today(today)
    assignments = list(
        Assignment.objects.filter(user=person)
        .select_related("version__policy", "acknowledgement")
        .order_by("version__policy__title", "-version__number")
    )
    standings: list[PersonStanding] = []
    baselines: dict[int, int] = {}
    requirement_ids: set[int] = set()
    policies = Policy.objects.filter(versions__status=PolicyVersion.Status.PUBLISHED).distinct()
    for policy in policies.order_by("title"):
        current = publishing.current_version(policy)
        baselines[policy.pk] = publishing.baseline_number(policy)
        requirement = compliance.current_requirement(policy, person)
        if requirement is not None:
            requirement_ids.add(requirement.pk)
        status = signature_status.status_of(requirement, today)
        standings.append(PersonStanding(policy, current, requirement, status))
    rows = []
    for assignment in assignments:
        replaced = (
            not signature_status.is_signed(assignment)
            and assignment.pk not in requirement_ids
            and assignment.version.number < baselines.get(assignment.version.policy_id, 0)
        )
        status = REPLACED if replaced else signature_status.status_of(assignment, today)
        rows.append(AssignmentRow(assignment, status))
    return PersonRecord(
        person=person,
        standings=standings,
        assignments=rows,
        acknowledgements=list(
            Acknowledgement.objects.filter(user=person)
            .select_related("version__policy")
            .order_by("-signed_at")
        ),
        questions=list(
            Question.objects.filter(asked_by=person)
            .select_related("assignment__version__policy", "manager", "answered_by")
            .order_by("-asked_at", "-pk")
        ),
        grant_history=grants.history_for(person),
    )


# --- Reminders --------------------------------------------------------------------------------
class ReminderError(Exception):
    """No reminder was sent; the message says why."""


class NothingToRemind(ReminderError):
    pass


class AlreadyRemindedToday(ReminderError):
    def __init__(self, person: User) -> None:
        super().__init__(
            f"You have already reminded {person.full_name} today. You can send another "
            "reminder tomorrow."
        )


def reminder_key_for(requirement_id: int, today: date) -> str:
    """The one reminder a person may get a day for a requirement, from their line manager or
    from HR (``acknowledgements.chasing``): its key in the outbox."""
    return f"{REMINDER_KIND}:{requirement_id}:{today.isoformat()}"


def reminder_key(assignment: Assignment, today: date) -> str:
    return reminder_key_for(assignment.pk, today)


def send_reminder(
    *,
    manager: User,
    person: User,
    policy: Policy,
    request: HttpRequest | None = None,
    today: date | None = None,
) -> Notification:
    """``manager`` reminds a direct report to sign ``policy``: at most once a day per report."""
    today = signature_status.local_today(today)
    if not permissions.can_remind(manager, person):
        raise ReminderError("Only the person's own line manager can remind them.")
    with transaction.atomic():
        requirement = compliance.current_requirement(policy, person)
        if requirement is None:
            raise NothingToRemind(
                f"{person.full_name} has not been asked to sign the {policy.title} yet, so "
                "there is nothing to remind them about."
            )
        if signature_status.is_signed(requirement):
            raise NothingToRemind(
                f"{person.full_name} has already signed the {policy.title}: no reminder needed."
            )
        key = reminder_key(requirement, today)
        if Notification.objects.filter(dedupe_key=key).exists():
            raise AlreadyRemindedToday(person)
        notification = outbox.notify(
            recipient=person,
            kind=REMINDER_KIND,
            dedupe_key=key,
            context={
                "manager": manager,
                "policy": policy,
                "version": requirement.version,
                "assignment": requirement,
                "due_date": requirement.due_date,
                "overdue": signature_status.is_overdue(requirement.due_date, today),
                **invitations.getting_in(person.last_login),
            },
            link=reverse("acknowledgements:policy_detail", args=[policy.slug]),
        )
        audit.record(
            actor=manager,
            action="policy.reminder_sent",
            obj=requirement,
            data={"person": person.pk, "version": requirement.version.number},
            request=request,
        )
    return notification
