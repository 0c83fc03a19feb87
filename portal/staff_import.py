"""Staff directory import: HR's CSV creates and updates people, idempotently.

The whole file is read and checked before anything is written: a file that cannot be read is
refused outright, while a readable file imports every good row in one transaction and reports
each bad row with its line number and the reason.

Email is optional (many frontline staff have none): every row has an employee number, by which
such a person signs in. A blank email for someone who has an address on file keeps that address:
an export that leaves addresses out does not cut people off (an administrator removes one).

Accounts that hold a role (``permissions.holds_role``) and the importer's own account are how
the portal itself is run: HR's import never changes them. A row that would is reported and left
for an administrator, who may apply it (an import by a superuser, or ``manage.py
import_staff`` at the server's console). Every change of address has the side effects of
``accounts.emails_changed``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Lower

from portal import accounts, audit, csv_cells, moves, permissions
from portal.models import AuditEvent, Department, User

COLUMNS = (
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "department",
    "job_title",
    "line_manager_email",
    "employment_type",
    "start_date",
    "end_date",
)
REQUIRED = ("employee_number", "first_name", "last_name", "department", "start_date")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_EMPLOYMENT_TYPES = {
    **{value: value for value in User.EmploymentType.values},
    **{label.lower(): value for value, label in User.EmploymentType.choices},
    "fixed term": User.EmploymentType.FIXED_TERM,
}
# Fields the import owns; anything else on the user (roles, password) it leaves alone.
_SYNCED_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "job_title",
    "employment_type",
    "start_date",
    "end_date",
)


# Rows written per chunk: each chunk costs the same few queries, whatever the file's size.
CHUNK_ROWS = 1000
T = TypeVar("T")

# What other apps give each new person (the policy to sign, for one), registered in their
# AppConfig.ready() and run inside the import's transaction with the new people's ids.
PEOPLE_ADDED_HOOKS: list[Callable[[list[int]], object]] = []


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing has been written."""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Rows about accounts the importer may not change: left as they are, for an administrator.
    held: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportProgress:
    """How far an import has gone: rows in the file, rows decided so far, and their outcome."""

    total: int = 0
    read: int = 0
    done: int = 0  # rows written, refused or held so far
    created: int = 0
    updated: int = 0  # so far; a line manager linked at the end can still add to it
    refused: int = 0
    held: int = 0


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class _Progress:
    callback: ProgressCallback | None
    state: ImportProgress

    def _tell(self) -> None:
        if self.callback is not None:
            self.callback(self.state)

    def read(self, count: int, *, refused: int) -> None:
        self.state.read = count
        self.state.refused = self.state.done = refused
        self._tell()

    def checked(self, *, refused: int, held: int) -> None:
        self.state.refused, self.state.held = refused, held
        self.state.done = refused + held
        self._tell()

    def chunk_written(self, count: int, part: _Written) -> None:
        self.state.done += count
        self.state.created += part.count("created")
        self.state.updated += part.count("updated")
        self._tell()


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Row:
    line: int
    employee_number: str
    first_name: str
    last_name: str
    email: str
    department: str
    job_title: str
    line_manager_email: str
    employment_type: str
    start_date: date
    end_date: date | None

    @property
    def key(self) -> str:
        """Who the row is within the file: the address, else the employee number (never an
        address: no "@")."""
        return self.email or f"#{self.employee_number}"


def _values(row: _Row) -> dict[str, object]:
    """The synced fields' values the row gives a person (no address: None, as stored)."""
    values = {f: getattr(row, f) for f in _SYNCED_FIELDS}
    values["email"] = row.email or None
    return values


def _header_key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _parse_date(value: str, label: str) -> date:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{label} {value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
        ) from None
    if "\x00" in text:
        # No spreadsheet writes one, and PostgreSQL cannot store one in text.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFileError(
            f"The file contains a NUL character (line {line}), so it is not a plain CSV "
            "export. Save it from the spreadsheet as 'CSV UTF-8' and try again."
        )
    return text


