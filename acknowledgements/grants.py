"""Personal use of email, Internet and telephone/fax at the line manager's discretion.

Policy 4.1: "Occasional and reasonable personal use ... is permitted at your manager's
discretion"; 5.1: "as long as it does not interfere with staff productivity or responsibilities,
and does not incur costs". Without a current grant, the systems are for business use only.

A grant is never edited: a change revokes the open grant and creates a new one in the same
transaction, so the history shows every decision, who made it and when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from acknowledgements import documents, permissions, publishing
from acknowledgements.models import PersonalUseGrant, Policy
from portal import audit, outbox
from portal.models import AuditEvent, User
from portal.scheduling import JobResult

CONDITION_SECTIONS = ("4.1", "5.1")
MAX_NOTE_LENGTH = 1000
REPLACED_NOTE = "Replaced by a new grant."
ACCESS_ENDED_NOTE = "Ended with the person's access to IT systems."
MOVED_NOTE = "Ended with the move to a new line manager, who decides again."
MOVED_KIND = "personal-use-moved"
EXPIRED_NOTE = "Expired."
EXPIRY_NOTICE_DAYS = 7
EXPIRING_KIND = "personal-use-expiring"


class GrantError(Exception):
    """The grant or revocation was refused; the message says why."""


class NothingToRevoke(GrantError):
    def __init__(self, employee: User) -> None:
        super().__init__(
            f"{employee.full_name} has no current personal-use grant, so there is nothing to "
            "revoke: their use is already business use only."
        )


# --- Reads ------------------------------------------------------------------------------------
def current_grants() -> QuerySet[PersonalUseGrant]:
    """Grants in force today: not revoked and not past their expiry date."""
    today = timezone.localdate()
    return PersonalUseGrant.objects.filter(revoked_at__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )


def current_grant_for(employee: User) -> PersonalUseGrant | None:
    return current_grants().filter(employee=employee).select_related("granted_by").first()


@dataclass(frozen=True)
class HistoryRow:
    grant: PersonalUseGrant
    state: str  # "current", "expired", "revoked" or "replaced"
    ended_on: date | None

    @property
    def label(self) -> str:
        return {
            "current": "Current",
            "expired": "Expired",
            "revoked": "Revoked",
            "replaced": "Replaced",
        }[self.state]


def history_row(grant: PersonalUseGrant, today: date | None = None) -> HistoryRow:
    today = today or timezone.localdate()
    revoked_on = timezone.localdate(grant.revoked_at) if grant.revoked_at else None
    # An expiry date that passed before anyone revoked the grant is what ended it.
    if grant.expires_on is not None and grant.expires_on < (revoked_on or today):
        return HistoryRow(grant, "expired", grant.expires_on)
    if revoked_on is not None:
        state = "replaced" if grant.revocation_note == REPLACED_NOTE else "revoked"
        return HistoryRow(grant, state, revoked_on)
    return HistoryRow(grant, "current", None)


def history_for(employee: User) -> list[HistoryRow]:
    """Every grant ``employee`` has had, newest first, with how each one ended."""
    today = timezone.localdate()
    grants = PersonalUseGrant.objects.filter(employee=employee).select_related(
        "granted_by", "revoked_by"
    )
    return [history_row(grant, today) for grant in grants]


def register(*, department_id: int | None = None) -> QuerySet[PersonalUseGrant]:
    """HR's register: every current grant of active staff, by department then name."""
    grants = current_grants().filter(employee__is_active=True)
    if department_id is not None:
        grants = grants.filter(employee__department_id=department_id)
    return grants.select_related(
        "employee__department", "employee__line_manager", "granted_by"
    ).order_by("employee__department__name", "employee__last_name", "employee__first_name", "pk")


def open_grants_prefetch(to_attr: str = "open_personal_use_grants") -> Prefetch:
    """For lists of people: their open grant (at most one), in one query for the whole list."""
    return Prefetch(
        "personal_use_grants",
        queryset=PersonalUseGrant.objects.filter(revoked_at__isnull=True),
        to_attr=to_attr,
    )


@dataclass(frozen=True)
class Condition:
    number: str
    title: str
    html: SafeString


