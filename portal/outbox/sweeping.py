"""Leasing and sweeping: what is due, leased a batch at a time and sent over one reused mail
connection, by the minute's sweep and, for a large backlog, the workers it asks to help."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import Notification
from portal.outbox.broker import enqueue_sweep_helpers
from portal.outbox.delivery import OUTGOING, Outgoing, record_fields, send
from portal.outbox.sql import NOTIFICATIONS, db_time, quick

log = logging.getLogger(__name__)


def lease(size: int, now: datetime) -> list[Outgoing]:
    """Up to ``size`` due messages, oldest first, marked as being sent by this sweep: two
    statements, each committed on its own.

    A leased row is SENDING, and its next attempt is when the lease ends. The lease outlasts
    the task's hard time limit, so it never ends while the sweep that took it could still be
    sending; if that worker dies, the rows it had not marked are due again when it ends.
    Another sweep's concurrent lease skips the rows this one is taking.
    """
    until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    pick = (
        f"SELECT id FROM {NOTIFICATIONS} WHERE status IN (%s, %s) "  # noqa: S608  # nosec B608
        "AND next_attempt_at <= %s ORDER BY next_attempt_at, id LIMIT %s"
    )
    if db_connection.features.has_select_for_update_skip_locked:
        pick += " FOR UPDATE SKIP LOCKED"
    with db_connection.cursor() as cursor:
        cursor.execute(
            quick(
                f"UPDATE {NOTIFICATIONS} SET status = %s, next_attempt_at = %s "  # noqa: S608  # nosec B608
                f"WHERE id IN ({pick}) RETURNING id"
            ),
            [
                Notification.Status.SENDING,
                db_time(until),
                *Notification.WAITING,
                db_time(now),
                size,
            ],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        if not ids:
            return []
        cursor.execute(
            f"SELECT {OUTGOING} WHERE n.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY n.id",
            ids,
        )
        return [Outgoing(*row, leased_until=until) for row in cursor.fetchall()]


def release(messages: list[Outgoing]) -> None:
    """Give back leased messages this sweep will not send: due again at once, their attempts
    untouched. Only rows still under this sweep's lease (see ``delivery.record_fields``)."""
    if messages:
        Notification.objects.filter(
            pk__in=[m.pk for m in messages],
            status=Notification.Status.SENDING,
            next_attempt_at=messages[0].leased_until,
        ).update(status=Notification.Status.PENDING, next_attempt_at=timezone.now())


def due() -> QuerySet[Notification]:
    """Waiting and due, or left by a sweep whose lease has run out."""
    return Notification.objects.filter(
        status__in=Notification.WAITING, next_attempt_at__lte=timezone.now()
    )


def sweep_all() -> int:
    """The minute's sweep. A large backlog is sent by up to ``OUTBOX_SWEEPERS`` workers at
    once, one more per ``OUTBOX_SWEEP_SHARE`` due messages, each leasing batches from the same
    queue over its own connection: a mail server answers each message in turn, so one
    connection alone waits more than it sends.
    """
    backlog = due().count()
    helpers = min(settings.OUTBOX_SWEEPERS, -(-backlog // settings.OUTBOX_SWEEP_SHARE)) - 1
    if helpers > 0:
        enqueue_sweep_helpers(helpers)
    return sweep()


def sweep(*, limit: int = 5000) -> int:
    """Deliver what is due, oldest first, over one mail connection; returns how many messages
    were looked at.

    Messages are leased ``OUTBOX_SEND_BATCH`` at a time (``lease``) and each is marked as it
    is sent, in a statement committed on its own: a worker killed between sending a message and
    marking it can send that one message twice, and no other. Anything beyond ``limit``, or
    left when ``OUTBOX_SWEEP_SECONDS`` have passed, waits for the next sweep (so a sweep ends
    before its task's time limit and long before its lease). The connection is opened afresh
    every ``OUTBOX_MESSAGES_PER_CONNECTION`` messages (servers cap messages per connection).
    If the mail server itself fails, the sweep stops at that message: the rest are given back,
    due, for the next sweep instead of each spending an attempt on a server that is down.
    """
    per_connection = settings.OUTBOX_MESSAGES_PER_CONNECTION
    stop_at = time.monotonic() + settings.OUTBOX_SWEEP_SECONDS
    looked_at = 0
    mail = get_connection()
    try:
        while looked_at < limit and time.monotonic() < stop_at:
            batch = lease(min(settings.OUTBOX_SEND_BATCH, limit - looked_at), timezone.now())
            if not batch:
                break
            done = 0
            try:
                for message in batch:
                    if time.monotonic() >= stop_at:
                        break
                    outcome, fields = send(message, mail, timezone.now())
                    if not record_fields(message, fields):
                        log.warning("Notification %s: its lease ran out while sending", message.pk)
                    done += 1
                    looked_at += 1
                    if outcome.server_down:
                        return looked_at
                    if looked_at % per_connection == 0:
                        mail.close()
            finally:
                release(batch[done:])
    finally:
        mail.close()
    return looked_at