def _header(reader: Iterator[list[str]]) -> list[str]:
    """The column keys of the header row; raises ``ImportFileError`` if a column is missing."""
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise ImportFileError("The file is empty.")
    keys = [_header_key(cell) for cell in header]
    missing = [column for column in COLUMNS if column not in keys]
    if missing:
        raise ImportFileError(
            "The header row is missing: " + ", ".join(m.replace("_", " ") for m in missing) + "."
        )
    return keys


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on.

    ``line_num`` is the last physical line of the record just read; a quoted field can span
    lines, so a row is reported by the line it starts on.
    """
    end = reader.line_num
    for cells in reader:
        start, end = end + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def check_file(data: bytes) -> None:
    """Refuse, before anything is queued, a file that is not CSV text with the header row."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        _header(reader)
    except csv.Error as exc:
        raise ImportFileError(
            f"The file is not valid CSV (line {reader.line_num}): {exc}."
        ) from None


def _read(data: bytes) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        keys = _header(reader)
        # NFC: a directory exported in NFD ("e" + combining accent) matches the people on file.
        return [
            (
                start,
                {
                    k: unicodedata.normalize("NFC", v).strip()
                    for k, v in zip(keys, cells, strict=False)
                },
            )
            for start, cells in _records(reader)
        ]
    except csv.Error as exc:
        raise ImportFileError(
            f"The file is not valid CSV (line {reader.line_num}): {exc}."
        ) from None


def problem_rows(data: bytes, problems: dict[int, str]) -> Iterator[list[str]]:
    """The file's header and each row with a problem, as it was, with its line and problems.

    For a report HR can correct and import again; cells are made inert for spreadsheets.
    """
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    header = next(reader)
    yield ["Line", "Problems", *(csv_cells.inert(cell) for cell in header)]
    for start, cells in _records(reader):
        if start in problems:
            yield [str(start), problems[start], *(csv_cells.inert(cell) for cell in cells)]


def _email_problems(raw: dict[str, str], email: str) -> list[str]:
    if not email:
        return []
    try:
        if email:
            validate_email(email)
    except ValidationError:
        return [f"email {raw['email']!r} is not a valid address"]
    if not email.rpartition("@")[0].isascii():
        # Django's check lets through letters such as the long s (U+017F) and the dotless i
        # (U+0131), whose capitals are S and I: one person could be two accounts.
        return [
            f"email {raw['email']!r} has a character before the @ that is not plain "
            "ASCII (a-z, 0-9 and . _ - +)"
        ]
    return []


def _dates(raw: dict[str, str], problems: list[str]) -> tuple[date | None, date | None]:
    """The row's start and end dates, each None if absent or unreadable (the problem noted)."""
    found: list[date | None] = []
    for column, label in (("start_date", "start date"), ("end_date", "end date")):
        try:
            found.append(_parse_date(raw[column], label) if raw.get(column) else None)
        except ValueError as exc:
            problems.append(str(exc))
            found.append(None)
    start, end = found
    if start is not None and end is not None and end < start:
        problems.append("end date is before start date")
    return start, end


def _clean(line: int, raw: dict[str, str]) -> _Row:
    """The row, checked; raises ``ValueError`` naming every problem found in it."""
    problems: list[str] = []
    missing = [c.replace("_", " ") for c in REQUIRED if not raw.get(c)]
    if missing:
        problems.append("missing " + ", ".join(missing))
    email = raw.get("email", "").lower()
    problems += _email_problems(raw, email)
    manager_email = raw.get("line_manager_email", "").lower()
    if email and manager_email == email:
        problems.append("a person cannot be their own line manager")
    employment = _EMPLOYMENT_TYPES.get((raw.get("employment_type") or "permanent").lower())
    if employment is None:
        problems.append(
            f"employment type {raw['employment_type']!r} is not one of "
            + ", ".join(label for _, label in User.EmploymentType.choices)
        )
    start, end = _dates(raw, problems)
    for name in ("employee_number", "first_name", "last_name", "email", "job_title", "department"):
        limit = User._meta.get_field(name).max_length if name != "department" else 120
        if len(raw.get(name, "")) > limit:
            problems.append(f"{name.replace('_', ' ')} is longer than {limit} characters")
    if problems or start is None or employment is None:
        raise ValueError("; ".join(problems))
    return _Row(
        line=line,
        employee_number=raw["employee_number"],
        first_name=raw["first_name"],
        last_name=raw["last_name"],
        email=email,
        department=raw["department"],
        job_title=raw.get("job_title", ""),
        line_manager_email=manager_email,
        employment_type=employment,
        start_date=start,
        end_date=end,
    )


