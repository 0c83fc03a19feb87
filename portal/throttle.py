"""Limits on how often something may happen, counted where every web process and host sees
the same count: the database.

A limit allows ``most`` events in each window of ``seconds``, per the person or client address
it counts. Windows are fixed and aligned to the clock (an hour's runs from :00 to :00), so a
burst across the turn of a window can reach twice the limit; in exchange one statement counts
an event and returns the window's total (an upsert), and two processes counting at once never
both take the last free place. A process's memory or the default cache would give each process
a limit of its own: with four workers behind a load balancer, four times the limit.

Whom a limit counts is stored only as a keyed hash (the secret key), so the table holds no
e-mail or client address. A row is deleted once its window has ended, by the next count that
opens a new window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.models import ThrottleWindow

_TABLE = ThrottleWindow._meta.db_table


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    most: int  # events allowed in one window
    seconds: int  # the window's length


def password_resets_per_address() -> Limit:
    return Limit("reset-address", settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR, 3600)


def password_resets_per_client() -> Limit:
    return Limit("reset-client", settings.PASSWORD_RESETS_PER_CLIENT_PER_HOUR, 3600)


def sign_in_failures_per_client() -> Limit:
    return Limit(
        "sign-in-client",
        settings.SIGN_IN_FAILURES_PER_CLIENT,
        settings.SIGN_IN_CLIENT_WINDOW_MINUTES * 60,
    )


def receipt_checks_per_client() -> Limit:
    return Limit("receipt-check", settings.RECEIPT_CHECKS_PER_CLIENT_PER_HOUR, 3600)


def not_found_audits_per_user() -> Limit:
    return Limit("not-found-user", settings.NOT_FOUND_AUDITS_PER_USER_PER_HOUR, 3600)


def _window(limit: Limit, who: str, now: datetime) -> tuple[str, datetime]:
    """The row's key for ``who`` in the window holding ``now``, and when that window ends."""
    number = int(now.timestamp()) // limit.seconds
    digest = salted_hmac("portal.throttle", f"{limit.name}\n{who}").hexdigest()[:40]
    ends = datetime.fromtimestamp((number + 1) * limit.seconds, tz=UTC)
    return f"{limit.name}:{digest}:{number}", ends


def hit(limit: Limit, who: str, *, now: datetime | None = None) -> int:
    """Count one event for ``who``; returns how many there have been in this window, this one
    included. Committed at once unless the caller holds a transaction."""
    now = now or timezone.now()
    key, ends = _window(limit, who, now)
    quoted = connection.ops.quote_name
    sql = (
        f"INSERT INTO {_TABLE} ({quoted('key')}, hits, expires_at) "  # noqa: S608  # nosec B608
        f"VALUES (%s, 1, %s) ON CONFLICT ({quoted('key')}) "
        f"DO UPDATE SET hits = {_TABLE}.hits + 1 RETURNING hits"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(ends)])
        (hits,) = cursor.fetchone()
    if hits == 1:  # a new window: windows that have ended are of no more use
        ThrottleWindow.objects.filter(expires_at__lte=now).delete()
    return hits


def count(limit: Limit, who: str, *, now: datetime | None = None) -> int:
    """How many events ``who`` has had in the current window."""
    key, _ = _window(limit, who, now or timezone.now())
    return ThrottleWindow.objects.filter(key=key).values_list("hits", flat=True).first() or 0