def conditions() -> list[Condition]:
    """Sections 4.1 and 5.1 in the words of the policy in force (the seed text until one is)."""
    policy = Policy.objects.filter(slug=publishing.SEED_SLUG).first()
    version = publishing.current_version(policy) if policy is not None else None
    body = version.body if version is not None else publishing.seed_body()
    found = {s.number: s for s in documents.sections(body)}
    if not all(number in found for number in CONDITION_SECTIONS):
        found = {s.number: s for s in documents.sections(publishing.seed_body())}
    return [
        Condition(
            number,
            found[number].title,
            documents.render_markdown(found[number].body),
        )
        for number in CONDITION_SECTIONS
        if number in found
    ]


# --- Writes -----------------------------------------------------------------------------------
def _check_manager(manager: User, employee: User) -> None:
    if employee.pk == manager.pk:
        raise GrantError("Personal use is at your line manager's discretion, not your own.")
    if not permissions.can_grant_personal_use(manager, employee):
        raise GrantError("Only the person's own line manager can grant or revoke personal use.")


def _lock_open_grant(employee: User) -> PersonalUseGrant | None:
    # Locking the person serialises two decisions about them made at the same moment.
    User.objects.select_for_update().filter(pk=employee.pk).first()
    return (
        PersonalUseGrant.objects.select_for_update()
        .filter(employee=employee, revoked_at__isnull=True)
        .first()
    )


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError(f"Keep the note under {MAX_NOTE_LENGTH} characters.")
    return note


def _check_terms(*, email: bool, internet: bool, telephone: bool, expires_on: date | None) -> None:
    if not (email or internet or telephone):
        raise ValidationError("Choose at least one of email, Internet, or telephone and fax.")
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValidationError("The expiry date cannot be in the past.")


def _revoke(grant: PersonalUseGrant, *, manager: User, note: str, replaced: bool) -> None:
    """Close ``grant`` as ``manager``'s decision and record it."""
    grant.revoked_at = timezone.now()
    grant.revoked_by = manager
    grant.revocation_note = note
    grant.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    audit.record(
        actor=manager,
        action="personal_use.revoked",
        obj=grant,
        data={"employee": grant.employee_id, "replaced": replaced},
    )


def _record_grant(
    *, manager: User, employee: User, previous: PersonalUseGrant | None, **terms: Any
) -> PersonalUseGrant:
    grant = PersonalUseGrant(employee=employee, granted_by=manager, **terms)
    grant.full_clean()
    grant.save()
    expires_on = terms["expires_on"]
    audit.record(
        actor=manager,
        action="personal_use.granted",
        obj=grant,
        data={
            "employee": employee.pk,
            "email": terms["email"],
            "internet": terms["internet"],
            "telephone": terms["telephone"],
            "expires_on": expires_on,
            "replaces": previous.pk if previous is not None else None,
        },
    )
    return grant


def grant_personal_use(
    *,
    manager: User,
    employee: User,
    email: bool,
    internet: bool,
    telephone: bool,
    expires_on: date | None,
    note: str,
) -> PersonalUseGrant:
    """``manager`` allows ``employee`` occasional personal use of the chosen facilities.

    An open grant is revoked and replaced in the same transaction, so there is never a moment
    with two grants or none.
    """
    _check_manager(manager, employee)
    _check_terms(email=email, internet=internet, telephone=telephone, expires_on=expires_on)
    note = _clean_note(note)
    with transaction.atomic():
        previous = _lock_open_grant(employee)
        if previous is not None:
            _revoke(previous, manager=manager, note=REPLACED_NOTE, replaced=True)
        grant = _record_grant(
            manager=manager,
            employee=employee,
            previous=previous,
            email=email,
            internet=internet,
            telephone=telephone,
            expires_on=expires_on,
            note=note,
        )
        outbox.notify(
            recipient=employee,
            kind="personal-use-granted",
            dedupe_key=f"personal-use-granted:{grant.pk}",
            context={
                "grant": grant,
                "manager": manager,
                "replaced": previous is not None,
                "conditions": conditions(),
            },
            link=reverse("acknowledgements:my_personal_use"),
        )
    return grant


def revoke_personal_use(*, manager: User, employee: User, note: str) -> PersonalUseGrant:
    """``manager`` withdraws ``employee``'s current grant: back to business use only."""
    _check_manager(manager, employee)
    note = _clean_note(note)
    with transaction.atomic():
        grant = _lock_open_grant(employee)
        if grant is None or not grant.is_current():
            raise NothingToRevoke(employee)
        _revoke(grant, manager=manager, note=note, replaced=False)
        outbox.notify(
            recipient=employee,
            kind="personal-use-revoked",
            dedupe_key=f"personal-use-revoked:{grant.pk}",
            context={"grant": grant, "manager": manager, "note": note},
            link=reverse("acknowledgements:my_personal_use"),
        )
    return grant


