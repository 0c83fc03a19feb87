"""The portal account of a starter, leaver or temporary worker: made, invited and ended.

Creating the account is part of IT ticking off "account created" (``changes``); ending it
is the scheduled ``end_expired_access``, which runs every hour and is safe to run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode

from acknowledgements import grants
from portal import audit, outbox, staff_import
from portal import permissions as roles
from portal.models import User
from requests import permissions
from requests.staff.models import StaffChange

Kind = StaffChange.Kind
INVITATION_KIND = "sign-in-invitation"


class AccountConflict(Exception):
    """The notice's email address or employee number belongs to someone else."""


class LinkNeedsConfirmation(Exception):
    """The notice names an account already in the directory: IT must see the differences and
    confirm before the notice is linked to it (or the account reactivated)."""


@dataclass(frozen=True)
class LinkConfirmation:
    """IT's confirmation, from the page that showed the differences, of the account the notice
    is linked to and whether that reactivates it. A confirmation of anything else is stale."""

    account: int
    reactivate: bool


@dataclass(frozen=True)
class Difference:
    label: str
    on_notice: str
    in_directory: str
    changes: bool  # whether confirming writes the notice's value to the account

    @property
    def differs(self) -> bool:
        return self.on_notice != self.in_directory


@dataclass(frozen=True)
class LinkPreview:
    """What linking the notice to an existing account will and will not change."""

    account: User
    reactivate: bool
    differences: list[Difference]
    roles: list[str]


REACTIVATING_A_ROLE_HOLDER = (
    "{name}'s account held a role in the portal, which would come back with it. A notice "
    "cannot reactivate a role holder's account: ask an administrator."
)


# --- Making the account -----------------------------------------------------------------------
def matching_account(notice: StaffChange) -> User | None:
    """The existing account for the notice's person, by employee number, else by email (both
    compared without regard to case); ``AccountConflict`` if they name two people."""
    by_email = User.objects.filter(email__iexact=notice.email).first() if notice.email else None
    by_number = (
        User.objects.filter(employee_number__iexact=notice.employee_number).first()
        if notice.employee_number
        else None
    )
    if by_number is not None and by_email is not None and by_number.pk != by_email.pk:
        raise AccountConflict(
            f"{notice.email} is the portal address of {by_email.full_name}, but employee number "
            f"{notice.employee_number} belongs to {by_number.full_name}. Correct the notice or "
            "the staff directory first."
        )
    if (
        by_number is None
        and by_email is not None
        and by_email.employee_number
        and notice.employee_number
    ):
        raise AccountConflict(
            f"{notice.email} is the portal address of employee {by_email.employee_number}, not "
            f"{notice.employee_number}. Correct the notice or the staff directory first."
        )
    return by_number or by_email


def _values(notice: StaffChange) -> dict[str, object]:
    """The account's details as the notice gives them."""
    temporary = notice.kind == Kind.TEMPORARY
    return {
        "first_name": notice.first_name,
        "last_name": notice.last_name,
        "job_title": notice.job_title,
        "department": notice.department,
        "line_manager": notice.line_manager,
        "employment_type": (
            User.EmploymentType.TEMPORARY if temporary else User.EmploymentType.PERMANENT
        ),
        "start_date": notice.start_date,
        "end_date": notice.end_date if temporary else None,
    }


def _shown(value: object) -> str:
    if value is None or value == "":
        return "None"
    if isinstance(value, date):
        return date_format(value, "j F Y")
    if isinstance(value, User):
        return f"{value.full_name} ({value.email})"
    return str(value)


def link_preview(notice: StaffChange) -> LinkPreview | None:
    """The existing account the notice names, beside the notice: each detail, and whether
    confirming would change it. ``None`` when no account matches (ticking makes a new one)."""
    user = matching_account(notice)
    if user is None:
        return None
    reactivate = not user.is_active
    values = _values(notice)
    employment = dict(User.EmploymentType.choices)
    rows = [
        ("Name", notice.full_name, user.full_name, "first_name"),
        ("Email address", notice.email, user.email, None),
        ("Employee number", notice.employee_number, user.employee_number, None),
        ("Job title", notice.job_title, user.job_title, "job_title"),
        ("Department", notice.department, user.department, "department"),
        ("Line manager", notice.line_manager, user.line_manager, "line_manager"),
        (
            "Employment type",
            employment[values["employment_type"]],
            employment.get(user.employment_type, user.employment_type),
            "employment_type",
        ),
        ("Start date", notice.start_date, user.start_date, "start_date"),
        ("End date", values["end_date"], user.end_date, "end_date"),
        ("Account", "", "Active" if user.is_active else "Ended (inactive)", None),
    ]
    differences = [
        Difference(
            label=label,
            on_notice=_shown(ours) if label != "Account" else "Active",
            in_directory=_shown(theirs),
            changes=reactivate and (field is not None or label == "Account"),
        )
        for label, ours, theirs, field in rows
    ]
    return LinkPreview(
        account=user,
        reactivate=reactivate,
        differences=differences,
        roles=permissions.role_names(user),
    )


