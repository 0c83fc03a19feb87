"""Delivering one message: the e-mail built from its row, sent, and the outcome recorded,
with a backoff before the next attempt when it failed.

``deliver`` is the delivery task's; the sweep sends its leased messages through ``send`` and
``record`` too.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from portal.models import Notification
from portal.outbox.send_time_secrets import with_secret
from portal.outbox.sql import NOTIFICATIONS, USERS, db_time, quick

log = logging.getLogger(__name__)


def retry_delay(attempts: int) -> timedelta:
    # 1, 2, 4 ... minutes, capped below the broker's visibility timeout.
    base = settings.OUTBOX_RETRY_BASE_DELAY
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.OUTBOX_MAX_RETRY_DELAY)
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Outcome:
    handled: bool  # sent, handled by someone else, or given up on; False: retry after backoff
    server_down: bool = False  # the mail server itself failed: later messages would fail too


# Errors about one message (a refused or malformed address, a rejected message); anything else
# from smtplib or the socket is about the server.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    ValueError,
)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A row to send, with its recipient's address: the columns of ``OUTGOING``."""

    pk: int
    subject: str
    body_text: str
    body_html: str
    attempts: int
    email: str | None  # None: a person with no e-mail address, reached through the inbox
    is_active: bool  # an outside address counts as active
    kind: str
    recipient_id: int | None
    leased_until: datetime | None = None  # a sweep's lease: the row's next attempt


OUTGOING = (
    "n.id, n.subject, n.body_text, n.body_html, n.attempts, "
    "COALESCE(NULLIF(n.address, ''), u.email), COALESCE(u.is_active, TRUE), n.kind, "
    f"n.recipient_id FROM {NOTIFICATIONS} n LEFT JOIN {USERS} u ON u.id = n.recipient_id"
)


def deliver(notification_id: int, *, connection: BaseEmailBackend | None = None) -> bool:
    """Send one pending notification by e-mail. Returns False when it should be retried.

    A notification nobody has tried yet is sent at once (the task queued when it is written);
    one tried before is sent only once its backoff has passed, so a late retry never spends a
    second attempt at once, and one a sweep is sending is left to the sweep. Safe to call twice
    at once: the row is locked, and a sent row is never sent again. ``connection``, an open mail
    backend, is reused instead of connecting for this one message.
    """
    now = timezone.now()
    with transaction.atomic():
        row = _lock_sendable(notification_id, now)
        if row is None or not row[0]:  # held, sent, failed, being swept, or backing off
            return True
        message = Outgoing(*row[1:])
        outcome, fields = send(message, connection, now)
        record_fields(message, fields)
        return outcome.handled


def _lock_sendable(notification_id: int, now: datetime) -> tuple | None:
    """(whether it may be sent now, then the ``Outgoing`` columns), the row locked; None if
    another worker holds it.

    The row is found by its id alone, and whether it may be sent is read from it: with the state
    in the WHERE clause, PostgreSQL could choose the waiting-rows index from statistics taken
    before a burst of new rows, and scan every pending row for each message.
    """
    sql = (
        "SELECT n.status = %s AND (n.attempts = 0 OR n.next_attempt_at <= %s), "  # nosec B608
        f"{OUTGOING} WHERE n.id = %s"
    )
    if db_connection.features.has_select_for_update_skip_locked:
        sql += " FOR UPDATE OF n SKIP LOCKED"
    params = [Notification.Status.PENDING, db_time(now), notification_id]
    with db_connection.cursor() as cursor:
        cursor.execute(quick(sql), params)
        return cursor.fetchone()


def record_fields(message: Outgoing, fields: dict[str, Any]) -> bool:
    """Write ``fields`` to the message's row; False if it was leased and its lease is no longer
    this sweep's (it ran out and another sweep took the row): that sweep's record stands."""
    values = [db_time(v) if isinstance(v, datetime) else v for v in fields.values()]
    columns = ", ".join(f"{name} = %s" for name in fields)
    sql = f"UPDATE {NOTIFICATIONS} SET {columns} WHERE id = %s"  # noqa: S608  # nosec B608
    params = [*values, message.pk]
    if message.leased_until is not None:
        sql += " AND status = %s AND next_attempt_at = %s"
        params += [Notification.Status.SENDING, db_time(message.leased_until)]
    with db_connection.cursor() as cursor:
        cursor.execute(quick(sql), params)
        return cursor.rowcount == 1


def send(
    message: Outgoing, connection: BaseEmailBackend | None, now: datetime
) -> tuple[Outcome, dict[str, Any]]:
    """E-mail ``message``: what happened, and the columns to record for it."""
    if not message.is_active:
        return Outcome(handled=True), {
            "status": Notification.Status.FAILED,
            "last_error": "Recipient's account is not active.",
        }
    if not message.email:
        # Nowhere to e-mail it: it stays in their inbox, and the daily digest lists it for
        # their line manager (``portal.digests``), so nobody is silently unreachable.
        return Outcome(handled=True), {"status": Notification.Status.INBOX, "last_error": ""}
    try:
        email = _email(message, connection)
    except Exception as exc:  # this message cannot be made: its own failure, not the server's
        return _failed(message, exc, now, server_down=False)
    try:
        if connection is not None:
            connection.open()  # connects once; a no-op while the connection is open
        email.send()
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: not this message's failure (the sweep gives it back)
    except Exception as exc:
        server_down = not isinstance(exc, MESSAGE_ERRORS)
        if server_down and connection is not None:
            connection.close()  # a broken connection is opened afresh next time
        return _failed(message, exc, now, server_down=server_down)
    return Outcome(handled=True), {
        "status": Notification.Status.SENT,
        "sent_at": now,
        "attempts": message.attempts + 1,
        "last_error": "",
    }


def _email(message: Outgoing, connection: BaseEmailBackend | None) -> EmailMultiAlternatives:
    body_text, body_html = with_secret(
        kind=message.kind,
        recipient_id=message.recipient_id,
        address=message.email,
        body_text=message.body_text,
        body_html=message.body_html,
    )
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.email],
        connection=connection,
    )
    if body_html:
        email.attach_alternative(body_html, "text/html")
    return email


def _failed(
    message: Outgoing, exc: Exception, now: datetime, *, server_down: bool
) -> tuple[Outcome, dict[str, Any]]:
    """A failed attempt: backed off, or given up on after ``OUTBOX_MAX_ATTEMPTS``."""
    attempts = message.attempts + 1
    gave_up = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    log.warning("Sending notification %s failed: %s", message.pk, exc)
    return Outcome(handled=gave_up, server_down=server_down), {
        "status": Notification.Status.FAILED if gave_up else Notification.Status.PENDING,
        "attempts": attempts,
        "last_error": f"{type(exc).__name__}: {exc}"[:500],
        "next_attempt_at": now + retry_delay(attempts),
    }