def end_grants_of(*, employee_ids: Iterable[int], now: datetime | None = None) -> int:
    """Revoke the open grants of people whose access to IT systems has ended; set-based.

    Part of leaving, not a manager's decision: ``revoked_by`` stays empty and the note says why.
    Nobody is told, as the person can no longer sign in. A second call finds nothing to revoke.
    """
    now = now or timezone.now()
    ids = list(employee_ids)
    with transaction.atomic():
        grants = list(
            PersonalUseGrant.objects.select_for_update(of=("self",))
            .filter(employee_id__in=ids, revoked_at__isnull=True)
            .select_related("employee")
        )
        PersonalUseGrant.objects.filter(pk__in=[g.pk for g in grants]).update(
            revoked_at=now, revocation_note=ACCESS_ENDED_NOTE
        )
        audit.record_many(
            [
                audit.event(
                    actor=None,
                    action="personal_use.revoked",
                    obj=grant,
                    data={"employee": grant.employee_id, "replaced": False, "access_ended": True},
                )
                for grant in grants
            ]
        )
    return len(grants)


def end_grants_on_move(*, moves: Iterable[Any], actor: User | None = None) -> int:
    """A move to a new line manager ends the person's open grants (made by the old manager, or
    by one before them) unless the new manager made them: personal use is the manager's
    discretion, and the new one decides again. The person, whoever made the grant and the new
    manager are told (``personal-use-moved:<grant>:<recipient>``). ``moves`` are
    ``portal.moves.Move`` rows; a second call finds nothing open to end."""
    old_manager = {m.person: m for m in moves if m.changes_manager}
    if not old_manager:
        return 0
    now = timezone.now()
    with transaction.atomic():
        ending = [
            grant
            for grant in PersonalUseGrant.objects.select_for_update(of=("self",))
            .filter(employee_id__in=list(old_manager), revoked_at__isnull=True)
            .select_related("employee", "granted_by")
            .order_by("pk")
            if grant.granted_by_id != old_manager[grant.employee_id].new_manager
        ]
        if not ending:
            return 0
        PersonalUseGrant.objects.filter(pk__in=[g.pk for g in ending]).update(
            revoked_at=now, revocation_note=MOVED_NOTE
        )
        audit.record_many(
            [
                audit.event(
                    actor=actor,
                    action="personal_use.revoked",
                    obj=grant,
                    data={"employee": grant.employee_id, "replaced": False, "moved": True},
                )
                for grant in ending
            ]
        )
        new_managers = User.objects.in_bulk(
            [old_manager[g.employee_id].new_manager for g in ending]
        )
        outbox.notify_many(
            notice
            for grant in ending
            for notice in _move_notices(
                grant, new_managers.get(old_manager[grant.employee_id].new_manager)
            )
        )
    return len(ending)


def _move_notices(grant: PersonalUseGrant, new_manager: User | None) -> list[outbox.Notice]:
    """The person's, the old manager's and the new manager's notice of a grant ended by a move."""
    team_page = reverse("acknowledgements:team_personal_use", args=[grant.employee_id])
    people = [
        (grant.employee, "person", reverse("acknowledgements:my_personal_use")),
        (grant.granted_by, "old", ""),
        (new_manager, "new", team_page),
    ]
    context = {
        "facilities": ", ".join(grant.facilities),
        "person_name": grant.employee.full_name,
        "old_manager_name": grant.granted_by.full_name,
        "new_manager_name": new_manager.full_name if new_manager else "no line manager on file yet",
    }
    return [
        outbox.Notice(
            recipient=recipient,
            kind=MOVED_KIND,
            dedupe_key=f"{MOVED_KIND}:{grant.pk}:{recipient.pk}",
            context={"role": role},
            link=link,
            personal=context,
        )
        for recipient, role, link in people
        if recipient is not None and recipient.is_active
    ]