def _validate(raw_rows: Iterable[tuple[int, dict[str, str]]]) -> tuple[list[_Row], list[RowError]]:
    """The good rows, and each other row's problems: all of them, its own and its repeats of an
    employee number or address of a good row above it."""
    rows: list[_Row] = []
    errors: list[RowError] = []
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, raw in raw_rows:
        problems: list[str] = []
        try:
            row = _clean(line, raw)
        except ValueError as exc:
            problems.append(str(exc))
        number, email = raw.get("employee_number", ""), raw.get("email", "").lower()
        if number in seen_numbers:
            problems.append(f"employee number {number} already on line {seen_numbers[number]}")
        if email in seen_emails:
            problems.append(f"email {email} already on line {seen_emails[email]}")
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        seen_numbers[row.employee_number] = line
        if row.email:
            seen_emails[row.email] = line
        rows.append(row)
    return rows, errors


def _match_existing(
    rows: list[_Row], chunk_rows: int
) -> tuple[dict[str, User], list[RowError], list[_Row]]:
    """Find each row's user by employee number, else by email; refuse conflicting matches.

    Addresses are compared without regard to case, so an address stored in another case is
    still the same person. Each user comes with whether it holds a role (``is_protected``) and
    whether it holds a department's budget (``holds_budget``).
    """
    candidates: list[User] = []
    # A chunk at a time: one query per chunk, each of a bounded size.
    for chunk in _chunks(rows, chunk_rows):
        numbers = [r.employee_number for r in chunk]
        emails = [r.email for r in chunk if r.email]
        candidates += (
            User.objects.annotate(
                email_key=Lower("email"),
                is_protected=ExpressionWrapper(permissions.role_holders(), BooleanField()),
                holds_budget=Exists(Department.objects.filter(budget_holder=OuterRef("pk"))),
            )
            .filter(Q(employee_number__in=numbers) | Q(email_key__in=emails))
            .select_related("department", "line_manager")
        )
    by_number = {u.employee_number: u for u in candidates if u.employee_number}
    by_email = {u.email_key: u for u in candidates if u.email_key}
    matched: dict[str, User] = {}
    errors: list[RowError] = []
    kept: list[_Row] = []
    for row in rows:
        user = by_number.get(row.employee_number)
        holder = by_email.get(row.email) if row.email else None
        if user is None and holder is not None:
            if holder.employee_number and holder.employee_number != row.employee_number:
                errors.append(
                    RowError(
                        row.line,
                        f"email {row.email} belongs to employee {holder.employee_number}",
                    )
                )
                continue
            user = holder
        elif user is not None and holder is not None and holder.pk != user.pk:
            errors.append(RowError(row.line, f"email {row.email} belongs to another person"))
            continue
        if user is not None:
            matched[row.employee_number] = user
            if not row.email and user.email:
                row.email = user.email.lower()  # kept: see the module's docstring
        kept.append(row)
    return matched, errors, kept


def _changes(row: _Row, user: User) -> list[str]:
    """The fields the row would change on ``user``, line manager included (by address)."""
    changed = [f for f, v in _values(row).items() if getattr(user, f) != v]
    if user.employee_number != row.employee_number:
        changed.append("employee_number")
    if user.department is None or user.department.name.lower() != row.department.lower():
        changed.append("department")
    current_manager = (user.line_manager.email or "").lower() if user.line_manager else ""
    if current_manager != row.line_manager_email:
        changed.append("line_manager")
    return sorted(changed)


