"""Notices of starters, leavers, temporary workers and movers, and IT's work on them (policy
4.6, 5.5).

Every write is here: submitting a notice (with every rule it must meet), ticking off a task,
extending a temporary worker's access, cancelling a notice and sending the invitation again.
Each runs in one transaction with its audit event and its notices through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal import audit, moves, outbox, typed
from portal import permissions as roles
from portal.models import Department, User
from requests import permissions
from requests.staff import checklist, lifecycle, movers, selectors
from requests.staff.models import StaffChange, StaffChangeTask

Kind = StaffChange.Kind
State = StaffChange.State
Task = StaffChangeTask.Kind
MAX_REASON_LENGTH = 2000


class TaskRefused(Exception):
    """A change to a notice or its checklist was refused; the message says why."""


class LinkNeedsConfirmation(TaskRefused):
    """The account task waits for IT to confirm, on the page showing the differences, the
    existing account the notice is about."""


@dataclass
class NoticeDetails:
    """What HR or a manager tells IT, as their form cleaned it."""

    kind: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    employee_number: str = ""
    department: Department | None = None
    line_manager_email: str = ""
    job_title: str = ""
    start_date: date | None = None
    end_date: date | None = None
    systems: str = ""
    equipment: str = ""
    notes: str = ""
    leaver: str = ""  # the leaver's email address or employee number
    mover: str = ""  # the mover's email address or employee number
    effective_date: date | None = None
    new_line_manager: str = ""  # a mover's: email address or employee number


# One home for each, beside the movers' notices that need them too.
_day = movers.day
_active_person = movers.active_person


def _open_duplicate(notice: StaffChange) -> StaffChange | None:
    if notice.kind == Kind.MOVER:  # a move done and IT still at work does not stop the next
        return StaffChange.objects.filter(
            kind=Kind.MOVER, person=notice.person, state=State.OPEN, directory_updated_at=None
        ).first()
    same_person = Q(email=notice.email) if notice.email else Q(pk__in=[])
    if notice.employee_number:
        same_person |= Q(employee_number=notice.employee_number)
    if notice.person_id:
        same_person |= Q(person_id=notice.person_id)
    return StaffChange.objects.filter(same_person, kind=notice.kind, state=State.OPEN).first()


def _duplicate_message(actor: User, existing: StaffChange) -> str:
    if not permissions.can_view_notice(actor, existing):
        # Someone else's notice: whom it names is not this notifier's to learn.
        return (
            f"There is already an open {existing.get_kind_display().lower()} notice with this "
            "email address or employee number, given by someone else. Ask HR if it is wrong."
        )
    return (
        f"There is already an open {existing.get_kind_display().lower()} notice for "
        f"{existing.full_name} ({existing.reference}). Open it to see where IT is, or ask "
        "whoever gave it to cancel it if it is wrong."
    )


def _leaver(actor: User, details: NoticeDetails, notice: StaffChange, errors: dict) -> None:
    hr = roles.is_hr(actor)
    person = _active_person(details.leaver)
    if person is not None and not hr and not roles.manages(actor, person):
        # The same answer as for nobody at all: a manager learns nothing of other teams.
        person = None
    if person is None:
        errors["leaver"] = (
            "No active member of staff has the email address or employee number "
            f"“{details.leaver.strip()}”. Check it against the staff directory: a leaver must "
            "be someone with an active account."
            if hr
            else "None of your direct reports has the email address or employee number "
            f"“{details.leaver.strip()}”. You can give notice only for your own team; ask HR "
            "to notify IT of anyone else."
        )
    if details.end_date is None:
        errors["end_date"] = "Give the leaver's last working day."
    elif person is not None and person.start_date and details.end_date < person.start_date:
        errors["end_date"] = (
            f"{person.full_name} started on {_day(person.start_date)}: their last working day "
            "cannot be before that."
        )
    if person is None:
        return
    notice.person = person
    notice.first_name, notice.last_name = person.first_name, person.last_name
    notice.email, notice.employee_number = person.email, person.employee_number or ""
    notice.department, notice.line_manager = person.department, person.line_manager
    notice.job_title = person.job_title
    notice.end_date = details.end_date


NOT_YOUR_ACCOUNT = {
    "email": "This email address belongs to an existing account that you do not manage. If "
    "they are joining your team or coming back, ask HR to notify IT.",
    "employee_number": "This employee number belongs to an existing account that you do not "
    "manage. If they are joining your team or coming back, ask HR to notify IT.",
}
LABELS = {"email": "email address", "employee_number": "employee number"}


def _accounts_named(notice: StaffChange) -> list[tuple[str, User]]:
    """Existing accounts, active or not, that the notice's address or employee number belongs
    to, each with the field that matched."""
    found: list[tuple[str, User]] = []
    if notice.email:
        found += [("email", u) for u in User.objects.filter(email__iexact=notice.email)]
    if notice.employee_number:
        same_number = User.objects.filter(employee_number__iexact=notice.employee_number)
        found += [("employee_number", u) for u in same_number]
    return found


def _check_accounts_named(actor: User, notice: StaffChange, errors: dict) -> None:
    """A notice naming someone already in the directory acts for them (IT links it to their
    account): only someone who may act for that person can give it."""
    for field, person in _accounts_named(notice):
        if field in errors or permissions.can_give_notice_about(actor, person):
            continue
        if roles.is_hr(actor):  # HR sees everyone's record; what stops them is a role
            held = ", ".join(permissions.role_names(person))
            errors[field] = (
                f"This {LABELS[field]} belongs to {person.full_name}, who holds a role in the "
                f"portal ({held}). A notice cannot change a role holder's account: ask an "
                "administrator."
            )
        else:
            errors[field] = NOT_YOUR_ACCOUNT[field]


def _newcomer(
    actor: User, details: NoticeDetails, notice: StaffChange, errors: dict, today: date
) -> None:
    temporary = details.kind == Kind.TEMPORARY
    notice.first_name, notice.last_name = (
        typed.stored(details.first_name),
        typed.stored(details.last_name),
    )
    notice.email = typed.email(details.email)
    notice.employee_number = details.employee_number.strip()
    notice.department, notice.job_title = details.department, details.job_title.strip()
    notice.start_date = details.start_date
    if not notice.email and not notice.employee_number:
        errors["employee_number"] = (
            "Someone without an email address signs in with their employee number: give one "
            "or the other."
        )
    notice.end_date = details.end_date if temporary else None
    if details.department is None:
        errors["department"] = "Choose the department they will work in."
    if details.start_date is None:
        errors["start_date"] = "Give the date they start."
    if temporary:
        if details.end_date is None:
            errors["end_date"] = (
                "A temporary worker needs an access end date: the last day they need access "
                "to IT systems."
            )
        elif details.start_date and details.end_date < details.start_date:
            errors["end_date"] = "The access end date cannot be before the start date."
        elif details.end_date < today:
            errors["end_date"] = f"The access end date ({_day(details.end_date)}) has passed."
    if roles.is_hr(actor):
        manager_email = typed.email(details.line_manager_email)
        manager = (
            User.objects.filter(email=manager_email, is_active=True).first()
            if manager_email
            else None
        )
        if not manager_email:
            errors["line_manager_email"] = "Give the line manager's email address."
        elif manager is None:
            errors["line_manager_email"] = (
                f"No active member of staff has the email address {manager_email}."
            )
        elif notice.email and manager.email == notice.email:
            errors["line_manager_email"] = "Nobody can be their own line manager."
        notice.line_manager = manager
    else:
        # A manager tells IT about their own new team member.
        notice.line_manager = actor
        if (notice.email and actor.email == notice.email) or (
            notice.employee_number and actor.employee_number == notice.employee_number
        ):
            errors["email"] = "Nobody can be their own line manager: ask HR to notify IT."
    _check_accounts_named(actor, notice, errors)


def submit_notice(*, actor: User, details: NoticeDetails, today: date | None = None) -> StaffChange:
    """Record a notice, give IT its checklist and tell IT. Nothing is saved if any rule fails:
    ``ValidationError`` maps each problem to the form field it is about."""
    if not permissions.can_submit_notice(actor):
        raise PermissionDenied(
            "Only HR and line managers notify IT of starters, leavers and movers."
        )
    if details.kind not in Kind.values:
        raise ValidationError(
            {NON_FIELD_ERRORS: "Choose a starter, a leaver, a temporary worker or a mover."}
        )
    today = today or timezone.localdate()
    notice = StaffChange(
        kind=details.kind,
        submitted_by=actor,
        systems=details.systems.strip(),
        equipment=details.equipment.strip(),
        notes=details.notes.strip(),
    )
    _check_notice(actor, details, notice, today)
    with transaction.atomic():
        notice.submitted_at = timezone.now()
        notice.full_clean()
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:  # the same person notified at the same moment by someone else
            existing = _open_duplicate(notice)
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _duplicate_message(actor, existing)
                    if existing
                    else "Someone has just given the same notice. Open the list to see it."
                }
            ) from None
        StaffChangeTask.objects.bulk_create(checklist.tasks_for(notice))
        audit.record(
            actor=actor,
            action="staff_change.submitted",
            obj=notice,
            data={
                "kind": notice.kind,
                "person": notice.person_id,
                "start_date": notice.start_date,
                "end_date": notice.end_date,
                **({"effective_date": notice.effective_date} if notice.is_mover else {}),
            },
        )
        _tell_it(notice, "staff-change-new", key="new")
        if notice.is_mover and notice.effective_date <= today:
            movers.apply_move(notice, now=notice.submitted_at, actor=actor)
    return notice


def _check_notice(actor: User, details: NoticeDetails, notice: StaffChange, today: date) -> None:
    """Fill in ``notice`` from ``details`` by the rules of its kind; ``ValidationError`` with
    every problem, each on the field it is about, if any rule fails."""
    errors: dict[str, str] = {}
    if details.kind == Kind.LEAVER:
        _leaver(actor, details, notice, errors)
    elif details.kind == Kind.MOVER:
        movers.fill(actor, _move_details(details), notice, errors, today)
    else:
        _newcomer(actor, details, notice, errors, today)
    if not errors:
        existing = _open_duplicate(notice)
        if existing is not None:
            errors[NON_FIELD_ERRORS] = _duplicate_message(actor, existing)
    if errors:
        raise ValidationError(errors)


def _move_details(details: NoticeDetails) -> movers.MoveDetails:
    return movers.MoveDetails(
        mover=details.mover,
        effective_date=details.effective_date,
        department=details.department,
        new_line_manager=details.new_line_manager,
        job_title=details.job_title,
    )


SUPERSEDED = "Overtaken by the staff import of {day}, which moved them at once."


def raise_for_import(moved: list[moves.Move], *, actor: User | None) -> list[StaffChange]:
    """A mover notice for each person a staff import moved: the import's file is the directory
    as it stands, so the move took effect at once (its date is today and the directory is
    already updated) and IT's checklist starts from today. A move still waiting for its date
    is cancelled: the import has overtaken it. Call inside the import's transaction."""
    now = timezone.now()
    today = timezone.localdate(now)
    people = User.objects.in_bulk(
        [m.person for m in moved]
        + [pk for m in moved for pk in (m.old_manager, m.new_manager) if pk is not None]
    )
    departments = Department.objects.in_bulk(
        [pk for m in moved for pk in (m.old_department, m.new_department) if pk is not None]
    )
    pending = StaffChange.objects.select_for_update(of=("self",)).filter(
        kind=Kind.MOVER,
        state=State.OPEN,
        directory_updated_at=None,
        person__in=[m.person for m in moved],
    )
    for notice in pending:
        _cancel(notice, actor=actor, reason=SUPERSEDED.format(day=_day(today)))
    notices = StaffChange.objects.bulk_create(
        [_imported_move(move, people, departments, actor, now) for move in moved]
    )
    StaffChangeTask.objects.bulk_create(
        [task for notice in notices for task in checklist.tasks_for(notice)]
    )
    audit.record_many(
        [
            audit.event(
                actor=actor,
                action="staff_change.submitted",
                obj=notice,
                data={"kind": notice.kind, "person": notice.person_id, "source": "import"},
            )
            for notice in notices
        ]
    )
    it = list(roles.it_staff().order_by("pk").distinct())
    outbox.notify_many(
        outbox.Notice(
            recipient=member,
            kind="staff-change-new",
            dedupe_key=f"staff-change-new:{notice.pk}:new:{member.pk}",
            context={"notice": notice},
            link=_link(notice),
        )
        for notice in notices
        for member in it
    )
    return notices


