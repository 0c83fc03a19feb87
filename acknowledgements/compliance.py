"""Who has signed what: whose requirement counts, and HR's totals and breakdowns.

For a policy, the *baseline* is its newest material version (``publishing.baseline_versions``):
signing it, or anything later, is what counts. A person's *current requirement* is their
``Assignment`` on that policy with a version number at or above the baseline (at most one per
person). Its status (signed, due, overdue, not yet assigned) is ``signature_status``'s rule.

Only active staff count: ``is_active`` and not past their ``end_date`` (leavers drop off; their
records stay). The dashboard and the drill-down both read these helpers, so the two pages can
never disagree about a number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from acknowledgements import publishing, signature_status
from acknowledgements.models import Acknowledgement, Assignment, Policy, PolicyVersion
from portal.models import Department, User

LONDON = ZoneInfo("Europe/London")

# ``?department=none`` / ``?manager=none``: the people with no department / no line manager.
NONE = "none"

# The alias under which ``people_with_status`` joins each person's current requirement.
REQUIREMENT = "requirement"


def counting_versions(policy: Policy) -> QuerySet[PolicyVersion]:
    """The versions whose assignments and signatures count: the baseline and anything later."""
    return PolicyVersion.objects.filter(
        policy=policy,
        number__gte=Subquery(publishing.baseline_versions(policy).values("number")),
    ).order_by()


def active_people(today: date | None = None) -> QuerySet[User]:
    """Everyone who counts: active accounts not past their last day."""
    today = signature_status.local_today(today)
    return User.objects.filter(is_active=True).exclude(end_date__lt=today)


def current_requirements(policy: Policy) -> QuerySet[Assignment]:
    """Everyone's current requirement for ``policy``, active or not: one per person.

    Normally a person holds one assignment at or above the baseline. Someone who signed the
    baseline and then, of their own accord, a later minor version holds two; the newest is the
    one that counts (as in ``current_requirement``), so nobody is counted twice.
    """
    counting = counting_versions(policy).values("pk")
    newer = Assignment.objects.filter(
        user=OuterRef("user_id"),
        version__in=counting,
        version__number__gt=OuterRef("version__number"),
    )
    return Assignment.objects.filter(version__in=counting).exclude(Exists(newer)).order_by()


def requirements(policy: Policy, today: date | None = None) -> QuerySet[Assignment]:
    """The current requirements of active people for ``policy``."""
    today = signature_status.local_today(today)
    return (
        current_requirements(policy)
        .filter(user__is_active=True)
        .exclude(user__end_date__lt=today)
        .select_related("version")
        .order_by("due_date", "pk")
    )


def current_requirement(policy: Policy, user: User) -> Assignment | None:
    """``user``'s current requirement for ``policy`` (whether or not they are active): the
    newest of their assignments at or above the baseline."""
    return (
        Assignment.objects.filter(user=user, version__in=counting_versions(policy).values("pk"))
        .select_related("version", "acknowledgement")
        .order_by("-version__number")
        .first()
    )


def counting_numbers(policy: Policy) -> dict[int, int]:
    """The counting versions as ``{pk: number}``: one small query. Read first, the callers
    below join on plain ids instead of a subquery the planner would repeat per person."""
    return dict(counting_versions(policy).values_list("pk", "number"))


def _requirement(policy: Policy, counting: dict[int, int]) -> FilteredRelation:
    """The join to each person's current requirement (at most one row per person)."""
    if len(counting) == 1:
        # The usual case: one counting version, so at most one assignment per person.
        [version_id] = counting
        return FilteredRelation(
            "policy_assignments", condition=Q(policy_assignments__version_id=version_id)
        )
    return FilteredRelation(
        "policy_assignments",
        condition=Q(policy_assignments__id__in=Subquery(current_requirements(policy).values("pk"))),
    )


def _people_status(
    policy: Policy, today: date, counting: dict[int, int] | None = None
) -> QuerySet[User]:
    """Active people LEFT JOINed to their current requirement (at most one), with ``status``."""
    if counting is None:
        counting = counting_numbers(policy)
    return active_people(today).annotate(
        **{REQUIREMENT: _requirement(policy, counting)},
        status=signature_status.expression(today, REQUIREMENT),
    )


def people_with_status(policy: Policy, today: date | None = None) -> QuerySet[User]:
    """Active people, each annotated with their current requirement and ``status``.

    Annotations: ``status`` (one of ``signature_status.STATUSES``), ``requirement_id``,
    ``due_date``, ``acknowledgement_id``, ``signed_at``, ``version_number``. One row per person,
    the people never assigned included. Filter by status with ``.filter(status=...)``. Two
    queries: the counting versions, read now, then the people when the queryset is read.
    """
    counting = counting_numbers(policy)
    return _people_status(policy, signature_status.local_today(today), counting).annotate(
        requirement_id=F(f"{REQUIREMENT}__id"),
        due_date=F(f"{REQUIREMENT}__due_date"),
        acknowledgement_id=F(f"{REQUIREMENT}__acknowledgement_id"),
        signed_at=F(f"{REQUIREMENT}__acknowledgement__signed_at"),
        # The few counting versions' numbers are known: no per-row lookup.
        version_number=Case(
            *(
                When(**{f"{REQUIREMENT}__version_id": pk}, then=Value(number))
                for pk, number in counting.items()
            ),
            default=None,
            output_field=IntegerField(),
        ),
    )