def _hold_protected(
    rows: list[_Row], matched: dict[str, User], actor: User | None
) -> tuple[list[_Row], list[RowError], list[AuditEvent]]:
    """Leave out rows that would change an account the importer may not change.

    HR may not change an account that holds a role, nor their own: a directory row that could
    rename an administrator, or point their address at a mailbox HR reads, would let HR take the
    account over through "Forgot your password?". An administrator may: a superuser's import,
    or the command (``actor`` None), run by whoever administers the server.
    """
    if actor is None or actor.is_superuser:
        return rows, [], []
    kept: list[_Row] = []
    held: list[RowError] = []
    events: list[AuditEvent] = []
    for row in rows:
        user = matched.get(row.employee_number)
        if user is not None and (user.is_protected or user.pk == actor.pk):
            changed = _changes(row, user)
        elif user is not None and user.holds_budget:
            # A budget holder authorises spending (policy 4.11): their address, the way into
            # the account, is an administrator's to change; the rest is ordinary HR work.
            changed = [name for name in _changes(row, user) if name == "email"]
        else:
            changed = []
        if user is not None and changed:
            if user.pk == actor.pk:
                whose = "your own account"
            elif user.is_protected:
                whose = (
                    f"the account of {user.sign_in_name}, who holds a portal role "
                    f"({', '.join(permissions.role_names(user))})"
                )
            else:
                whose = f"the account of {user.sign_in_name}, a department's budget holder"
            held.append(
                RowError(
                    row.line,
                    f"would change {', '.join(c.replace('_', ' ') for c in changed)} of "
                    f"{whose}: left unchanged for an administrator to apply",
                )
            )
            # An attempt on an account that runs the portal leaves a trace, as a refused
            # page does.
            events.append(
                audit.event(
                    actor=actor,
                    action="user.import_held",
                    obj=user,
                    data={"line": row.line, "changed": changed},
                )
            )
            continue
        kept.append(row)
    return kept, held, events


def _resolve_managers(
    rows: list[_Row], existing: dict[str, int]
) -> tuple[list[_Row], list[RowError]]:
    """Drop rows whose line manager is neither on file nor in a good row, until stable.

    ``existing`` holds the primary keys of the named managers already on file, by address
    (lower case), looked up before anything is written: a manager's own row may change it.
    """
    errors: list[RowError] = []
    while True:
        in_file = {r.email for r in rows if r.email}
        bad = [
            r
            for r in rows
            if r.line_manager_email
            and r.line_manager_email not in in_file
            and r.line_manager_email not in existing
        ]
        if not bad:
            return rows, errors
        errors.extend(
            RowError(r.line, f"line manager {r.line_manager_email} is not in the directory")
            for r in bad
        )
        bad_lines = {r.line for r in bad}
        rows = [r for r in rows if r.line not in bad_lines]


_Node = int | str  # a person after the import: a user's id, or "line N" for a new person


def _directory_after(
    rows: list[_Row],
    matched: dict[str, User],
    existing: dict[str, int],
    links: dict[int, int],
) -> tuple[dict[_Node, _Node | None], dict[_Node, _Row]]:
    """Each person's manager once the rows are imported, and the row behind each row's person."""
    node_of: dict[str, _Node] = {}  # a row's address: who it is after the import
    for row in rows:
        user = matched.get(row.employee_number)
        node_of[row.key] = user.pk if user is not None else f"line {row.line}"
    manager_of: dict[_Node, _Node | None] = dict(links)
    row_of: dict[_Node, _Row] = {}
    for row in rows:
        node = node_of[row.key]
        row_of[node] = row
        manager = row.line_manager_email
        manager_of[node] = (
            (node_of[manager] if manager in node_of else existing[manager]) if manager else None
        )
    return manager_of, row_of


def _loops(manager_of: dict[_Node, _Node | None], starts: Iterable[_Node]) -> list[list[_Node]]:
    """The loops that following managers from ``starts`` runs into, each in chain order.

    Each person has at most one manager, so following managers from any person either ends or
    runs into a loop; a walk stops at anyone already walked from.
    """
    done: set[_Node] = set()
    loops: list[list[_Node]] = []
    for start in starts:
        path: list[_Node] = []
        on_path: set[_Node] = set()
        node: _Node | None = start
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = manager_of.get(node)
        if node is not None and node in on_path:
            loops.append(path[path.index(node) :])
        done.update(path)
    return loops


def _manager_loops(
    rows: list[_Row],
    matched: dict[str, User],
    existing: dict[str, int],
    links: dict[int, int],
) -> list[RowError]:
    """Rows whose line managers would lead back to themselves once the file is imported.

    The directory after the import is the one on file (``links``: each person's manager)
    with the rows' people and managers put in. Every row on a loop is named, in the order of
    the chain.
    """
    manager_of, row_of = _directory_after(rows, matched, existing, links)
    loops = [loop for loop in _loops(manager_of, row_of) if any(n in row_of for n in loop)]
    others = {n for loop in loops for n in loop if n not in row_of}
    people = {u.pk: u for u in User.objects.filter(pk__in=others)} if others else {}

    def name(node: _Node) -> str:
        if node in row_of:
            return f"{row_of[node].key.lstrip('#')} (line {row_of[node].line})"
        return people[node].sign_in_name

    errors: list[RowError] = []
    for loop in loops:
        chain = " manages ".join(name(n) for n in reversed([*loop, loop[0]]))
        errors += [
            RowError(row_of[node].line, f"line managers would form a loop: {chain}")
            for node in loop
            if node in row_of
        ]
    return errors