def _imported_move(
    move: moves.Move,
    people: dict[int, User],
    departments: dict[int, Department],
    actor: User | None,
    now: datetime,
) -> StaffChange:
    person = people[move.person]
    return StaffChange(
        kind=Kind.MOVER,
        person=person,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email or "",
        employee_number=person.employee_number or "",
        department=departments.get(move.new_department),
        line_manager=people.get(move.new_manager),
        job_title=move.new_job_title,
        old_department=departments.get(move.old_department),
        old_line_manager=people.get(move.old_manager),
        old_job_title=move.old_job_title,
        effective_date=timezone.localdate(now),
        directory_updated_at=now,
        submitted_by=actor,
        submitted_at=now,
        notes="Raised by the staff import: the directory changed when the file was imported.",
    )


# --- Notices through the outbox ---------------------------------------------------------------
def _link(notice: StaffChange) -> str:
    return reverse("requests:staff_change", args=[notice.pk])


def _tell_it(notice: StaffChange, kind: str, *, key: str, **context: object) -> None:
    for member in roles.it_staff().order_by("pk"):
        outbox.notify(
            recipient=member,
            kind=kind,
            dedupe_key=f"{kind}:{notice.pk}:{key}:{member.pk}",
            context={"notice": notice, **context},
            link=_link(notice),
        )


