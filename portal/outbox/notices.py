"""Composing notices: one message written with the change that causes it, the notices a
scheduled job owes, and which of their dedupe keys are already taken."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.template.loader import render_to_string
from django.urls import reverse

from portal import organisation
from portal.models import Notification, User
from portal.outbox.broker import enqueue_delivery


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
    ctx = {
        "recipient": recipient,
        "link": absolute_url(link) if link else "",
        "organisation": organisation.current(),
        **(context or {}),
    }
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
    context is what many notices share (see ``batches``, which renders it once).
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