def _settle_managers(
    rows: list[_Row], matched: dict[str, User]
) -> tuple[list[_Row], dict[str, int], list[RowError]]:
    """Leave out rows whose line manager is missing or would close a loop.

    Returns the rows kept, the named managers already on file (their ids by address, lower
    case) and the errors of the rows left out.
    """
    wanted = {r.line_manager_email for r in rows if r.line_manager_email}
    existing = dict(
        User.objects.annotate(email_key=Lower("email"))
        .filter(email_key__in=wanted)
        .values_list("email_key", "pk")
    )
    links = dict(
        User.objects.filter(line_manager__isnull=False).values_list("pk", "line_manager_id")
    )
    errors: list[RowError] = []
    # Leaving a row out can leave its reports without a manager, or (the person keeping their
    # manager on file) close a loop: checked again until nothing more is left out.
    while True:
        rows, manager_errors = _resolve_managers(rows, existing)
        loop_errors = _manager_loops(rows, matched, existing, links)
        errors.extend(manager_errors + loop_errors)
        if not loop_errors:
            return rows, existing, errors
        looped = {e.line for e in loop_errors}
        rows = [r for r in rows if r.line not in looped]


def _departments_for(
    rows: list[_Row], actor: User | None
) -> tuple[dict[str, Department], list[AuditEvent]]:
    """Every department the rows name, by lower-case name, creating those not on file."""
    departments = {d.name.lower(): d for d in Department.objects.all()}
    new_departments: dict[str, Department] = {}
    for row in rows:
        key = row.department.lower()
        if key not in departments and key not in new_departments:
            new_departments[key] = Department(name=row.department)
    Department.objects.bulk_create(new_departments.values())
    events = [
        audit.event(actor=actor, action="department.created", obj=d)
        for d in new_departments.values()
    ]
    return departments | new_departments, events


@dataclass
class _Written:
    """What writing the rows did: each row's person and outcome, by address, and its trace."""

    users: dict[str, User] = field(default_factory=dict)
    outcome: dict[str, str] = field(default_factory=dict)  # created, updated or unchanged
    new_users: list[User] = field(default_factory=list)
    new_addresses: list[accounts.EmailChange] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcome.values() if o == outcome)


def _update_person(user: User, row: _Row, department: Department) -> list[str]:
    """Put the row's values on ``user``; the fields that changed, sorted (none: left alone)."""
    values = _values(row)
    values["employee_number"] = row.employee_number
    changed = [f for f, v in values.items() if getattr(user, f) != v]
    if user.department_id != department.pk:
        changed.append("department")
    changed.sort()
    if changed:
        for name, value in values.items():
            setattr(user, name, value)
        user.department = department
    return changed


def _create_users(new_users: list[User]) -> None:
    User.objects.bulk_create(new_users)
    if any(u.pk is None for u in new_users):  # a database that cannot return new keys
        numbers = [u.employee_number for u in new_users]
        keys = dict(
            User.objects.filter(employee_number__in=numbers).values_list("employee_number", "pk")
        )
        for user in new_users:
            user.pk = keys[user.employee_number]


def _write_people(
    rows: list[_Row],
    matched: dict[str, User],
    departments: dict[str, Department],
    *,
    actor: User | None,
    source: str,
) -> _Written:
    """Create the rows' new people and update the others, in bulk (line managers aside)."""
    written = _Written()
    changed_users: list[User] = []
    changed_fields: set[str] = set()
    for row in rows:
        user = matched.get(row.employee_number)
        department = departments[row.department.lower()]
        if user is None:
            values = _values(row)
            user = User(employee_number=row.employee_number, department=department, **values)
            # New people choose their own password through "Forgot your password?".
            user.set_unusable_password()
            written.new_users.append(user)
            written.outcome[row.key] = "created"
        else:
            old_email = user.email
            changed = _update_person(user, row, department)
            written.outcome[row.key] = "updated" if changed else "unchanged"
            if changed:
                if "email" in changed:
                    written.new_addresses.append(accounts.EmailChange(user, old_email))
                changed_users.append(user)
                changed_fields.update(changed)
                written.events.append(
                    audit.event(
                        actor=actor,
                        action="user.updated",
                        obj=user,
                        data={"source": source, "changed": changed},
                    )
                )
        written.users[row.key] = user
    _create_users(written.new_users)
    written.events += [
        audit.event(actor=actor, action="user.imported", obj=u, data={"source": source})
        for u in written.new_users
    ]
    if changed_users:
        User.objects.bulk_update(changed_users, sorted(changed_fields))
    return written