def _tell_manager_done(notice: StaffChange) -> None:
    recipients = {u.pk: u for u in (notice.line_manager, notice.submitted_by) if u is not None}
    for user in recipients.values():
        if not user.is_active:
            continue
        outbox.notify(
            recipient=user,
            kind="staff-change-done",
            dedupe_key=f"staff-change-done:{notice.pk}:{user.pk}",
            context={"notice": notice, "tasks": list(notice.tasks.select_related("completed_by"))},
            link=_link(notice),
        )


# --- IT's checklist ---------------------------------------------------------------------------
def _locked(notice: StaffChange) -> StaffChange:
    locked = (
        StaffChange.objects.select_for_update(of=("self",))
        .select_related("person", "line_manager", "submitted_by", "department")
        .get(pk=notice.pk)
    )
    return locked


def _check_open(notice: StaffChange) -> None:
    if not notice.is_open:
        raise TaskRefused(
            f"{notice.reference} is {notice.get_state_display().lower()}: it can no longer change."
        )


def complete_task(
    *,
    actor: User,
    task: StaffChangeTask,
    note: str = "",
    override_reason: str = "",
    confirmation: lifecycle.LinkConfirmation | None = None,
    now: datetime | None = None,
) -> StaffChangeTask:
    """IT ticks off one task; who and when are recorded. The last one closes the notice and the
    manager is told. "Account created" makes the portal account and sends the invitation, or,
    for someone already in the directory, links it only with IT's ``confirmation`` from the page
    that shows the differences (``LinkNeedsConfirmation`` without it). The starter's policy task
    needs the policy signed, or IT's reason for going ahead without it."""
    if not permissions.can_work_staff_board(actor):
        raise TaskRefused("Only the IT Department ticks off checklist tasks.")
    note, override_reason = note.strip(), override_reason.strip()
    if len(note) > MAX_REASON_LENGTH or len(override_reason) > MAX_REASON_LENGTH:
        raise TaskRefused(f"Keep the note and the reason under {MAX_REASON_LENGTH} characters.")
    now = now or timezone.now()
    with transaction.atomic():
        notice = _locked(task.notice)
        _check_open(notice)
        task = StaffChangeTask.objects.select_related("completed_by").get(pk=task.pk)
        _check_not_done(task)
        override_reason = _ready_to_tick(actor, notice, task, confirmation, override_reason)
        task.completed_at, task.completed_by = now, actor
        task.note, task.override_reason = note, override_reason
        task.save(update_fields=["completed_at", "completed_by", "note", "override_reason"])
        audit.record(
            actor=actor,
            action="staff_change.task_completed",
            obj=notice,
            data={"task": task.kind, "override": bool(override_reason)},
        )
        _close_when_done(actor, notice, now)
    return task


