"""Inviting the people who cannot sign in yet: one branded e-mail each, through the outbox.

Who is invited is decided here and only here (``cannot_sign_in_yet``): an active account that has
never signed in (``last_login`` is empty), with an e-mail address, whose employment has not
ended (no end date before today: a leaver whose account the hourly job has not closed yet is
not invited). Someone who signed in once, even long ago, knows the way in.

HR or IT invites them all at once, after a staff import or from the staff directory: the request
only counts them and starts the work (``request_invitations``); a worker claims the invitations
(``invite_everyone``), and the outbox sends them. Each invitation is claimed as
``portal-invitation:<person>:<day>``: inviting again the same day sends nothing twice; the next
day sends a fresh one to whoever still has not signed in. The link to choose a password is made
when the e-mail is sent (``outbox.SEND_TIME_SECRETS``, registered in ``apps.py``), never stored.
With organisation sign-in on, the invitation says to use the work account instead, and carries
no link to choose a password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from portal import audit, outbox
from portal.celery import app as celery_app
from portal.models import AuditEvent, Notification, User

log = logging.getLogger(__name__)

KIND = "portal-invitation"
# The task that claims the invitations, by name: ``portal.tasks`` calls in here, never the reverse.
INVITE_TASK = "portal.tasks.invite_staff"
# The audit actions of asking for the invitations and of a worker claiming them.
REQUESTED, INVITED = "staff.invitations_requested", "staff.invited"
# How long the page says invitations are being prepared after they were asked for: a worker
# claims 10,000 in about a second, so only a worker that is down or far behind takes longer.
PREPARING_FOR = timedelta(minutes=15)


def cannot_sign_in_yet(today: date | None = None) -> QuerySet[User]:
    """The people an invitation is for (the rule is in the module's docstring)."""
    today = today or timezone.localdate()
    return (
        User.objects.filter(is_active=True, last_login__isnull=True)
        .exclude(email="")
        .exclude(end_date__lt=today)
    )


def invitation_key(user_id: int, today: date) -> str:
    return f"{KIND}:{user_id}:{today.isoformat()}"


def how_to_get_in() -> dict[str, object]:
    """What every message to someone who has never signed in says about getting in: the
    invitation, and the signing reminders (``emails/_how_to_get_in.*``)."""
    return {
        "work_account": settings.OIDC_ENABLED,
        "work_account_label": settings.OIDC_BUTTON_LABEL,
        "sign_in_url": outbox.absolute_url(reverse("login")),
        "choose_password_url": outbox.absolute_url(reverse("password_reset")),
    }


def getting_in(last_login: datetime | None) -> dict[str, object]:
    """What a reminder to sign adds for someone who has never signed in: how to get in
    (``emails/_how_to_get_in.*``). Nothing for anyone who has."""
    if last_login is not None:
        return {}
    return {"never_signed_in": True, **how_to_get_in()}


def _context() -> dict[str, object]:
    return {
        **how_to_get_in(),
        "sign_in_link": "" if settings.OIDC_ENABLED else outbox.SECRET_PLACEHOLDER,
        "link_days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
    }


@dataclass(frozen=True)
class Invited:
    people: int  # who could not sign in yet
    queued: int  # invitations queued now (the rest had one today already)


def invite_everyone(
    *, actor: User, request: HttpRequest | None = None, now: datetime | None = None
) -> Invited:
    """Queue today's invitation for everyone who cannot sign in yet; audited.

    A fixed number of queries and one INSERT per ``OUTBOX_CLAIM_BATCH`` people, whatever the
    size of the workforce: the messages are rendered once and each person's name put in
    (``outbox.notify_many``). The worker sends them at the outbox's rate.
    """
    today = timezone.localdate(now)
    context = _context()
    link = reverse("login")
    notices = [
        outbox.Notice(
            recipient=outbox.Recipient(pk, first_name, email),
            kind=KIND,
            dedupe_key=invitation_key(pk, today),
            context=context,
            link=link,
        )
        for pk, first_name, email in cannot_sign_in_yet(today)
        .order_by("pk")
        .values_list("pk", "first_name", "email")
    ]
    queued = outbox.notify_many(notices)
    audit.record(
        actor=actor,
        action="staff.invited",
        data={"people": len(notices), "queued": queued, "day": today.isoformat()},
        request=request,
    )
    return Invited(people=len(notices), queued=queued)


def request_invitations(*, actor: User, request: HttpRequest | None = None) -> int:
    """HR's or IT's one request: audit it and hand the invitations to a worker; returns how many
    people have none today. The request's queries are the same for 10 people or 100,000.

    If the broker cannot be reached, the invitations are claimed here instead (about a second
    for 10,000): nobody is left out because Redis was down.
    """
    today = timezone.localdate()
    invited_today = Notification.objects.filter(
        kind=KIND, created_at__gte=_midnight(today), recipient_id__isnull=False
    ).values("recipient_id")
    people = cannot_sign_in_yet(today).exclude(pk__in=invited_today).count()
    audit.record(
        actor=actor, action="staff.invitations_requested", data={"people": people}, request=request
    )
    if people:
        try:
            celery_app.signature(INVITE_TASK, args=(actor.pk,)).apply_async()
        except Exception:  # broker down, hung or misconfigured
            log.warning("Broker unavailable; claiming the invitations in the request")
            invite_everyone(actor=actor, request=request)
    return people


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Progress:
    """Today's invitations, as the outbox has them."""

    sent: int
    waiting: int
    failed: int
    not_invited: int  # people who cannot sign in yet and have no invitation today
    preparing: bool = False  # asked for, and a worker has not claimed them yet

    @property
    def total(self) -> int:
        return self.sent + self.waiting + self.failed

    def as_data(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "waiting": self.waiting,
            "failed": self.failed,
            "total": self.total,
            "not_invited": self.not_invited,
            "preparing": self.preparing,
        }

    @property
    def moving(self) -> bool:
        """Whether the counts are still changing (the page refreshes itself while they are)."""
        return self.preparing or self.waiting > 0


def progress(now: datetime | None = None) -> Progress:
    """Sent, waiting and failed among today's invitations, who has none, and whether a worker
    is still to claim them: three queries."""
    now = now or timezone.now()
    since = _midnight(timezone.localdate(now))
    row = Notification.objects.filter(kind=KIND, created_at__gte=since).aggregate(
        sent=Count("pk", filter=Q(status=Notification.Status.SENT)),
        waiting=Count("pk", filter=Q(status__in=Notification.WAITING)),
        failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
    )
    invited_today = Notification.objects.filter(
        kind=KIND, created_at__gte=since, recipient_id__isnull=False
    ).values("recipient_id")
    not_invited = cannot_sign_in_yet(timezone.localdate(now)).exclude(pk__in=invited_today)
    latest = (
        AuditEvent.objects.filter(
            action__in=[REQUESTED, INVITED], created_at__gte=max(since, now - PREPARING_FOR)
        )
        .order_by("-created_at", "-pk")
        .values_list("action", flat=True)
        .first()
    )
    return Progress(**row, not_invited=not_invited.count(), preparing=latest == REQUESTED)