def _link_managers(
    rows: list[_Row],
    written: _Written,
    on_file: dict[str, int],
    actor: User | None,
    chunk_rows: int,
) -> None:
    """Second pass: a manager may appear further down the file than their reports.

    Written a chunk at a time: one update of many thousand rows takes PostgreSQL minutes.
    """
    manager_ids = on_file | {email: u.pk for email, u in written.users.items()}
    manager_emails = {pk: email for email, pk in on_file.items()} | {
        u.pk: u.sign_in_name for u in written.users.values()
    }
    for chunk in _chunks(rows, chunk_rows):
        relinked: list[User] = []
        events: list[AuditEvent] = []
        for row in chunk:
            user = written.users[row.key]
            manager_id = manager_ids[row.line_manager_email] if row.line_manager_email else None
            if user.line_manager_id != manager_id:
                user.line_manager_id = manager_id
                relinked.append(user)
                if written.outcome[row.key] == "unchanged":
                    written.outcome[row.key] = "updated"
                events.append(
                    audit.event(
                        actor=actor,
                        action="user.line_manager_changed",
                        obj=user,
                        data={"line_manager": manager_emails.get(manager_id)},
                    )
                )
        if relinked:
            User.objects.bulk_update(relinked, ["line_manager"])
        audit.record_many(events)


def _write_in_chunks(
    rows: list[_Row],
    matched: dict[str, User],
    departments: dict[str, Department],
    *,
    actor: User | None,
    source: str,
    chunk_rows: int,
    progress: _Progress,
) -> _Written:
    """``_write_people`` a chunk at a time, its trace written with it, reporting each chunk."""
    written = _Written()
    for chunk in _chunks(rows, chunk_rows):
        part = _write_people(chunk, matched, departments, actor=actor, source=source)
        audit.record_many(part.events)
        written.users.update(part.users)
        written.outcome.update(part.outcome)
        written.new_users += part.new_users
        written.new_addresses += part.new_addresses
        progress.chunk_written(len(chunk), part)
    return written


def _announce_moves(before: dict[int, moves.Place], written: _Written, actor: User | None) -> None:
    """A new department or line manager is in force at once: the portal hears of it as a move
    (IT's mover notice, and the old manager's personal-use grants)."""
    found = moves.moves_between(before, written.users.values())
    moves.announce(found, actor=actor, source=moves.IMPORT)


