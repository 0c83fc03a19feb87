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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape as escape_html
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, QuerySet
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
        sql = "SET LOCAL synchronous_commit TO OFF; " + sql  # one round trip
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return len(cursor.fetchall())


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


# A sweep sends thousands of messages, each in a transaction of its own so that one slow
# message never holds the others' locks. Compiling the ORM's queries cost more than running
# them, so the two statements of that loop are written out once here.
def _lock_pending(notification_id: int, due_by: datetime | None) -> tuple | None:
    """The row, locked (None if another worker holds it), with its recipient, whether it is
    pending and whether it is due by ``due_by``.

    The row is found by its id alone, and whether it is pending is read from it: with the state
    in the WHERE clause, PostgreSQL could choose the pending-rows index from statistics taken
    before a burst of new rows, and scan every pending row for each message.

    On PostgreSQL the transaction also stops waiting for its commit to reach the disk: the
    worst a database crash can then do is forget that a message went, so it goes again. A
    message is never lost, and the sweep is not held to one disk flush per e-mail.
    """
    due = "n.next_attempt_at <= %s" if due_by is not None else "1 = 1"
    sql = (
        f"SELECT n.status = %s, {due}, n.subject, n.body_text, n.body_html, n.attempts, "  # noqa: S608  # nosec B608
        f"u.email, u.is_active, n.kind, n.recipient_id FROM {_NOTIFICATIONS} n "
        f"INNER JOIN {_USERS} u ON u.id = n.recipient_id WHERE n.id = %s"
    )
    params: list[Any] = [Notification.Status.PENDING]
    if due_by is not None:
        params.append(db_connection.ops.adapt_datetimefield_value(due_by))
    params.append(notification_id)
    if db_connection.features.has_select_for_update_skip_locked:
        sql += " FOR UPDATE OF n SKIP LOCKED"
    if db_connection.vendor == "postgresql":
        sql = "SET LOCAL synchronous_commit TO OFF; " + sql  # one round trip
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _record(notification_id: int, **fields: Any) -> None:
    adapt = db_connection.ops.adapt_datetimefield_value
    values = [adapt(v) if isinstance(v, datetime) else v for v in fields.values()]
    columns = ", ".join(f"{name} = %s" for name in fields)
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_NOTIFICATIONS} SET {columns} WHERE id = %s",  # noqa: S608  # nosec B608
            [*values, notification_id],
        )


def _deliver(
    notification_id: int, *, only_if_due: bool, connection: BaseEmailBackend | None
) -> Outcome:
    now = timezone.now()
    with transaction.atomic():
        row = _lock_pending(notification_id, now if only_if_due else None)
        if row is None or not row[0] or not row[1]:  # held, sent or failed, or not yet due
            return Outcome(handled=True)
        subject, body_text, body_html, attempts, email, is_active, kind, recipient_id = row[2:]
        if not is_active:
            _record(
                notification_id,
                status=Notification.Status.FAILED,
                last_error="Recipient's account is not active.",
            )
            return Outcome(handled=True)
        make_secret = SEND_TIME_SECRETS.get(kind)
        if make_secret is not None:
            secret = make_secret(User.objects.get(pk=recipient_id))
            body_text = body_text.replace(SECRET_PLACEHOLDER, secret)
            body_html = body_html.replace(SECRET_PLACEHOLDER, escape_html(secret))
        message = EmailMultiAlternatives(
            subject=subject,
            body=body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
            connection=connection,
        )
        if body_html:
            message.attach_alternative(body_html, "text/html")
        attempts += 1
        try:
            if connection is not None:
                connection.open()  # connects once; a no-op while the connection is open
            message.send()
        except Exception as exc:
            gave_up = attempts >= settings.OUTBOX_MAX_ATTEMPTS
            _record(
                notification_id,
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:500],
                next_attempt_at=now + retry_delay(attempts),
                status=Notification.Status.FAILED if gave_up else Notification.Status.PENDING,
            )
            log.warning("Sending notification %s failed: %s", notification_id, exc)
            server_down = not isinstance(exc, MESSAGE_ERRORS)
            if server_down and connection is not None:
                connection.close()  # a broken connection is opened afresh next time
            return Outcome(handled=gave_up, server_down=server_down)
        _record(
            notification_id,
            status=Notification.Status.SENT,
            sent_at=now,
            attempts=attempts,
            last_error="",
        )
        return Outcome(handled=True)


def _due() -> QuerySet[Notification]:
    return Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=timezone.now()
    )


def due_notification_ids(limit: int, part: int = 0, parts: int = 1) -> list[int]:
    due = _due()
    if parts > 1:
        due = due.annotate(part=F("pk") % parts).filter(part=part)
    return list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def sweep_all() -> int:
    """The minute's sweep. A large backlog is shared out among up to ``OUTBOX_SWEEPERS``
    workers, each sending its part (rows by id modulo the parts) over its own connection: a
    mail server answers each message in turn, so one connection alone waits more than it sends.
    """
    due = _due().count()
    parts = min(settings.OUTBOX_SWEEPERS, max(1, -(-due // settings.OUTBOX_SWEEP_SHARE)))
    if parts > 1:
        from portal.tasks import sweep_outbox_part

        try:
            for part in range(1, parts):
                sweep_outbox_part.delay(part, parts)
        except Exception:  # broker gone: this worker sends everything itself
            log.warning("Broker unavailable; sweeping the whole outbox in one worker")
            parts = 1
    return sweep(part=0, parts=parts)


def sweep(*, limit: int = 5000, part: int = 0, parts: int = 1) -> int:
    """Deliver what is due, oldest first, over one mail connection; returns how many rows were
    looked at.

    The ids are read once, so a row another worker holds is skipped rather than picked again;
    anything beyond ``limit`` waits for the next sweep a minute later. ``part`` of ``parts``
    takes only the rows whose id modulo ``parts`` is ``part``. The connection is opened
    afresh every ``OUTBOX_MESSAGES_PER_CONNECTION`` messages (servers cap messages per
    connection). If the mail server itself fails, the sweep stops at that message: the rest
    stay due, untouched, for the next sweep instead of each spending an attempt on a server that
    is down.
    """
    ids = due_notification_ids(limit, part, parts)
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