def create_or_link_account(
    *, actor: User, notice: StaffChange, confirmation: LinkConfirmation | None = None
) -> tuple[User, bool]:
    """The starter's or temporary worker's portal account: made, or linked to the one already
    in the directory (an import, or a returner) once IT has confirmed it on the page that shows
    the differences (``confirmation``; without it, ``LinkNeedsConfirmation``).

    An active account is linked as it is: its name, address, department, line manager,
    employment type and dates stay the directory's, and the notice's end date does not end it.
    A returner's inactive account is reactivated with the notice's details. Either way the
    person is asked to sign the policy through the same hooks as an import. Call inside the
    transaction that ticks off the task. Returns the user and whether it is new.
    """
    user = matching_account(notice)
    if user is None:
        if confirmation is not None:
            raise AccountConflict(
                "No account in the staff directory has this notice's email address or employee "
                "number any more. Tick off the task on the notice to create a new one."
            )
        user, action = _create_account(actor, notice), StaffChange.AccountAction.CREATED
    else:
        user, action = _link_account(actor, notice, user.pk, confirmation)
    notice.person, notice.account_action = user, action
    notice.save(update_fields=["person", "account_action"])
    for hook in staff_import.PEOPLE_ADDED_HOOKS:  # the policy to sign, for one
        hook([user.pk])
    return user, action == StaffChange.AccountAction.CREATED


def _create_account(actor: User, notice: StaffChange) -> User:
    """A new account with the notice's details and no password until the invitation."""
    user = User(email=notice.email, employee_number=notice.employee_number or None)
    for name, value in _values(notice).items():
        setattr(user, name, value)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=actor,
        action="user.created",
        obj=user,
        data={"notice": notice.pk, "employment_type": user.employment_type},
    )
    return user


def _link_account(
    actor: User, notice: StaffChange, pk: int, confirmation: LinkConfirmation | None
) -> tuple[User, str]:
    """The directory's account, locked: linked as it is, or a returner's reactivated."""
    user = User.objects.select_for_update().get(pk=pk)
    reactivate = not user.is_active
    _check_may_link(notice, user, reactivate, confirmation)
    if reactivate:
        changed = _reactivate(notice, user)
        action = StaffChange.AccountAction.REACTIVATED
    else:
        changed = []
        action = StaffChange.AccountAction.LINKED
    audit.record(
        actor=actor,
        action="user.linked",
        obj=user,
        data={
            "notice": notice.pk,
            "employment_type": user.employment_type,
            "reactivated": reactivate,
            "changed": changed,
        },
    )
    return user, action


def _check_may_link(
    notice: StaffChange, user: User, reactivate: bool, confirmation: LinkConfirmation | None
) -> None:
    """Refuse a link the notice cannot speak for, or one IT has not confirmed as it stands."""
    if reactivate and permissions.holds_role(user):
        raise AccountConflict(REACTIVATING_A_ROLE_HOLDER.format(name=user.full_name))
    if (
        reactivate
        and notice.submitted_by is not None
        and not permissions.can_give_notice_about(notice.submitted_by, user)
    ):
        # The directory moved on since the notice was given (the person now reports to
        # someone else, say): the notice no longer speaks for them, and reactivating would
        # apply its details.
        raise AccountConflict(
            f"{user.full_name} is no longer someone {notice.submitted_by.full_name} may give "
            "notice about. Ask HR or their current line manager to give a new notice."
        )
    if confirmation != LinkConfirmation(account=user.pk, reactivate=reactivate):
        raise LinkNeedsConfirmation(
            f"{notice.full_name}'s email address or employee number is already in the "
            f"staff directory, as {user.full_name}. Check the differences and confirm that "
            "this is the same person before the notice is linked."
        )


def _reactivate(notice: StaffChange, user: User) -> list[str]:
    """A returner's account takes the notice's details again; the fields that changed."""
    if user.pk == notice.line_manager_id:
        raise AccountConflict(f"{user.full_name} cannot be their own line manager.")
    changed: list[str] = []
    for name, value in _values(notice).items():
        if getattr(user, name) != value:
            changed.append(name)
        setattr(user, name, value)
    if notice.employee_number and not user.employee_number:
        user.employee_number = notice.employee_number
        changed.append("employee_number")
    user.is_active = True
    user.full_clean(exclude=["password"])
    user.save()
    return changed