def filter_people(
    people: QuerySet[User],
    *,
    department: str | None = None,
    manager: str | None = None,
    status: str | None = None,
) -> QuerySet[User]:
    """Narrow ``people_with_status`` by the dashboard's link parameters.

    ``department`` and ``manager`` are a primary key or ``NONE``; ``status`` one of
    ``signature_status.STATUSES``. Values that are none of these are ignored.
    """
    for field, value in (("department", department), ("line_manager", manager)):
        value = (value or "").strip()
        if value == NONE:
            people = people.filter(**{f"{field}__isnull": True})
        elif value.isdigit():
            people = people.filter(**{f"{field}_id": int(value)})
    if status in signature_status.STATUSES:
        people = people.filter(status=status)
    return people


def _percent(signed: int, total: int) -> float:
    return round(100 * signed / total, 1) if total else 0.0


@dataclass(frozen=True)
class Totals:
    signed: int
    due: int
    overdue: int
    unassigned: int
    total: int
    percent_signed: float


@dataclass(slots=True)  # not frozen: a frozen dataclass is several times slower to build,
class GroupRow:  # and the dashboard builds one per line manager, thousands of them
    """One department's or one line manager's numbers. ``pk`` is None for the 'No ...' row."""

    pk: int | None
    name: str
    signed: int
    due: int
    overdue: int
    unassigned: int
    total: int

    @property
    def percent_signed(self) -> float:
        return _percent(self.signed, self.total)

    @property
    def outstanding(self) -> int:
        return self.due + self.overdue + self.unassigned


@dataclass(slots=True)
class _Tally:
    signed: int = 0
    due: int = 0
    overdue: int = 0
    total: int = 0

    def add(self, signed: int, due: int, overdue: int, total: int) -> None:
        self.signed += signed
        self.due += due
        self.overdue += overdue
        self.total += total

    def row(self, pk: int | None, name: str) -> GroupRow:
        unassigned = self.total - self.signed - self.due - self.overdue
        return GroupRow(pk, name, self.signed, self.due, self.overdue, unassigned, self.total)

    def totals(self) -> Totals:
        whole = self.row(None, "")
        counts = (whole.signed, whole.due, whole.overdue, whole.unassigned, whole.total)
        return Totals(*counts, percent_signed=whole.percent_signed)


@dataclass(frozen=True)
class Breakdown:
    totals: Totals
    departments: list[GroupRow]  # in name order, 'No department' last
    managers: list[GroupRow]  # in name order, 'No line manager' last


def _by_name(rows: list[GroupRow]) -> list[GroupRow]:
    return sorted(rows, key=lambda r: (r.pk is None, r.name.casefold()))


def breakdown(
    policy: Policy, today: date | None = None, counting: dict[int, int] | None = None
) -> Breakdown:
    """The company's numbers for ``policy``, by department and by line manager.

    One pass over the people, grouped by (department, line manager) with each line manager's
    name, folded here into all three views, then the names of the departments that appear:
    three queries however large the company.
    """
    today = signature_status.local_today(today)
    if counting is None:
        counting = counting_numbers(policy)
    rows = _named_groups(_group_counts(policy, today, counting))
    company = _Tally()
    departments: dict[int | None, _Tally] = defaultdict(_Tally)
    managers: dict[int | None, _Tally] = defaultdict(_Tally)
    manager_names = {None: "No line manager"}
    for department_id, manager_id, signed, due, overdue, total, first, last, email in rows:
        company.add(signed, due, overdue, total)
        departments[department_id].add(signed, due, overdue, total)
        managers[manager_id].add(signed, due, overdue, total)
        if manager_id not in manager_names:
            manager_names[manager_id] = f"{first} {last}".strip() or email
    department_names = _department_names(departments)
    return Breakdown(
        totals=company.totals(),
        departments=_by_name(
            [tally.row(pk, department_names[pk]) for pk, tally in departments.items()]
        ),
        managers=_by_name([tally.row(pk, manager_names[pk]) for pk, tally in managers.items()]),
    )


def _group_counts(policy: Policy, today: date, counting: dict[int, int]) -> QuerySet[User]:
    """Active people's numbers per (department, line manager). Counted with the status rule's
    plain filters on the joined requirement (cheaper than grouping on the ``status``
    expression); 'not yet assigned' is what is left over."""
    return (
        active_people(today)
        .annotate(**{REQUIREMENT: _requirement(policy, counting)})
        .values("department_id", "line_manager_id")
        .annotate(
            total=Count("pk"),
            signed=Count("pk", filter=signature_status.signed_q(REQUIREMENT)),
            overdue=Count("pk", filter=signature_status.overdue_q(today, REQUIREMENT)),
            due=Count("pk", filter=signature_status.due_q(today, REQUIREMENT)),
        )
        .order_by()
        .values_list("department_id", "line_manager_id", "signed", "due", "overdue", "total")
    )