def import_staff(
    *,
    actor: User | None,
    data: bytes,
    source: str = "upload",
    progress: ProgressCallback | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Create or update staff from CSV ``data``; raises ``ImportFileError`` if unreadable.

    Everything is written in one transaction: all of it or, on any failure, none. Rows are
    written ``chunk_rows`` at a time, so the number of queries grows with the number of chunks,
    never within one (each change of address adds its own notice to the old address).
    ``progress``, if given, is told how far the import has gone after each chunk.
    """
    raw_rows = _read(data)
    rows, errors = _validate(raw_rows)
    if actor is not None and not actor.is_authenticated:
        actor = None
    report = _Progress(callback=progress, state=ImportProgress(total=len(raw_rows)))
    report.read(len(raw_rows), refused=len(errors))
    with transaction.atomic():
        _without_jit()
        checked = _check_against_directory(rows, errors, raw_rows, actor, chunk_rows)
        errors = checked.errors
        report.checked(refused=len(errors), held=len(checked.held))
        written = _apply(checked, actor=actor, source=source, chunk_rows=chunk_rows, report=report)
        result = ImportResult(
            created=written.count("created"),
            updated=written.count("updated"),
            unchanged=written.count("unchanged"),
            errors=errors,
            held=sorted(checked.held, key=lambda e: e.line),
        )
        _record_summary(result, actor=actor, source=source)
        _tell_others(written, actor=actor, source=source, chunk_rows=chunk_rows)
    return result


def _without_jit() -> None:
    if connection.vendor == "postgresql":
        # JIT-compiling the large CASE of a bulk update takes far longer than running it.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


@dataclass
class _Checked:
    """The rows to write once checked against the directory on file, and what was left out."""

    rows: list[_Row]
    matched: dict[str, User]  # the people on file the rows are, by employee number
    on_file: dict[str, int]  # the named line managers already on file: ids by address
    errors: list[RowError]  # every row refused, one each, by line
    held: list[RowError]
    events: list[AuditEvent]  # the trace of the rows held


def _check_against_directory(
    rows: list[_Row],
    refused: list[RowError],
    raw_rows: list[tuple[int, dict[str, str]]],
    actor: User | None,
    chunk_rows: int,
) -> _Checked:
    """Match the rows to the people on file; leave out the rows in conflict with it, those the
    importer may not apply and those whose line manager is missing or would close a loop.

    A row already ``refused`` (or refused here before its line manager was looked at) is told
    too if its line manager is missing, so that each refused row names every problem in it.
    """
    matched, match_errors, rows = _match_existing(rows, chunk_rows)
    rows, held, events = _hold_protected(rows, matched, actor)
    rows, on_file, manager_errors = _settle_managers(rows, matched)
    early = {e.line for e in [*refused, *match_errors]}
    missing = _missing_managers([(n, raw) for n, raw in raw_rows if n in early], rows)
    errors = _one_per_line([*refused, *match_errors, *manager_errors, *missing])
    return _Checked(rows, matched, on_file, errors, held, events)


def _missing_managers(
    raw_rows: list[tuple[int, dict[str, str]]], kept: list[_Row]
) -> list[RowError]:
    """The rows whose line manager is neither on file nor in a row to be imported."""
    in_file = {r.email for r in kept if r.email}
    wanted: dict[int, str] = {}
    for line, raw in raw_rows:
        manager = raw.get("line_manager_email", "").lower()
        if manager and manager not in in_file and manager != raw.get("email", "").lower():
            wanted[line] = manager
    if not wanted:
        return []
    on_file = set(
        User.objects.annotate(email_key=Lower("email"))
        .filter(email_key__in=set(wanted.values()))
        .values_list("email_key", flat=True)
    )
    return [
        RowError(line, f"line manager {manager} is not in the directory")
        for line, manager in wanted.items()
        if manager not in on_file
    ]


def _one_per_line(errors: list[RowError]) -> list[RowError]:
    """The errors by line, each line's problems in one, in the order they were found."""
    by_line: dict[int, list[str]] = {}
    for error in errors:
        by_line.setdefault(error.line, []).append(error.message)
    return [RowError(line, "; ".join(messages)) for line, messages in sorted(by_line.items())]


def _apply(
    checked: _Checked, *, actor: User | None, source: str, chunk_rows: int, report: _Progress
) -> _Written:
    """Write the checked rows: departments, people, then their line managers, with the trace."""
    departments, department_events = _departments_for(checked.rows, actor)
    audit.record_many([*checked.events, *department_events])
    before = moves.places(checked.matched.values())
    written = _write_in_chunks(
        checked.rows,
        checked.matched,
        departments,
        actor=actor,
        source=source,
        chunk_rows=chunk_rows,
        progress=report,
    )
    _link_managers(checked.rows, written, checked.on_file, actor, chunk_rows)
    _announce_moves(before, written, actor)
    return written


def _record_summary(result: ImportResult, *, actor: User | None, source: str) -> None:
    summary = audit.event(
        actor=actor,
        action="staff.imported",
        data={
            "source": source,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": len(result.errors),
            "held": len(result.held),
        },
    )
    audit.record_many([summary])


def _tell_others(written: _Written, *, actor: User | None, source: str, chunk_rows: int) -> None:
    """The side effects of new addresses and of new people (``PEOPLE_ADDED_HOOKS``)."""
    accounts.emails_changed(actor=actor, changes=written.new_addresses, source=source)
    for new_ids in _chunks([u.pk for u in written.new_users], chunk_rows):
        for hook in PEOPLE_ADDED_HOOKS:
            hook(new_ids)