def _check_not_done(task: StaffChangeTask) -> None:
    if task.is_done:
        raise TaskRefused(
            f"“{task.get_kind_display()}” was already ticked off by "
            f"{task.completed_by.full_name if task.completed_by else 'someone'} on "
            f"{_day(timezone.localdate(task.completed_at))}."
        )


def _ready_to_tick(
    actor: User,
    notice: StaffChange,
    task: StaffChangeTask,
    confirmation: lifecycle.LinkConfirmation | None,
    override_reason: str,
) -> str:
    """What a task needs before it is ticked off: the account task makes or links the account,
    the policy task needs the policy signed or IT's reason. Returns the override that stands."""
    if task.kind in checklist.ACCOUNT_TASKS:
        _make_account(actor, notice, confirmation)
    elif confirmation is not None:
        raise TaskRefused("Only the account task links a notice to an existing account.")
    elif task.kind == Task.POLICY_SIGNED:
        return _policy_override(notice, override_reason)
    return override_reason


def _policy_override(notice: StaffChange, override_reason: str) -> str:
    if notice.person is None:
        raise TaskRefused("Create the portal account first: the policy is signed in the portal.")
    if selectors.has_signed_policy(notice.person):
        return ""  # nothing to override
    if not override_reason:
        raise TaskRefused(
            f"{notice.full_name} has not signed the policy yet, so access to systems "
            "waits (policy 4.6). To go ahead anyway, record the reason as an override."
        )
    return override_reason