# --- Expiry (scheduled) -----------------------------------------------------------------------
def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_expired_grants(today: date) -> int:
    """Close every open grant whose expiry date has passed, as at the end of that day.

    The history already reads such a grant as expired; closing it frees the person's one open
    grant and records the ending. One update per expiry date (a day's worth, or a few after
    missed days) and one bulk audit insert, however many grants.
    """
    expired = list(
        PersonalUseGrant.objects.filter(revoked_at__isnull=True, expires_on__lt=today).values_list(
            "pk", "employee_id", "expires_on"
        )
    )
    if not expired:
        return 0
    with transaction.atomic():
        for expires_on in sorted({row[2] for row in expired}):
            PersonalUseGrant.objects.filter(revoked_at__isnull=True, expires_on=expires_on).update(
                revoked_at=_midnight(expires_on + timedelta(days=1)), revocation_note=EXPIRED_NOTE
            )
        audit.record_many(
            [
                AuditEvent(
                    action="personal_use.expired",
                    object_type=PersonalUseGrant._meta.label_lower,
                    object_id=str(pk),
                    object_repr=f"Personal-use grant {pk}",
                    data={"employee": employee_id, "expires_on": expires_on.isoformat()},
                )
                for pk, employee_id, expires_on in expired
            ]
        )
    return len(expired)


def expiry_notice_owed(granted_on: date, expires_on: date, today: date) -> bool:
    """Told 7 days before the expiry date (or on a later day up to it, if that run was
    missed); a grant made for less than 7 days needs no warning."""
    occasion = expires_on - timedelta(days=EXPIRY_NOTICE_DAYS)
    return granted_on <= occasion <= today <= expires_on


def _expiring_rows(today: date) -> QuerySet[PersonalUseGrant, dict[str, Any]]:
    """Open grants of active people expiring within the notice period, with both recipients."""
    return (
        PersonalUseGrant.objects.filter(
            revoked_at__isnull=True,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS),
            employee__is_active=True,
        )
        .values(
            "pk",
            "expires_on",
            "granted_at",
            "email",
            "internet",
            "telephone",
            "employee_id",
            "employee__first_name",
            "employee__last_name",
            "employee__email",
            "employee__line_manager_id",
            "employee__line_manager__first_name",
            "employee__line_manager__email",
            "employee__line_manager__is_active",
        )
        .order_by("pk")
    )


def _expiry_notices(
    row: dict[str, Any], *, own_page: str, team_page: Callable[[int], str]
) -> list[outbox.Notice]:
    """The employee's notice of one grant's expiry, and their active line manager's."""
    grant = PersonalUseGrant(
        email=row["email"], internet=row["internet"], telephone=row["telephone"]
    )
    context = {"facilities": grant.facilities, "expires_on": row["expires_on"]}
    personal = {"employee_name": f"{row['employee__first_name']} {row['employee__last_name']}"}
    employee = outbox.Recipient(
        row["employee_id"], row["employee__first_name"], row["employee__email"]
    )
    recipients = [(employee, False, own_page)]
    if row["employee__line_manager_id"] and row["employee__line_manager__is_active"]:
        manager = outbox.Recipient(
            row["employee__line_manager_id"],
            row["employee__line_manager__first_name"],
            row["employee__line_manager__email"],
        )
        recipients.append((manager, True, team_page(employee.pk)))
    return [
        outbox.Notice(
            recipient=recipient,
            kind=EXPIRING_KIND,
            dedupe_key=f"{EXPIRING_KIND}:{row['pk']}:{recipient.pk}",
            context={**context, "for_manager": for_manager},
            link=link,
            personal=personal,
        )
        for recipient, for_manager, link in recipients
    ]


def expiry_job(now: datetime) -> JobResult:
    """End expired grants, then tell employees and their managers of grants ending in 7 days."""
    today = timezone.localdate(now)
    ended = end_expired_grants(today)
    own_page = reverse("acknowledgements:my_personal_use")
    team_page = outbox.links_to("acknowledgements:team_personal_use")
    owed = [
        row
        for row in _expiring_rows(today)
        if expiry_notice_owed(timezone.localdate(row["granted_at"]), row["expires_on"], today)
    ]
    notices = [
        notice
        for row in owed
        for notice in _expiry_notices(row, own_page=own_page, team_page=team_page)
    ]
    summary = f"{ended} expired grant(s) ended." if ended else ""
    return JobResult(found=len(owed), notices=outbox.notify_many(notices), summary=summary)
