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
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape as escape_html
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.models import Notification, User

log = logging.getLogger(__name__)

# A message whose e-mail carries a one-time secret (a link to choose a password) never stores
# it: its template writes SECRET_PLACEHOLDER, and the function registered here for its kind
# makes the secret when the e-mail is sent. The row, and so the inbox, only hold the placeholder.
SECRET_PLACEHOLDER = "[one-time link: sent by e-mail only]"  # noqa: S105  # nosec B105
SEND_TIME_SECRETS: dict[str, Callable[[User], str]] = {}

_NOTIFICATIONS = Notification._meta.db_table
_USERS = User._meta.db_table


def absolute_url(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}" if path.startswith("/") else path


def links_to(viewname: str) -> Callable[[int], str]:
    """``reverse(viewname, args=[pk])`` for the thousands of notices of a run: the pattern is
    reversed once, for a stand-in id, and each notice's id put in its place."""
    stand_in = "987654321"
    template = reverse(viewname, args=[stand_in])
    return lambda pk: template.replace(stand_in, str(pk))


def notify(
    *,
    recipient: User | None,
    kind: str,
    dedupe_key: str,
    context: dict[str, Any] | None = None,
    link: str = "",
    address: str = "",
) -> Notification:
    """Queue a message for ``recipient``; a second call with the same key is a no-op.

    Renders ``templates/emails/<kind>-subject.txt``, ``-body.txt`` and ``-body.html``. The
    e-mail goes to ``address`` if given, else to the recipient's address when it is sent. With
    no recipient (an outside mailbox: ``notify_address``) there is no inbox item.
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
            "address": address,
        },
    )
    if created:
        transaction.on_commit(lambda: enqueue_delivery(notification.pk))
    return notification


def notify_address(
    *, address: str, kind: str, dedupe_key: str, context: dict[str, Any] | None = None
) -> Notification:
    """Queue a message for an outside ``address`` (no portal account, so no inbox item); a
    second call with the same key is a no-op. Templates as for ``notify``, with no recipient.
    """
    return notify(
        recipient=None, kind=kind, dedupe_key=dedupe_key, context=context, address=address
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    """All a notice needs of its recipient (the templates greet by name), from a query's row."""

    pk: int
    first_name: str
    email: str


@dataclass(frozen=True)
class Notice:
    """One message a scheduled job owes someone; ``notify_many`` claims it by ``dedupe_key``.

    ``personal`` holds the context values that are this recipient's own (another person's name,
    a time of their own): plain strings the templates print as they are. The rest of the
    context is what many notices share (see ``_Templates``).
    """

    recipient: User | Recipient
    kind: str
    dedupe_key: str
    context: dict[str, Any] = field(default_factory=dict)
    link: str = ""
    personal: dict[str, str] = field(default_factory=dict)


def _key_set(keys: list[str]) -> RawSQL:
    # The keys travel as one parameter, however many there are: an array on PostgreSQL, a JSON
    # list on SQLite (which limits the number of parameters in a statement).
    if db_connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::varchar[])", [keys])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(keys)])