def _close_when_done(actor: User, notice: StaffChange, now: datetime) -> None:
    """The last task ticked off closes the notice, and the manager is told."""
    if not notice.tasks.filter(completed_at__isnull=True).exists():
        notice.state, notice.closed_at = State.CLOSED, now
        notice.save(update_fields=["state", "closed_at"])
        audit.record(actor=actor, action="staff_change.closed", obj=notice)
        _tell_manager_done(notice)


def _make_account(
    actor: User, notice: StaffChange, confirmation: lifecycle.LinkConfirmation | None
) -> None:
    try:
        user, _created = lifecycle.create_or_link_account(
            actor=actor, notice=notice, confirmation=confirmation
        )
    except lifecycle.LinkNeedsConfirmation as exc:
        raise LinkNeedsConfirmation(str(exc)) from None
    except lifecycle.AccountConflict as exc:
        raise TaskRefused(str(exc)) from None
    except ValidationError as exc:
        raise TaskRefused(" ".join(exc.messages)) from None
    if lifecycle.needs_invitation(user) and user.email:
        # Without an address, the person's first sign-in is a printed letter instead.
        lifecycle.send_invitation(actor=actor, notice=notice, user=user)


def resend_invitation(*, actor: User, notice: StaffChange) -> StaffChange:
    """A new invitation when the first link has expired (it works for a few days only)."""
    if not permissions.can_work_staff_board(actor):
        raise TaskRefused("Only the IT Department sends sign-in invitations.")
    with transaction.atomic():
        notice = _locked(notice)
        person = notice.person
        if person is None:
            raise TaskRefused("There is no portal account yet: tick off the account task first.")
        if not person.email:
            raise TaskRefused(
                f"{person.full_name} has no email address: print them a first sign-in letter "
                "from the staff directory instead."
            )
        if not lifecycle.needs_invitation(person):
            raise TaskRefused(
                f"{person.full_name} has already chosen a password (or their account has "
                "ended), so there is nothing to invite them to. They can use “Forgot your "
                "password?” on the sign-in page."
            )
        lifecycle.send_invitation(actor=actor, notice=notice, user=person)
    return notice


