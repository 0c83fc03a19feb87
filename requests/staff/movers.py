"""Movers: someone changing department, line manager or job title, and the directory changing
with them on the effective date.

HR, or the person's current line manager, gives the notice (``fill``: the rules it must meet);
the directory takes the new place on the effective date (``apply_move``, at once when that
date has come, else the hourly ``apply_due_moves``, safe to run twice). Each change of the
directory is audited on the notice and announced as ``portal.moves.staff_moved``, so that
personal-use grants made by the old manager end. A staff import that moves someone raises its
own notice (``changes.raise_for_import``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from portal import audit, moves, typed
from portal import permissions as roles
from portal.models import Department, User
from requests import permissions
from requests.staff.models import StaffChange

Kind = StaffChange.Kind
State = StaffChange.State


def day(value: date) -> str:
    """A date as notices and their messages write it."""
    return date_format(value, "j F Y")


def active_person(identifier: str) -> User | None:
    """The active member of staff with this email address or employee number."""
    identifier = identifier.strip()
    if not identifier:
        return None
    return (
        User.objects.filter(is_active=True)
        .filter(Q(email=typed.email(identifier)) | Q(employee_number=identifier))
        .select_related("department", "line_manager")
        .first()
    )


def _person(actor: User, identifier: str, errors: dict) -> User | None:
    """The mover, if ``actor`` may give notice about them: HR (not for a role holder), or
    their current line manager. Anyone else learns nothing about whether they exist."""
    person = active_person(identifier)
    if person is not None and permissions.can_give_notice_about(actor, person):
        return person
    if person is not None and roles.is_hr(actor) and person.pk != actor.pk:
        errors["mover"] = (
            f"{person.full_name} holds a role in the portal "
            f"({', '.join(permissions.role_names(person))}): their place in the directory is "
            "an administrator's to change."
        )
    elif roles.is_hr(actor):
        errors["mover"] = (
            "No active member of staff you may move has the email address or employee number "
            f"“{identifier.strip()}”. Check it against the staff directory (your own place is "
            "changed by another member of HR or an administrator)."
        )
    else:
        errors["mover"] = (
            "None of your direct reports has the email address or employee number "
            f"“{identifier.strip()}”. You can give notice only for your own team; ask HR "
            "about anyone else."
        )
    return None


def _new_manager(person: User | None, identifier: str, errors: dict) -> User | None:
    """The new line manager: active, not the mover, and not someone the mover manages."""
    if not identifier.strip():
        return None
    manager = active_person(identifier)
    if manager is None:
        errors["new_line_manager"] = (
            "No active member of staff has the email address or employee number "
            f"“{identifier.strip()}”."
        )
        return None
    if person is None:
        return manager
    if manager.pk == person.pk:
        errors["new_line_manager"] = "Nobody can be their own line manager."
        return None
    chain = moves.loop_through(person, manager)
    if chain:
        names = " reports to ".join(u.full_name for u in [*chain, person])
        errors["new_line_manager"] = (
            f"{manager.full_name} reports, through their managers, to {person.full_name} "
            f"({names}): line managers would form a loop. Move {manager.full_name} first."
        )
        return None
    return manager


@dataclass(frozen=True)
class MoveDetails:
    mover: str
    effective_date: date | None
    department: Department | None
    new_line_manager: str
    job_title: str


def fill(actor: User, details: MoveDetails, notice: StaffChange, errors: dict, today: date) -> None:
    """Check a mover notice and put its person, old and new places and date on ``notice``.
    Blank new values keep the person's current ones; something must change."""
    person = _person(actor, details.mover, errors)
    manager = _new_manager(person, details.new_line_manager, errors)
    if details.effective_date is None:
        errors["effective_date"] = "Give the date the move takes effect."
    elif details.effective_date < today:
        errors["effective_date"] = (
            f"The effective date ({day(details.effective_date)}) has passed: give today's "
            "date if the move has already happened."
        )
    if person is None:
        return
    notice.person = person
    notice.first_name, notice.last_name = person.first_name, person.last_name
    notice.email, notice.employee_number = person.email or "", person.employee_number or ""
    notice.old_department, notice.old_line_manager = person.department, person.line_manager
    notice.old_job_title = person.job_title
    notice.department = details.department or person.department
    notice.line_manager = manager or person.line_manager
    notice.job_title = details.job_title.strip() or person.job_title
    notice.effective_date = details.effective_date
    if (
        "new_line_manager" not in errors
        and notice.department_id == person.department_id
        and notice.line_manager_id == person.line_manager_id
        and notice.job_title == person.job_title
    ):
        errors["department"] = (
            f"This is {person.full_name}'s place now: choose a new department, line manager or "
            "job title."
        )