# --- The invitation ---------------------------------------------------------------------------
def invitation_link(user: User) -> str:
    """A one-time link to choose a password; made when the e-mail is sent and never stored.

    Django's password-reset token: it stops working once a password is chosen (the hash it
    covers changes) and after ``PASSWORD_RESET_TIMEOUT``.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return outbox.absolute_url(reverse("password_reset_confirm", args=[uid, token]))


def needs_invitation(user: User) -> bool:
    return user.is_active and not user.has_usable_password()


def send_invitation(*, actor: User, notice: StaffChange, user: User) -> None:
    """Ask the person to choose a password, through the outbox.

    The stored message holds only ``outbox.SECRET_PLACEHOLDER``; the link itself is made by
    ``invitation_link`` at sending time (registered in ``apps.py``), so no token ever sits in the
    outbox table, and the outbox's retries still apply. Call inside the caller's transaction.
    """
    notice.invitations_sent += 1
    notice.save(update_fields=["invitations_sent"])
    outbox.notify(
        recipient=user,
        kind=INVITATION_KIND,
        dedupe_key=f"{INVITATION_KIND}:{notice.pk}:{notice.invitations_sent}",
        context={
            "notice": notice,
            "person": user,
            "sign_in_link": outbox.SECRET_PLACEHOLDER,
            "link_days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
            "sign_in_url": outbox.absolute_url(reverse("login")),
        },
        link=reverse("login"),
    )
    audit.record(
        actor=actor,
        action="staff_change.invitation_sent",
        obj=notice,
        data={"user": user.pk, "count": notice.invitations_sent},
    )


# --- Ending access ----------------------------------------------------------------------------
def access_ending(now: datetime | None = None) -> QuerySet[StaffChange]:
    """Notices whose person's access has ended and whose account is not yet recorded as ended.

    A leaver's last day or a temporary worker's access end date is the last day of access: the
    account ends at midnight (Europe/London) after it; a temporary worker's notice linked to an
    account that was already active ends nothing. A later starter or temporary notice for
    the same person (a temporary worker taken on, say) keeps the account open.
    """
    today = timezone.localdate(now or timezone.now())
    taken_on_again = (
        StaffChange.objects.filter(
            person=OuterRef("person"),
            submitted_at__gt=OuterRef("submitted_at"),
            kind__in=[Kind.STARTER, Kind.TEMPORARY],
        )
        .exclude(state=StaffChange.State.CANCELLED)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    )
    # A temporary worker's notice ends only an account it made or reactivated: an account that
    # was already active when IT linked it keeps its own end, whatever the notice says.
    ends_the_account = Q(kind=Kind.LEAVER) | Q(
        kind=Kind.TEMPORARY,
        account_action__in=[
            StaffChange.AccountAction.CREATED,
            StaffChange.AccountAction.REACTIVATED,
        ],
    )
    return (
        StaffChange.objects.filter(
            ends_the_account,
            end_date__lt=today,
            account_ended_at__isnull=True,
            person__isnull=False,
        )
        .exclude(state=StaffChange.State.CANCELLED)
        .exclude(Exists(taken_on_again))
        # A notice is HR's or a manager's word; an account that holds a role in the portal
        # ends only at an administrator's hand (its notice's access task stays open for IT).
        .exclude(Exists(User.objects.filter(roles.role_holders(), pk=OuterRef("person"))))
    )


def end_expired_access(*, now: datetime | None = None) -> int:
    """Deactivate the accounts of leavers after their last day and of temporary workers after
    their access end date. Returns how many accounts were ended.

    Set-based, so the number of queries does not grow with the number of people, and safe to
    run twice: a second run finds every notice already marked. Records stay; only access ends.
    Django refuses a session whose user is inactive, so every open session is refused on its
    next request. Each account also gets an unusable password: sessions are tied to the
    password's hash, so they stay dead (and are flushed) even if someone reactivates the
    account by hand, and the person can sign in again only through a new invitation.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            access_ending(now)
            .select_for_update(of=("self",))
            .values_list("pk", "person_id", "kind")
            .order_by("pk")
        )
        if not rows:
            return 0
        notice_ids = [pk for pk, _person, _kind in rows]
        person_ids = sorted({person for _pk, person, _kind in rows})
        ending = list(
            User.objects.filter(pk__in=person_ids, is_active=True)
            .order_by("pk")
            .values_list("pk", "first_name", "last_name", "email")
        )
        ending_ids = [row[0] for row in ending]
        last_day = Subquery(
            StaffChange.objects.filter(pk__in=notice_ids, person=OuterRef("pk"))
            .order_by("-end_date")
            .values("end_date")[:1]
        )
        User.objects.filter(pk__in=ending_ids).update(
            is_active=False,
            password=make_password(None),
            # Never before the start date (the table's own check), on any database.
            end_date=Greatest(last_day, Coalesce(F("start_date"), last_day)),
        )
        StaffChange.objects.filter(pk__in=notice_ids).update(account_ended_at=now)
        grants.end_grants_of(employee_ids=ending_ids, now=now)
        kinds = {person: kind for _pk, person, kind in rows}
        notices = {person: pk for pk, person, _kind in rows}
        audit.record_many(
            [
                audit.event(
                    actor=None,
                    action="user.deactivated",
                    obj=User(pk=pk, first_name=first, last_name=last, email=email),
                    data={"reason": kinds[pk], "notice": notices[pk]},
                )
                for pk, first, last, email in ending
            ]
        )
    return len(ending_ids)