# --- Changes by the manager or HR -------------------------------------------------------------
def extend_access(
    *, actor: User, notice: StaffChange, end_date: date, today: date | None = None
) -> StaffChange:
    """The temporary worker's manager (or HR) moves the access end date later; audited, and IT
    is told. The account then ends at midnight after the new date."""
    if not permissions.can_change_notice(actor, notice):
        raise TaskRefused("Only the worker's line manager or HR can extend their access.")
    today = today or timezone.localdate()
    with transaction.atomic():
        notice = _locked(notice)
        if notice.kind != Kind.TEMPORARY:
            raise TaskRefused("Only a temporary worker's access has an end date to extend.")
        _check_open(notice)
        if notice.account_ended_at is not None:
            raise TaskRefused(
                f"{notice.full_name}'s access has already ended. Give IT a new temporary "
                "worker notice instead."
            )
        old = notice.end_date
        if end_date <= old:
            raise TaskRefused(f"Choose a date after the current access end date, {_day(old)}.")
        if end_date < today:
            raise TaskRefused(f"The new end date ({_day(end_date)}) has already passed.")
        revoked = notice.tasks.filter(kind=Task.ACCESS_REVOKED).first()
        if revoked is not None and revoked.is_done:
            raise TaskRefused(
                "IT has already revoked this worker's access. Give IT a new temporary worker "
                "notice instead."
            )
        notice.end_date = end_date
        notice.save(update_fields=["end_date"])
        for task in notice.tasks.filter(kind__in=checklist.END_DATE_TASKS):
            task.due_date = checklist.due_date(notice, task.kind)
            task.save(update_fields=["due_date"])
        if notice.person is not None and notice.governs_account:
            # Only an account this notice made or reactivated ends with it; a linked account's
            # end is the directory's.
            User.objects.filter(pk=notice.person_id).update(end_date=end_date)
        event = audit.record(
            actor=actor,
            action="staff_change.extended",
            obj=notice,
            data={"from": old, "to": end_date},
        )
        _tell_it(
            notice, "staff-change-update", key=f"extended-{event.pk}", change="extended", old=old
        )
    return notice


def cancel_notice(*, actor: User, notice: StaffChange, reason: str) -> StaffChange:
    """Withdraw a notice given by mistake; the record stays and IT is told."""
    _check_move_waits(notice)
    if not permissions.can_cancel_notice(actor, notice):
        raise TaskRefused("Only HR or the manager who gave the notice can cancel it.")
    reason = reason.strip()
    if not reason:
        raise TaskRefused("Say why the notice is cancelled, so IT knows what to undo.")
    if len(reason) > MAX_REASON_LENGTH:
        raise TaskRefused(f"Keep the reason under {MAX_REASON_LENGTH} characters.")
    with transaction.atomic():
        notice = _locked(notice)
        _check_open(notice)
        _check_move_waits(notice)
        _cancel(notice, actor=actor, reason=reason)
    return notice


def _check_move_waits(notice: StaffChange) -> None:
    if notice.is_mover and not notice.move_pending:
        raise TaskRefused(
            f"{notice.full_name}'s move is already in the staff directory. To move them "
            "back, give a new mover notice."
        )


def _cancel(notice: StaffChange, *, actor: User | None, reason: str) -> None:
    notice.state, notice.closed_at = State.CANCELLED, timezone.now()
    notice.cancel_reason = reason
    notice.save(update_fields=["state", "closed_at", "cancel_reason"])
    event = audit.record(actor=actor, action="staff_change.cancelled", obj=notice)
    _tell_it(notice, "staff-change-update", key=f"cancelled-{event.pk}", change="cancelled")