def _named_groups(groups: QuerySet[User]) -> list[tuple]:
    """``groups``' rows, each followed by its line manager's first name, last name and email.

    The line manager is named by a join made after grouping (8,000 lookups, cheaper than a
    second query over 8,000 ids), and the rows are read from the cursor: through the queryset,
    each of the 30,000 counts would pass through an int() the driver's ints do not need.
    """
    sql, params = groups.query.get_compiler(using=groups.db).as_sql()
    counts = "g.department_id, g.line_manager_id, g.signed, g.due, g.overdue, g.total"
    named = (
        f"SELECT {counts}, m.first_name, m.last_name, m.email FROM ({sql}) g "  # noqa: S608  # nosec B608
        f"LEFT JOIN {User._meta.db_table} m ON m.id = g.line_manager_id"
    )
    with connections[groups.db].cursor() as cursor:
        cursor.execute(named, params)
        return cursor.fetchall()


def _department_names(departments: dict[int | None, _Tally]) -> dict[int | None, str]:
    names: dict[int | None, str] = dict(
        Department.objects.filter(pk__in=[pk for pk in departments if pk is not None]).values_list(
            "pk", "name"
        )
    )
    names[None] = "No department"
    return names


def totals(policy: Policy, today: date | None = None) -> Totals:
    return breakdown(policy, today).totals


SORT_KEYS = {
    "name": lambda r: (r.pk is None, r.name.casefold()),
    "signed": lambda r: r.signed,
    "due": lambda r: r.due,
    "overdue": lambda r: r.overdue,
    "unassigned": lambda r: r.unassigned,
    "total": lambda r: r.total,
    "percent": lambda r: r.percent_signed,
}


def parse_sort(sort: str | None) -> str:
    """A ``SORT_KEYS`` name, '-'-prefixed for descending; anything else becomes 'name'."""
    sort = (sort or "").strip()
    return sort if sort.removeprefix("-") in SORT_KEYS else "name"


def sort_rows(rows: list[GroupRow], sort: str | None) -> tuple[list[GroupRow], str]:
    """``rows``, given in name order (as ``breakdown`` gives them), ordered by ``sort`` (see
    ``parse_sort``), ties in name order.

    Returns the rows and the sort actually applied: an unknown value is ignored ('name').
    """
    sort = parse_sort(sort)
    column = sort.removeprefix("-")
    if column == "name" and not sort.startswith("-"):
        return list(rows), sort
    # Stable, also in reverse: ties keep their name order.
    return sorted(rows, key=SORT_KEYS[column], reverse=sort.startswith("-")), sort


# A day's entry outlives the day it is for by a little, never by much: the next day has its own.
EARLIER_DAYS_KEPT_S = 25 * 60 * 60


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


def signatures_per_day(
    policy: Policy, today: date | None = None, counting: dict[int, int] | None = None
) -> list[DayCount]:
    """Signatures of the counting versions by local (London) date, since the baseline version
    was published.

    A signature is never edited or removed, so a finished day never changes: the days before
    yesterday are counted once a day and kept in the cache (under the day and the counting
    versions, so a new baseline starts afresh). Yesterday and today are counted on each call, a
    range of the (version, signed_at) index; yesterday too, so that a signature stamped just
    before midnight and committed just after is not missed. Three queries (one fewer given
    ``counting``, as ``counting_numbers`` reads it); two once the earlier days are cached.
    """
    today = signature_status.local_today(today)
    if counting is None:
        counting = counting_numbers(policy)
    settled = datetime.combine(today - timedelta(days=1), time(), tzinfo=LONDON)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=LONDON)
    signatures = Acknowledgement.objects.filter(
        version__in=list(counting),
        signed_at__gte=Subquery(publishing.baseline_versions(policy).values("published_at")),
    )
    versions = ",".join(str(pk) for pk in sorted(counting))
    key = f"signatures-per-day:{policy.pk}:{versions}:{today.isoformat()}"
    earlier = cache.get(key)
    if earlier is None:
        earlier = _per_day(signatures.filter(signed_at__lt=settled))
        cache.set(key, earlier, timeout=EARLIER_DAYS_KEPT_S)
    recent = _per_day(signatures.filter(signed_at__gte=settled, signed_at__lt=end))
    return [DayCount(day=day, count=count) for day, count in earlier + recent]


def _per_day(signatures: QuerySet[Acknowledgement]) -> list[tuple[date, int]]:
    rows = (
        signatures.annotate(day=TruncDate("signed_at", tzinfo=LONDON))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    return [(row["day"], row["count"]) for row in rows]
