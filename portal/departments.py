"""Departments and who authorises their costs (policy 4.11), kept by HR.

One rule, ``authoriser``: on a given day a department's costs are authorised by the deputy while
the day falls within the deputy's dates, otherwise by the budget holder; an account that is
closed authorises nothing. ``authorised_by`` and ``without_authoriser`` are the same rule as query
conditions, for lists. Whoever the rule names when a decision is made may make it, and nobody
else: requests waiting when a deputy's dates begin or end follow the rule, not who was asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from portal import audit, typed
from portal.models import AuditEvent, Department, User

# Told, after HR changes a department, when its costs are authorised by someone else now:
# another app moves and announces what waits for them (``requests`` adds one).
AUTHORITY_MOVED: list[Callable[[Department, User | None], None]] = []

CREATED = "department.created"
RENAMED = "department.renamed"
HOLDER_CHANGED = "department.budget_holder_changed"
DEPUTY_CHANGED = "department.deputy_changed"


def today() -> date:
    return timezone.localdate()


def deputy_acting(department: Department, on: date | None = None) -> bool:
    on = on or today()
    return (
        department.deputy is not None
        and department.deputy.is_active
        and department.deputy_from is not None
        and department.deputy_to is not None
        and department.deputy_from <= on <= department.deputy_to
    )


def authoriser(department: Department | None, on: date | None = None) -> User | None:
    """Who authorises ``department``'s costs on ``on`` (today): the deputy within their dates,
    else the budget holder; None when nobody can (then HR's list of requests waiting for a
    budget holder holds them)."""
    if department is None:
        return None
    if deputy_acting(department, on):
        return department.deputy
    holder = department.budget_holder
    return holder if holder is not None and holder.is_active else None


def _acting(on: date, prefix: str) -> Q:
    return Q(
        **{
            f"{prefix}deputy__is_active": True,
            f"{prefix}deputy_from__lte": on,
            f"{prefix}deputy_to__gte": on,
        }
    )


def authorised_by(user: User, on: date | None = None, prefix: str = "") -> Q:
    """``authoriser(department, on) == user`` as a condition on departments (or, with
    ``prefix`` such as ``"department__"``, on what belongs to one)."""
    on = on or today()
    acting = _acting(on, prefix)
    holds = Q(**{f"{prefix}budget_holder": user, f"{prefix}budget_holder__is_active": True})
    return (acting & Q(**{f"{prefix}deputy": user})) | (~acting & holds)


def without_authoriser(on: date | None = None, prefix: str = "") -> Q:
    """``authoriser(department, on) is None`` as a condition."""
    on = on or today()
    return ~_acting(on, prefix) & ~Q(**{f"{prefix}budget_holder__is_active": True})


def for_list(*, missing_only: bool = False) -> QuerySet[Department]:
    """HR's list: every department with its budget holder, deputy and member count."""
    departments = Department.objects.select_related("budget_holder", "deputy").annotate(
        people=Count("members", filter=Q(members__is_active=True))
    )
    if missing_only:
        departments = departments.filter(without_authoriser())
    return departments.order_by("name")


# --- Who may be named -----------------------------------------------------------------------
NOT_ELIGIBLE = (
    "{who} cannot hold a budget: only active members of staff (permanent or fixed-term, before "
    "their last day) can."
)
STAFF_TYPES = (User.EmploymentType.PERMANENT, User.EmploymentType.FIXED_TERM)


# Other apps tell of a last day the directory does not hold yet (the requests app: a leaver
# notice given to IT); each returns the day, or None.
LAST_DAY_PROVIDERS: list[Callable[[User], date | None]] = []


def last_day(person: User) -> date | None:
    """The person's last working day: the directory's, or an earlier one another app knows of."""
    days = [person.end_date, *(provider(person) for provider in LAST_DAY_PROVIDERS)]
    return min((day for day in days if day is not None), default=None)


