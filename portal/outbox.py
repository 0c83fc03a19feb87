"""The outbox: notifications are rows written with the change that causes them.

``notify`` is called inside a service's transaction. Delivery by e-mail happens after commit in
a Celery task; if the broker is unreachable the row simply waits for the periodic sweep, so a
user's request never fails or hangs because of Redis, and no message is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from portal.models import Notification, User

log = logging.getLogger(__name__)

# A message whose e-mail carries a one-time secret (a link to choose a password) never stores
# it: its template writes SECRET_PLACEHOLDER, and the function registered here for its kind
# makes the secret when the e-mail is sent. The row, and so the inbox, only hold the placeholder.
SECRET_PLACEHOLDER = "[one-time link: sent by e-mail only]"  # noqa: S105  (not a secret)
SEND_TIME_SECRETS: dict[str, Callable[[User], str]] = {}


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


def enqueue_delivery(notification_id: int) -> None:
    """Hand a notification to the worker; never raises, the sweep is the safety net."""
    from portal.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # broker down, hung or misconfigured: the row is safe in the database
        log.warning("Broker unavailable; notification %s left for the sweep", notification_id)


def retry_delay(attempts: int) -> timedelta:
    # 1, 2, 4 ... minutes, capped below the broker's visibility timeout.
    seconds = min(60 * 2 ** max(attempts - 1, 0), settings.OUTBOX_MAX_RETRY_DELAY)
    return timedelta(seconds=seconds)


def deliver(notification_id: int, *, only_if_due: bool = False) -> bool:
    """Send one pending notification by e-mail. Returns False when it should be retried.

    Safe to call twice at once: the row is locked, and a sent row is never sent again. A retry
    (and the sweep) pass ``only_if_due``: if another attempt has failed since, the backoff it set
    is kept instead of spending a second attempt at once.
    """
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
            return True
        recipient = notification.recipient
        now = timezone.now()
        if not recipient.is_active:
            notification.status = Notification.Status.FAILED
            notification.last_error = "Recipient's account is not active."
            notification.save(update_fields=["status", "last_error"])
            return True
        body_text, body_html = notification.body_text, notification.body_html
        make_secret = SEND_TIME_SECRETS.get(notification.kind)
        if make_secret is not None:
            secret = make_secret(recipient)
            body_text = body_text.replace(SECRET_PLACEHOLDER, secret)
            body_html = body_html.replace(SECRET_PLACEHOLDER, escape(secret))
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
        )
        if body_html:
            message.attach_alternative(body_html, "text/html")
        notification.attempts += 1
        try:
            message.send()
        except Exception as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
            notification.next_attempt_at = now + retry_delay(notification.attempts)
            if notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "last_error", "next_attempt_at", "status"])
            log.warning("Sending notification %s failed: %s", notification.pk, exc)
            return notification.status == Notification.Status.FAILED
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
        notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
        return True


def due_notification_ids(limit: int) -> list[int]:
    return list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(*, limit: int = 5000) -> int:
    """Deliver what is due, oldest first; returns how many rows were looked at.

    The ids are read once, so a row another worker holds is skipped rather than picked again;
    anything beyond ``limit`` waits for the next sweep a minute later.
    """
    ids = due_notification_ids(limit)
    for notification_id in ids:
        deliver(notification_id, only_if_due=True)
    return len(ids)


def mark_read(*, user: User, notification: Notification) -> None:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
