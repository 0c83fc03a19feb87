"""A scheduled job's notices, rendered and claimed in bulk (``notify_many``).

Keys already taken are skipped before anything is rendered; each distinct message is rendered
once for a stand-in and each notice's own values put in after; the rows go in by one INSERT
per batch that skips the keys another run claimed in the meantime.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape as escape_html
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.template.loader import get_template
from django.utils import timezone

from portal import organisation
from portal.models import Notification
from portal.outbox.broker import enqueue_sweep
from portal.outbox.notices import Notice, absolute_url, claimed_keys
from portal.outbox.sql import NOTIFICATIONS, QUICK_COMMIT, db_time

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
        ctx = {
            "recipient": recipient,
            "link": link,
            "organisation": organisation.current(),
            **context,
        }
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
            _StandIn.email: person.email or "",
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
    now = db_time(timezone.now())
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
        f"INSERT INTO {NOTIFICATIONS} ({', '.join(_CLAIM_COLUMNS)}) "  # noqa: S608  # nosec B608
        f"VALUES {', '.join([one] * len(rows))} "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
    )
    if quick_commit:
        sql = QUICK_COMMIT + sql  # one round trip
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return len(cursor.fetchall())