def eligible(person: User, on: date | None = None) -> bool:
    """Active staff, not contractors or temporary workers, and not past their last day."""
    on = on or today()
    if not person.is_active or person.employment_type not in STAFF_TYPES:
        return False
    leaves = last_day(person)
    return leaves is None or leaves >= on


def find_person(sign_in_name: str) -> User | None:
    """The account a sign-in name (address or employee number) names, if any."""
    name = typed.sign_in_name(sign_in_name or "")
    if not name:
        return None
    try:
        return User.objects.get_by_natural_key(name)
    except User.DoesNotExist:
        return None


@dataclass(frozen=True)
class Authority:
    """What HR names for a department: a budget holder and, optionally, a deputy with dates."""

    budget_holder: User | None
    deputy: User | None = None
    deputy_from: date | None = None
    deputy_to: date | None = None


def check_authority(authority: Authority, on: date | None = None) -> None:
    """Refuse, field by field, what cannot be recorded."""
    on = on or today()
    errors: dict[str, str] = {}
    holder, deputy = authority.budget_holder, authority.deputy
    if holder is not None and not eligible(holder, on):
        errors["budget_holder"] = NOT_ELIGIBLE.format(who=holder.full_name)
    if deputy is not None:
        if not eligible(deputy, on):
            errors["deputy"] = NOT_ELIGIBLE.format(who=deputy.full_name)
        elif holder is not None and deputy.pk == holder.pk:
            errors["deputy"] = "The deputy must be someone other than the budget holder."
        if authority.deputy_from is None or authority.deputy_to is None:
            errors["deputy_to"] = "Give the first and last day the deputy decides."
        elif authority.deputy_to < authority.deputy_from:
            errors["deputy_to"] = "The last day must be on or after the first day."
        elif authority.deputy_to < on:
            errors["deputy_to"] = "The last day has passed: give dates from today on."
        elif (leaves := last_day(deputy)) is not None and leaves < authority.deputy_to:
            errors["deputy_to"] = (
                f"{deputy.full_name} leaves on {leaves:%d %B %Y}, before the last day."
            )
    elif authority.deputy_from or authority.deputy_to:
        errors["deputy"] = "Name the deputy who decides on those dates, or clear the dates."
    if errors:
        raise ValidationError(errors)


