"""The outbox: notifications are rows written with the change that causes them.

``notify`` is called inside a service's transaction. Delivery by e-mail happens after commit in
a Celery task; if the broker is unreachable the row simply waits for the periodic sweep, so a
user's request never fails or hangs because of Redis, and no message is lost.

Scheduled jobs send many notices at once with ``notify_many``: it finds which dedupe keys are
already taken in one query, renders only the new notices and inserts them in batches,
ignoring conflicts, so two runs at once still write one row per key. The sweep then sends what
is due over one reused SMTP connection.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from portal.models import Notification, User

log = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}" if path.startswith("/") else path


def notify(
    *,
    recipient: User,
    kind: str,
    dedupe_key: str,
    context: dict[str, Any] | None = None,
    link: str = "",
) -> Notification:
    """Queue a message for ``recipient``; a second call with the same key is a no-op.

    Renders ``templates/emails/<kind>-subject.txt``, ``-body.txt`` and ``-body.html``.
    """
    ctx = {"recipient": recipient, "link": absolute_url(link) if link else "", **(context or {})}
    subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", ctx).split())
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "recipient": recipient,
            "kind": kind,
            "subject": subject[:200],
            "body_text": render_to_string(f"emails/{kind}-body.txt", ctx),
            "body_html": render_to_string(f"emails/{kind}-body.html", ctx),
            "link": link,
        },
    )
    if created:
        transaction.on_commit(lambda: enqueue_delivery(notification.pk))
    return notification


@dataclass(frozen=True)
class Notice:
    """One message a scheduled job owes someone; ``notify_many`` claims it by ``dedupe_key``.

    ``recipient`` needs only ``pk``, ``first_name`` and ``email`` (the templates greet by name),
    so jobs can build it from the rows of one set-based query.
    """

    recipient: User
    kind: str
    dedupe_key: str
    context: dict[str, Any] = field(default_factory=dict)
    link: str = ""


def _key_set(keys: list[str]) -> RawSQL:
    # The keys travel as one parameter, however many there are: an array on PostgreSQL, a JSON
    # list on SQLite (which limits the number of parameters in a statement).
    if db_connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::varchar[])", [keys])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(keys)])


def claimed_keys(keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` already have a notification: one query on the unique index."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return set()
    return set(
        Notification.objects.filter(dedupe_key__in=_key_set(keys)).values_list(
            "dedupe_key", flat=True
        )
    )


class _Templates:
    """Each kind's three templates, loaded once for a whole batch."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[Any, Any, Any]] = {}

    def render(self, notice: Notice) -> tuple[str, str, str]:
        if notice.kind not in self._loaded:
            self._loaded[notice.kind] = tuple(
                get_template(f"emails/{notice.kind}-{part}")
                for part in ("subject.txt", "body.txt", "body.html")
            )
        subject, text, html = self._loaded[notice.kind]
        link = absolute_url(notice.link) if notice.link else ""
        ctx = {"recipient": notice.recipient, "link": link, **notice.context}
        return " ".join(subject.render(ctx).split())[:200], text.render(ctx), html.render(ctx)


def notify_many(notices: Iterable[Notice], *, batch_size: int | None = None) -> int:
    """Claim each notice by its ``dedupe_key``; returns how many this call inserted.

    Keys already taken are skipped before anything is rendered. The rest are inserted in
    batches of ``OUTBOX_CLAIM_BATCH``, each committed on its own (unless the caller holds a
    transaction), ignoring conflicts: a key another run claimed in the meantime stays that
    run's, and a run stopped half-way keeps what it committed. One sweep is queued after commit
    to send them.
    """
    batch_size = batch_size or settings.OUTBOX_CLAIM_BATCH
    fresh: dict[str, Notice] = {}
    for notice in notices:
        fresh.setdefault(notice.dedupe_key, notice)
    for key in claimed_keys(fresh):
        del fresh[key]
    if not fresh:
        return 0
    templates = _Templates()
    pending = list(fresh.values())
    # The rows of this call share one timestamp, so that those it inserted (rather than a run
    # at the same moment) can be counted.
    stamp = timezone.now()
    inserted = 0
    for start in range(0, len(pending), batch_size):
        rows = []
        for notice in pending[start : start + batch_size]:
            subject, text, html = templates.render(notice)
            rows.append(
                Notification(
                    recipient_id=notice.recipient.pk,
                    kind=notice.kind,
                    subject=subject,
                    body_text=text,
                    body_html=html,
                    link=notice.link,
                    dedupe_key=notice.dedupe_key,
                    created_at=stamp,
                    next_attempt_at=stamp,
                )
            )
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            inserted += Notification.objects.filter(
                dedupe_key__in=_key_set([row.dedupe_key for row in rows]), created_at=stamp
            ).count()
    transaction.on_commit(enqueue_sweep)
    return inserted