def unclaimed(keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` are still free: a job builds notices only for these."""
    keys = set(keys)
    return keys - claimed_keys(keys)


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


_MARK = "\ue000"  # a private-use character: no template or value prints it, nor splits on it


def _placeholder(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


class _StandIn:
    """Who a message is rendered for when it is rendered once for many people."""

    first_name = _placeholder("first_name")
    email = _placeholder("email")
    pk = None


class _Templates:
    """Renders notices for a whole run: each kind's templates loaded once, and each distinct
    message rendered once, with what is personal to each recipient put in after.

    Rendering three Django templates costs milliseconds; a publication day owes tens of
    thousands of notices that differ only in the name they greet. A message is rendered for a
    stand-in whose name, address, link and ``personal`` values are placeholders; each notice
    then gets its own values in their place (HTML-escaped in the HTML body). The templates print
    those values as they are, so this gives exactly what rendering each notice would
    (``tests/portal/test_outbox_batches.py`` checks every kind).
    """

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[Any, Any, Any]] = {}
        self._rendered: dict[tuple, tuple[str, str, str]] = {}

    def _templates(self, kind: str) -> tuple[Any, Any, Any]:
        if kind not in self._loaded:
            self._loaded[kind] = tuple(
                get_template(f"emails/{kind}-{part}")
                for part in ("subject.txt", "body.txt", "body.html")
            )
        return self._loaded[kind]

    def _render(
        self, kind: str, recipient: object, link: str, context: dict[str, Any]
    ) -> tuple[str, str, str]:
        subject, text, html = self._templates(kind)
        ctx = {"recipient": recipient, "link": link, **context}
        return " ".join(subject.render(ctx).split()), text.render(ctx), html.render(ctx)

    def render(self, notice: Notice) -> tuple[str, str, str]:
        person = notice.recipient
        link = absolute_url(notice.link) if notice.link else ""
        if not person.first_name:  # greeted by address instead: rendered for them alone
            context = {**notice.context, **notice.personal}
            subject, text, html = self._render(notice.kind, person, link, context)
            return subject[:200], text, html
        shape = (
            notice.kind,
            bool(link),
            tuple(sorted(notice.personal)),
            repr(sorted(notice.context.items())),
        )
        if shape not in self._rendered:
            context = {**notice.context, **{name: _placeholder(name) for name in notice.personal}}
            stand_in_link = _placeholder("link") if link else ""
            self._rendered[shape] = self._render(notice.kind, _StandIn, stand_in_link, context)
        subject, text, html = self._rendered[shape]
        values = {
            _StandIn.first_name: person.first_name,
            _StandIn.email: person.email,
            _placeholder("link"): link,
            **{_placeholder(name): value for name, value in notice.personal.items()},
        }

        def fill(rendered: str, in_html: bool) -> str:
            if _MARK not in rendered:
                return rendered
            for placeholder, value in values.items():
                # What autoescaping would have printed: Django's escape is html.escape.
                rendered = rendered.replace(placeholder, escape_html(value) if in_html else value)
            return rendered

        return fill(subject, False)[:200], fill(text, False), fill(html, True)


def notify_many(notices: Iterable[Notice], *, batch_size: int | None = None) -> int:
    """Claim each notice by its ``dedupe_key``; returns how many this call inserted.

    Keys already taken are skipped before anything is rendered. The rest are inserted in
    batches of ``OUTBOX_CLAIM_BATCH``, each committed on its own (unless the caller holds a
    transaction), skipping conflicts: a key another run claimed in the meantime stays that
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
    # A batch that is its own transaction commits without waiting for the disk, as the sweep's
    # sends do: only a crash of the database itself in that moment could lose a claim (already
    # sent, it would be sent once more by the job's next run). Inside a caller's transaction,
    # the caller's durability stands.
    quick = db_connection.vendor == "postgresql" and not db_connection.in_atomic_block
    now = db_connection.ops.adapt_datetimefield_value(timezone.now())
    inserted = 0
    for start in range(0, len(pending), batch_size):
        rows = []
        for notice in pending[start : start + batch_size]:
            subject, text, html = templates.render(notice)
            rows.append(
                (
                    *(notice.recipient.pk, notice.kind, subject, text, html, notice.link),
                    *(notice.dedupe_key, now, Notification.Status.PENDING, 0, now, ""),
                )
            )
        with transaction.atomic():
            inserted += _insert_new(rows, quick_commit=quick)
    transaction.on_commit(enqueue_sweep)
    return inserted


_CLAIM_COLUMNS = (
    "recipient_id",
    "kind",
    "subject",
    "body_text",
    "body_html",
    "link",
    "dedupe_key",
    "created_at",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
)


def _insert_new(rows: list[tuple], *, quick_commit: bool = False) -> int:
    """Insert ``rows`` (values for ``_CLAIM_COLUMNS``), skipping any whose dedupe key is taken;
    returns how many this statement inserted.

    One statement (PostgreSQL and SQLite both have ON CONFLICT ... DO NOTHING and RETURNING).
    ``bulk_create`` prepares every field of every row in Python and cannot say which rows it
    inserted; on a publication day that is tens of thousands of rows.
    """
    one = "(" + ", ".join(["%s"] * len(_CLAIM_COLUMNS)) + ")"
    sql = (
        f"INSERT INTO {_NOTIFICATIONS} ({', '.join(_CLAIM_COLUMNS)}) "  # noqa: S608  # nosec B608
        f"VALUES {', '.join([one] * len(rows))} "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
    )
    if quick_commit:
        sql = _QUICK_COMMIT + sql  # one round trip
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return len(cursor.fetchall())


# Whether the broker has failed during this thread's current request or task. A hung broker
# costs each publish its socket timeout; a request that writes several notices would wait once
# per notice. After one failure the rest are left to the sweep, without trying.
_broker = threading.local()


def broker_failed() -> bool:
    return getattr(_broker, "failed", False)


def forget_broker_failure(**kwargs: object) -> None:
    """A new request or task tries the broker afresh (connected to their start signals)."""
    _broker.failed = False


def connect_broker_resets() -> None:
    from celery.signals import task_prerun
    from django.core.signals import request_started

    request_started.connect(forget_broker_failure, dispatch_uid="outbox-broker-request")
    task_prerun.connect(forget_broker_failure, dispatch_uid="outbox-broker-task", weak=False)


def _publish(send: Callable[[], object]) -> bool:
    """Run ``send`` (a publish to the broker) unless the broker already failed in this request
    or task; False if it did not go. Never raises: the rows are safe in the database."""
    if broker_failed():
        return False
    try:
        send()
    except Exception:  # broker down, hung or misconfigured
        _broker.failed = True
        return False
    return True


def enqueue_sweep() -> None:
    """Ask a worker to send what is due now; never raises (beat sweeps every minute anyway)."""
    from portal.tasks import sweep_outbox

    if not _publish(sweep_outbox.delay):
        log.warning("Broker unavailable; new notifications left for the next sweep")


def enqueue_delivery(notification_id: int) -> None:
    """Hand a notification to the worker; never raises, the sweep is the safety net."""
    from portal.tasks import deliver_notification

    if not _publish(lambda: deliver_notification.delay(notification_id)):
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


# Errors about one message (a refused or malformed address, a rejected message); anything else
# from smtplib or the socket is about the server.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    ValueError,
)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """A row to send, with its recipient's address: the columns of ``_OUTGOING``."""

    pk: int
    subject: str
    body_text: str
    body_html: str
    attempts: int
    email: str
    is_active: bool  # an outside address counts as active
    kind: str
    recipient_id: int | None
    leased_until: datetime | None = None  # a sweep's lease: the row's next attempt


_OUTGOING = (
    "n.id, n.subject, n.body_text, n.body_html, n.attempts, "
    "COALESCE(NULLIF(n.address, ''), u.email), COALESCE(u.is_active, TRUE), n.kind, "
    f"n.recipient_id FROM {_NOTIFICATIONS} n LEFT JOIN {_USERS} u ON u.id = n.recipient_id"
)
# PostgreSQL: the statement's transaction does not wait for its commit to reach the disk. The
# worst a database crash can then do is forget that a message went, so it goes again: a message
# is never lost, and sending is not held to one disk flush per e-mail.
_QUICK_COMMIT = "SET LOCAL synchronous_commit TO OFF; "


def _quick(sql: str) -> str:
    return _QUICK_COMMIT + sql if db_connection.vendor == "postgresql" else sql


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
        message = _Outgoing(*row[1:])
        outcome, fields = _send(message, connection, now)
        _record(message, fields)
        return outcome.handled


# The sending loop runs thousands of times a minute: compiling the ORM's queries cost more than
# running them, so its statements are written out once here.
def _lock_sendable(notification_id: int, now: datetime) -> tuple | None:
    """(whether it may be sent now, then the ``_Outgoing`` columns), the row locked; None if
    another worker holds it.

    The row is found by its id alone, and whether it may be sent is read from it: with the state
    in the WHERE clause, PostgreSQL could choose the waiting-rows index from statistics taken
    before a burst of new rows, and scan every pending row for each message.
    """
    sql = (
        "SELECT n.status = %s AND (n.attempts = 0 OR n.next_attempt_at <= %s), "  # nosec B608
        f"{_OUTGOING} WHERE n.id = %s"
    )
    if db_connection.features.has_select_for_update_skip_locked:
        sql += " FOR UPDATE OF n SKIP LOCKED"
    params = [Notification.Status.PENDING, _db_time(now), notification_id]
    with db_connection.cursor() as cursor:
        cursor.execute(_quick(sql), params)
        return cursor.fetchone()


def _db_time(moment: datetime) -> Any:
    return db_connection.ops.adapt_datetimefield_value(moment)


def _lease(size: int, now: datetime) -> list[_Outgoing]:
    """Up to ``size`` due messages, oldest first, marked as being sent by this sweep: two
    statements, each committed on its own.

    A leased row is SENDING, and its next attempt is when the lease ends. The lease outlasts
    the task's hard time limit, so it never ends while the sweep that took it could still be
    sending; if that worker dies, the rows it had not marked are due again when it ends.
    Another sweep's concurrent lease skips the rows this one is taking.
    """
    until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    pick = (
        f"SELECT id FROM {_NOTIFICATIONS} WHERE status IN (%s, %s) "  # noqa: S608  # nosec B608
        "AND next_attempt_at <= %s ORDER BY next_attempt_at, id LIMIT %s"
    )
    if db_connection.features.has_select_for_update_skip_locked:
        pick += " FOR UPDATE SKIP LOCKED"
    with db_connection.cursor() as cursor:
        cursor.execute(
            _quick(
                f"UPDATE {_NOTIFICATIONS} SET status = %s, next_attempt_at = %s "  # noqa: S608  # nosec B608
                f"WHERE id IN ({pick}) RETURNING id"
            ),
            [
                Notification.Status.SENDING,
                _db_time(until),
                *Notification.WAITING,
                _db_time(now),
                size,
            ],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        if not ids:
            return []
        cursor.execute(
            f"SELECT {_OUTGOING} WHERE n.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY n.id",
            ids,
        )
        return [_Outgoing(*row, leased_until=until) for row in cursor.fetchall()]


def _release(messages: list[_Outgoing]) -> None:
    """Give back leased messages this sweep will not send: due again at once, their attempts
    untouched. Only rows still under this sweep's lease (see ``_record``)."""
    if messages:
        Notification.objects.filter(
            pk__in=[m.pk for m in messages],
            status=Notification.Status.SENDING,
            next_attempt_at=messages[0].leased_until,
        ).update(status=Notification.Status.PENDING, next_attempt_at=timezone.now())


def _record(message: _Outgoing, fields: dict[str, Any]) -> bool:
    """Write ``fields`` to the message's row; False if it was leased and its lease is no longer
    this sweep's (it ran out and another sweep took the row): that sweep's record stands."""
    values = [_db_time(v) if isinstance(v, datetime) else v for v in fields.values()]
    columns = ", ".join(f"{name} = %s" for name in fields)
    sql = f"UPDATE {_NOTIFICATIONS} SET {columns} WHERE id = %s"  # noqa: S608  # nosec B608
    params = [*values, message.pk]
    if message.leased_until is not None:
        sql += " AND status = %s AND next_attempt_at = %s"
        params += [Notification.Status.SENDING, _db_time(message.leased_until)]
    with db_connection.cursor() as cursor:
        cursor.execute(_quick(sql), params)
        return cursor.rowcount == 1


def _send(
    message: _Outgoing, connection: BaseEmailBackend | None, now: datetime
) -> tuple[Outcome, dict[str, Any]]:
    """E-mail ``message``: what happened, and the columns to record for it."""
    if not message.is_active:
        return Outcome(handled=True), {
            "status": Notification.Status.FAILED,
            "last_error": "Recipient's account is not active.",
        }
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


def _email(message: _Outgoing, connection: BaseEmailBackend | None) -> EmailMultiAlternatives:
    body_text, body_html = message.body_text, message.body_html
    make_secret = SEND_TIME_SECRETS.get(message.kind)
    if make_secret is not None:
        user = User.objects.get(pk=message.recipient_id)
        if user.email != message.email:
            # The address changed after this message was picked up: a link made now would
            # open the account as it is now, and must not go to the address it had.
            raise ValueError("The account's e-mail address changed; the link was not made.")
        secret = make_secret(user)
        body_text = body_text.replace(SECRET_PLACEHOLDER, secret)
        body_html = body_html.replace(SECRET_PLACEHOLDER, escape_html(secret))
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
    message: _Outgoing, exc: Exception, now: datetime, *, server_down: bool
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


def _due() -> QuerySet[Notification]:
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
    due = _due().count()
    helpers = min(settings.OUTBOX_SWEEPERS, -(-due // settings.OUTBOX_SWEEP_SHARE)) - 1
    if helpers > 0:
        from portal.tasks import help_sweep_outbox

        try:
            for _ in range(helpers):
                help_sweep_outbox.delay()
        except Exception:  # broker gone: this worker sends everything itself
            log.warning("Broker unavailable; sweeping the whole outbox in one worker")
    return sweep()


def sweep(*, limit: int = 5000) -> int:
    """Deliver what is due, oldest first, over one mail connection; returns how many messages
    were looked at.

    Messages are leased ``OUTBOX_SEND_BATCH`` at a time (``_lease``) and each is marked as it
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
            batch = _lease(min(settings.OUTBOX_SEND_BATCH, limit - looked_at), timezone.now())
            if not batch:
                break
            done = 0
            try:
                for message in batch:
                    if time.monotonic() >= stop_at:
                        break
                    outcome, fields = _send(message, mail, timezone.now())
                    if not _record(message, fields):
                        log.warning("Notification %s: its lease ran out while sending", message.pk)
                    done += 1
                    looked_at += 1
                    if outcome.server_down:
                        return looked_at
                    if looked_at % per_connection == 0:
                        mail.close()
            finally:
                _release(batch[done:])
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