# --- Changes, each audited --------------------------------------------------------------------
def _clean_name(name: str, *, department: Department | None = None) -> str:
    name = typed.stored(name or "")
    if not name:
        raise ValidationError({"name": "Give the department a name."})
    if len(name) > Department._meta.get_field("name").max_length:
        raise ValidationError({"name": "Keep the name to 120 characters."})
    clash = Department.objects.filter(name__iexact=name)
    if department is not None:
        clash = clash.exclude(pk=department.pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a department called {name}."})
    return name


@transaction.atomic
def create(*, actor: User, name: str) -> Department:
    department = Department.objects.create(name=_clean_name(name))
    audit.record(
        actor=actor, action="department.created", obj=department, data={"name": department.name}
    )
    return department


@transaction.atomic
def rename(*, actor: User, department: Department, name: str) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    name = _clean_name(name, department=department)
    if name == department.name:
        return department
    old, department.name = department.name, name
    department.save(update_fields=["name"])
    audit.record(
        actor=actor, action="department.renamed", obj=department, data={"from": old, "to": name}
    )
    return department


def _person(user: User | None) -> dict[str, object] | None:
    return None if user is None else {"id": user.pk, "name": user.full_name}


@transaction.atomic
def set_authority(*, actor: User, department: Department, authority: Authority) -> Department:
    """Record the budget holder and deputy; each change is audited, and when the costs are
    authorised by someone else now, ``AUTHORITY_MOVED`` is told."""
    check_authority(authority)
    department = (
        Department.objects.select_for_update(of=("self",))
        .select_related("budget_holder", "deputy")
        .get(pk=department.pk)
    )
    _refuse_naming_oneself(actor, department, authority)
    before = authoriser(department)
    if department.budget_holder_id != (authority.budget_holder and authority.budget_holder.pk):
        audit.record(
            actor=actor,
            action="department.budget_holder_changed",
            obj=department,
            data={
                "from": _person(department.budget_holder),
                "to": _person(authority.budget_holder),
            },
        )
        department.budget_holder = authority.budget_holder
    deputy_old = (department.deputy_id, department.deputy_from, department.deputy_to)
    deputy_pk = authority.deputy.pk if authority.deputy else None
    if deputy_old != (deputy_pk, authority.deputy_from, authority.deputy_to):
        audit.record(
            actor=actor,
            action="department.deputy_changed",
            obj=department,
            data={
                "from": _deputy(department.deputy, department.deputy_from, department.deputy_to),
                "to": _deputy(authority.deputy, authority.deputy_from, authority.deputy_to),
            },
        )
        department.deputy = authority.deputy
        department.deputy_from, department.deputy_to = authority.deputy_from, authority.deputy_to
    department.save()
    if authoriser(department) != before:
        for hook in AUTHORITY_MOVED:
            hook(department, actor)
    return department


NOT_ONESELF = "You cannot give yourself authority over costs: another member of HR names you."


def _refuse_naming_oneself(actor: User, department: Department, authority: Authority) -> None:
    """Nobody makes themselves a budget holder or deputy (they would authorise costs, their own
    within the self-authority limit, on their own say): another member of HR does it. Keeping
    an authority one already holds while changing the rest is no new power."""
    errors = {}
    holder, deputy = authority.budget_holder, authority.deputy
    if holder is not None and holder.pk == actor.pk and department.budget_holder_id != actor.pk:
        errors["budget_holder"] = NOT_ONESELF
    newly_deputy = (department.deputy_id, department.deputy_from, department.deputy_to) != (
        actor.pk,
        authority.deputy_from,
        authority.deputy_to,
    )
    if deputy is not None and deputy.pk == actor.pk and newly_deputy:
        errors["deputy"] = NOT_ONESELF
    if errors:
        raise ValidationError(errors)


def _deputy(person: User | None, start: date | None, end: date | None) -> dict[str, object]:
    return {"person": _person(person), "from": start, "to": end}


# --- History, in words ------------------------------------------------------------------------
def _name(person: dict[str, object] | None) -> str:
    return str(person["name"]) if person else "nobody"


def _deputy_words(deputy: dict[str, object]) -> str:
    if not deputy.get("person"):
        return "no deputy"
    start, end = (date.fromisoformat(str(deputy[k])).strftime("%d %B %Y") for k in ("from", "to"))
    return f"{_name(deputy['person'])} from {start} to {end}"  # type: ignore[arg-type]


def describe(event: AuditEvent) -> str:
    """One change to a department, as a sentence."""
    data = event.data
    if event.action == CREATED:
        return f"Department added as “{data.get('name') or event.object_repr}”."
    if event.action == RENAMED:
        return f"Renamed from “{data.get('from', '')}” to “{data.get('to', '')}”."
    if event.action == HOLDER_CHANGED:
        return f"Budget holder changed from {_name(data.get('from'))} to {_name(data.get('to'))}."
    if event.action == DEPUTY_CHANGED:
        return (
            f"Deputy changed from {_deputy_words(data.get('from') or {})} "
            f"to {_deputy_words(data.get('to') or {})}."
        )
    return event.action


def history(department: Department) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            object_type=Department._meta.label_lower, object_id=str(department.pk)
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


@transaction.atomic
def update(*, actor: User, department: Department, name: str, authority: Authority) -> Department:
    """HR's edit page: the name and who authorises the costs, together."""
    rename(actor=actor, department=department, name=name)
    return set_authority(actor=actor, department=department, authority=authority)