# --- The directory on the effective date ------------------------------------------------------
def why_not_now(notice: StaffChange) -> str:
    """Why the move cannot go into the directory as it stands ("" if it can)."""
    person, manager = notice.person, notice.line_manager
    if not person.is_active:
        return f"{person.full_name}'s account has ended."
    if manager is not None:
        if not manager.is_active:
            return f"The new line manager, {manager.full_name}, is no longer active."
        if manager.pk == person.pk or moves.loop_through(person, manager):
            return "Line managers would form a loop: the directory has changed since the notice."
    return ""


def apply_move(notice: StaffChange, *, now: datetime, actor: User | None = None) -> bool:
    """Put the mover's new place in the directory, audit it on the notice and announce it.
    Call inside a transaction with ``notice`` locked. ``False`` (nothing changed) when the move
    is not pending or cannot be made as the directory stands."""
    if not (notice.move_pending and notice.is_open):
        return False
    person = User.objects.select_for_update().get(pk=notice.person_id)
    notice.person = person
    if why_not_now(notice):
        return False
    before = moves.places([person])
    # Only what the notice changes: the rest may have changed in the directory since.
    fields = []
    if notice.department_id != notice.old_department_id:
        person.department = notice.department
        fields.append("department")
    if notice.line_manager_id != notice.old_line_manager_id:
        person.line_manager = notice.line_manager
        fields.append("line_manager")
    if notice.job_title != notice.old_job_title:
        person.job_title = notice.job_title
        fields.append("job_title")
    person.save(update_fields=fields)
    notice.directory_updated_at = now
    notice.save(update_fields=["directory_updated_at"])
    audit.record(
        actor=actor,
        action="staff_change.moved",
        obj=notice,
        data={
            "person": person.pk,
            "department": [notice.old_department_id, notice.department_id],
            "line_manager": [notice.old_line_manager_id, notice.line_manager_id],
            "job_title": [notice.old_job_title, notice.job_title],
        },
    )
    # A new job title alone is not announced: the team, and its manager's grants, stay.
    moves.announce(moves.moves_between(before, [person]), actor=actor, source=moves.NOTICE)
    return True


def due_moves(today: date):
    """Open mover notices whose effective date has come and whose place is not in the directory."""
    return StaffChange.objects.filter(
        kind=Kind.MOVER,
        state=State.OPEN,
        directory_updated_at__isnull=True,
        effective_date__lte=today,
    ).order_by("effective_date", "pk")


def apply_due_moves(now: datetime) -> tuple[int, int]:
    """The scheduled part: every move whose date has come, each in its own transaction so one
    that cannot be made does not hold up the others. Returns (made, held). A second run finds
    the made ones marked and makes nothing twice."""
    made = held = 0
    for pk in list(due_moves(timezone.localdate(now)).values_list("pk", flat=True)):
        with transaction.atomic():
            notice = (
                StaffChange.objects.select_for_update(of=("self",))
                .select_related("line_manager", "department")
                .get(pk=pk)
            )
            if not notice.move_pending or not notice.is_open:
                continue
            if apply_move(notice, now=now):
                made += 1
            else:
                held += 1
    return made, held