def enqueue_sweep() -> None:
    """Ask a worker to send what is due now; never raises (beat sweeps every minute anyway)."""
    from portal.tasks import sweep_outbox

    try:
        sweep_outbox.delay()
    except Exception:
        log.warning("Broker unavailable; new notifications left for the next sweep")


def enqueue_delivery(notification_id: int) -> None:
    """Hand a notification to the worker; never raises, the sweep is the safety net."""
    from portal.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # broker down, hung or misconfigured: the row is safe in the database
        log.warning("Broker unavailable; notification %s left for the sweep", notification_id)


def retry_delay(attempts: int) -> timedelta:
    # 1, 2, 4 ... minutes, capped below the broker's visibility timeout.
    base = settings.OUTBOX_RETRY_BASE_DELAY
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.OUTBOX_MAX_RETRY_DELAY)
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Outcome:
    handled: bool  # sent, handled by someone else, or given up on; False: retry after backoff
    server_down: bool = False  # the mail server itself failed: later messages would fail too


# Errors about one message; anything else from smtplib or the socket is about the server.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def deliver(
    notification_id: int,
    *,
    only_if_due: bool = False,
    connection: BaseEmailBackend | None = None,
) -> bool:
    """Send one pending notification by e-mail. Returns False when it should be retried.

    Safe to call twice at once: the row is locked, and a sent row is never sent again. A retry
    (and the sweep) pass ``only_if_due``: if another attempt has failed since, the backoff it set
    is kept instead of spending a second attempt at once. ``connection``, an open mail backend,
    is reused instead of connecting for this one message.
    """
    return _deliver(notification_id, only_if_due=only_if_due, connection=connection).handled


def _deliver(
    notification_id: int, *, only_if_due: bool, connection: BaseEmailBackend | None
) -> Outcome:
    pending = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING)
    if only_if_due:
        pending = pending.filter(next_attempt_at__lte=timezone.now())
    with transaction.atomic():
        notification = (
            pending.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .first()
        )
        if notification is None:
            return Outcome(handled=True)
        recipient = notification.recipient
        now = timezone.now()
        if not recipient.is_active:
            notification.status = Notification.Status.FAILED
            notification.last_error = "Recipient's account is not active."
            notification.save(update_fields=["status", "last_error"])
            return Outcome(handled=True)
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
            connection=connection,
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        notification.attempts += 1
        try:
            if connection is not None:
                connection.open()  # connects once; a no-op while the connection is open
            message.send()
        except Exception as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
            notification.next_attempt_at = now + retry_delay(notification.attempts)
            if notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "last_error", "next_attempt_at", "status"])
            log.warning("Sending notification %s failed: %s", notification.pk, exc)
            server_down = not isinstance(exc, MESSAGE_ERRORS)
            if server_down and connection is not None:
                connection.close()  # a broken connection is opened afresh next time
            gave_up = notification.status == Notification.Status.FAILED
            return Outcome(handled=gave_up, server_down=server_down)
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
        notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
        return Outcome(handled=True)


def due_notification_ids(limit: int) -> list[int]:
    return list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(*, limit: int = 5000) -> int:
    """Deliver what is due, oldest first, over one mail connection; returns how many rows were
    looked at.

    The ids are read once, so a row another worker holds is skipped rather than picked again;
    anything beyond ``limit`` waits for the next sweep a minute later. The connection is opened
    afresh every ``OUTBOX_MESSAGES_PER_CONNECTION`` messages (servers cap messages per
    connection). If the mail server itself fails, the sweep stops at that message: the rest
    stay due, untouched, for the next sweep instead of each spending an attempt on a server that
    is down.
    """
    ids = due_notification_ids(limit)
    per_connection = settings.OUTBOX_MESSAGES_PER_CONNECTION
    looked_at = 0
    mail = get_connection()
    try:
        for looked_at, notification_id in enumerate(ids, start=1):
            outcome = _deliver(notification_id, only_if_due=True, connection=mail)
            if outcome.server_down:
                break
            if looked_at % per_connection == 0:
                mail.close()
    finally:
        mail.close()
    return looked_at


def mark_read(*, user: User, notification: Notification) -> None:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
